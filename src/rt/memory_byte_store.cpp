#include "strata/rt/memory_byte_store.hpp"

#include <fmt/format.h>

#include <cstring>

#include "strata/core/error.hpp"

namespace strata::rt {

namespace {
constexpr std::uint64_t kGranuleBytes = 4096;  // as the file store's O_DIRECT blocks
}  // namespace

MemoryByteStore::MemoryByteStore(MemoryByteStoreOptions options)
    : options_(std::move(options)),
      where_("<" + options_.name + ">"),
      space_(options_.capacity_bytes, kGranuleBytes) {
  if (options_.io_bytes == 0) throw InvalidInput(options_.name + ": io_bytes must be > 0");
  counters_.capacity_bytes = space_.capacity_bytes();
  counters_.direct_io = true;
}

std::string MemoryByteStore::injected_fault(IoOp op, std::uint64_t offset,
                                            std::uint64_t bytes) const {
  if (!injector_) return {};
  for (std::uint64_t done = 0; done < bytes; done += options_.io_bytes) {
    const std::uint64_t n = std::min(options_.io_bytes, bytes - done);
    if (injector_(FaultSite{op, &where_, offset + done, n}))
      return fmt::format(
          "{}: {} of {} bytes at offset {} of {} failed: Input/output error "
          "(injected fault); the stored data of other keys is intact",
          options_.name, op == IoOp::write ? "write" : "read", n, offset + done, where_.string());
  }
  return {};
}

IoTicket MemoryByteStore::finished(std::string error) {
  if (!error.empty()) ++counters_.failed_requests;
  const IoTicket t{next_ticket_++};
  finished_.emplace(t.id, std::move(error));
  return t;
}

IoTicket MemoryByteStore::submit_put(std::uint64_t key, const void* src, std::uint64_t bytes) {
  if (bytes > 0 && src == nullptr)
    throw InvalidInput(
        fmt::format("{}: put of key {} ({} bytes) from a null pointer", options_.name, key, bytes));
  std::lock_guard lock(mutex_);
  std::uint64_t offset = 0;
  if (bytes > 0) {
    const auto placed = space_.allocate(bytes, kGranuleBytes);
    if (!placed) {
      const BestFitStats st = space_.stats();
      throw OutOfMemory(fmt::format(
          "{}: no room for key {} ({} bytes, {} counted): capacity {} bytes, {} bytes in {} "
          "values used, {} free, largest free extent {} bytes; erase keys or raise the store "
          "capacity",
          options_.name, key, bytes, space_.rounded(bytes), st.capacity_bytes, st.used_bytes,
          st.live_block_count, st.free_bytes, st.largest_free_block_bytes));
    }
    offset = *placed;
  }
  std::string error = injected_fault(IoOp::write, offset, bytes);
  if (!error.empty()) {
    if (bytes > 0) space_.free(offset);
    return finished(std::move(error));
  }
  Value v{offset, std::vector<std::byte>(bytes)};
  if (bytes > 0) std::memcpy(v.bytes.data(), src, bytes);
  if (const auto old = values_.find(key); old != values_.end()) {
    if (!old->second.bytes.empty()) space_.free(old->second.offset);
    counters_.stored_bytes -= old->second.bytes.size();
    values_.erase(old);
  }
  values_.emplace(key, std::move(v));
  counters_.stored_bytes += bytes;
  counters_.bytes_written += bytes;
  counters_.direct_ios += (bytes + options_.io_bytes - 1) / options_.io_bytes;
  return finished({});
}

IoTicket MemoryByteStore::submit_get(std::uint64_t key, void* dst, std::uint64_t bytes) {
  if (bytes > 0 && dst == nullptr)
    throw InvalidInput(
        fmt::format("{}: get of key {} ({} bytes) into a null pointer", options_.name, key, bytes));
  std::lock_guard lock(mutex_);
  const auto it = values_.find(key);
  if (it == values_.end())
    throw InvalidInput(
        fmt::format("{}: key {} is not stored; put it before getting it", options_.name, key));
  if (it->second.bytes.size() != bytes)
    throw InvalidInput(fmt::format("{}: get of key {} asks for {} bytes but {} are stored",
                                   options_.name, key, bytes, it->second.bytes.size()));
  std::string error = injected_fault(IoOp::read, it->second.offset, bytes);
  if (error.empty()) {
    if (bytes > 0) std::memcpy(dst, it->second.bytes.data(), bytes);
    counters_.bytes_read += bytes;
    counters_.direct_ios += (bytes + options_.io_bytes - 1) / options_.io_bytes;
  }
  return finished(std::move(error));
}

bool MemoryByteStore::poll(IoTicket ticket) {
  std::lock_guard lock(mutex_);
  const auto it = finished_.find(ticket.id);
  if (it == finished_.end())
    throw InvalidInput(
        fmt::format("{}: ticket {} is unknown (never issued, or already waited "
                    "for)",
                    options_.name, ticket.id));
  std::string error = std::move(it->second);
  finished_.erase(it);
  if (!error.empty()) throw IoError(error);
  return true;
}

bool MemoryByteStore::erase(std::uint64_t key) {
  std::lock_guard lock(mutex_);
  const auto it = values_.find(key);
  if (it == values_.end()) return false;
  if (!it->second.bytes.empty()) space_.free(it->second.offset);
  counters_.stored_bytes -= it->second.bytes.size();
  values_.erase(it);
  return true;
}

bool MemoryByteStore::contains(std::uint64_t key) const {
  std::lock_guard lock(mutex_);
  return values_.contains(key);
}

std::optional<std::uint64_t> MemoryByteStore::size_of(std::uint64_t key) const {
  std::lock_guard lock(mutex_);
  const auto it = values_.find(key);
  if (it == values_.end()) return std::nullopt;
  return it->second.bytes.size();
}

ByteStoreStats MemoryByteStore::stats() const {
  std::lock_guard lock(mutex_);
  ByteStoreStats st = counters_;
  st.stored_keys = values_.size();
  st.largest_free_extent_bytes = space_.stats().largest_free_block_bytes;
  return st;
}

void MemoryByteStore::set_fault_injector(FaultInjector injector) {
  std::lock_guard lock(mutex_);
  injector_ = std::move(injector);
}

}  // namespace strata::rt
