#pragma once
/// @file memory_byte_store.hpp
/// @brief An in-memory ByteStore: the fake flash tier for tests and for runs without a disk.
/// Same contract and capacity accounting (4 KiB granules, best fit) as FileByteStore; every
/// request completes inside submit_*. It splits a value into I/Os of `io_bytes`, each shown to
/// the fault injector, so injected faults hit it the way they hit the file store.

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "strata/rt/best_fit.hpp"
#include "strata/rt/byte_store.hpp"

namespace strata::rt {

/// @brief How a MemoryByteStore is made.
struct MemoryByteStoreOptions {
  std::uint64_t capacity_bytes = 0;
  std::uint64_t io_bytes = 1ULL << 20;  ///< size of one (simulated) I/O, > 0
  std::string name = "memory byte store";
};

/// @brief Key -> bytes in host memory, with a capacity.
class MemoryByteStore final : public ByteStore {
 public:
  explicit MemoryByteStore(MemoryByteStoreOptions options);

  IoTicket submit_put(std::uint64_t key, const void* src, std::uint64_t bytes) override;
  IoTicket submit_get(std::uint64_t key, void* dst, std::uint64_t bytes) override;
  bool poll(IoTicket ticket) override;
  void wait(IoTicket ticket) override { poll(ticket); }
  bool erase(std::uint64_t key) override;
  bool contains(std::uint64_t key) const override;
  std::optional<std::uint64_t> size_of(std::uint64_t key) const override;
  ByteStoreStats stats() const override;
  void set_fault_injector(FaultInjector injector) override;

 private:
  struct Value {
    std::uint64_t offset = 0;  // its extent in the capacity
    std::vector<std::byte> bytes;
  };
  /// The first injected fault among the I/Os of [offset, offset + bytes), as an error message.
  std::string injected_fault(IoOp op, std::uint64_t offset, std::uint64_t bytes) const;
  IoTicket finished(std::string error);

  MemoryByteStoreOptions options_;
  std::filesystem::path where_;  // shown to the fault injector and in messages
  mutable std::mutex mutex_;
  BestFitAllocator space_;
  std::unordered_map<std::uint64_t, Value> values_;
  std::unordered_map<std::uint64_t, std::string> finished_;  // ticket -> error (empty: ok)
  std::uint64_t next_ticket_ = 1;
  FaultInjector injector_;
  ByteStoreStats counters_;
};

}  // namespace strata::rt
