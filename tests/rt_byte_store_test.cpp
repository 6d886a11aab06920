// The byte stores: one typed contract suite run against the file store (1 and 3 files) and the
// in-memory fake: bit-identical round trips (XXH3) with fresh random sizes and contents per run,
// capacity, injected faults, concurrency. Then the file store alone: striping layout, the
// direct path, no leaked files or descriptors, bad options.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "strata/core/error.hpp"
#include "strata/rt/file_byte_store.hpp"
#include "strata/rt/memory_byte_store.hpp"
#include "support/rt_dirs.hpp"

namespace strata::rt {
namespace {

constexpr std::uint64_t kKiB = 1024;
constexpr std::uint64_t kMiB = 1024 * kKiB;

std::uint64_t checksum(const void* p, std::uint64_t bytes) {
  return XXH3_64bits(p, static_cast<std::size_t>(bytes));
}

std::vector<std::byte> random_bytes(std::mt19937_64& rng, std::uint64_t bytes) {
  std::vector<std::byte> v(bytes);
  for (auto& b : v) b = static_cast<std::byte>(rng());
  return v;
}

std::size_t open_fd_count() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

FileByteStoreOptions options_in(const std::filesystem::path& dir, std::size_t files,
                                std::uint64_t capacity_bytes,
                                std::uint64_t stripe_bytes = 64 * kKiB,
                                std::uint32_t queue_depth = 8) {
  FileByteStoreOptions o;
  o.directories.assign(files, dir);
  o.capacity_bytes = capacity_bytes;
  o.stripe_bytes = stripe_bytes;
  o.queue_depth = queue_depth;
  o.file_prefix = "strata-rt-test";
  return o;
}

// Typed-suite factories: a store of `capacity_bytes` doing I/Os of 64 KiB, or nullptr (then
// skip_reason() says why).
template <std::size_t Files>
struct FileStoreFactory {
  static std::unique_ptr<ByteStore> make(std::uint64_t capacity_bytes, std::uint32_t qd = 8) {
    const auto probe = test::find_direct_io_dir();
    if (!probe.dir) return nullptr;
    return std::make_unique<FileByteStore>(
        options_in(*probe.dir, Files, capacity_bytes, 64 * kKiB, qd));
  }
  static std::string skip_reason() {
    return "no directory supports O_DIRECT (" + test::find_direct_io_dir().why_none + ")";
  }
};
struct MemoryStoreFactory {
  static std::unique_ptr<ByteStore> make(std::uint64_t capacity_bytes, std::uint32_t = 8) {
    return std::make_unique<MemoryByteStore>(
        MemoryByteStoreOptions{capacity_bytes, 64 * kKiB, "memory byte store"});
  }
  static std::string skip_reason() { return {}; }
};

template <typename Factory>
class RtByteStoreContract : public ::testing::Test {};
TYPED_TEST_SUITE_P(RtByteStoreContract);

#define STRATA_MAKE_STORE(var, ...)                           \
  auto var##_owned = TypeParam::make(__VA_ARGS__);            \
  if (!var##_owned) GTEST_SKIP() << TypeParam::skip_reason(); \
  ByteStore& var = *var##_owned

TYPED_TEST_P(RtByteStoreContract, RandomValuesComeBackBitIdentical) {
  const std::uint64_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  {
    STRATA_MAKE_STORE(store, 24 * kMiB);
    // Sizes around the O_DIRECT block and the stripe, plus random ones.
    std::vector<std::uint64_t> sizes = {0,    1,         4095,          4096,
                                        4097, 64 * kKiB, 64 * kKiB + 1, 200 * kKiB - 7};
    for (int i = 0; i < 12; ++i) sizes.push_back(1 + rng() % (kMiB + 3));
    std::vector<std::vector<std::byte>> values;
    std::vector<std::uint64_t> sums;
    std::vector<IoTicket> puts;
    for (std::uint64_t k = 0; k < sizes.size(); ++k) {
      // Every other value from an unaligned address: the staging path.
      values.push_back(random_bytes(rng, sizes[k] + 1));
      const std::byte* src = values.back().data() + (k % 2);
      sums.push_back(checksum(src, sizes[k]));
      puts.push_back(store.submit_put(k, src, sizes[k]));  // all in flight together
    }
    for (const IoTicket t : puts) store.wait(t);
    EXPECT_EQ(store.stats().stored_keys, sizes.size());
    for (std::uint64_t k = 0; k < sizes.size(); ++k) {
      std::vector<std::byte> back(sizes[k] + 3, std::byte{0xEE});
      std::byte* dst = back.data() + (k % 3);
      store.get(k, dst, sizes[k]);
      EXPECT_EQ(checksum(dst, sizes[k]), sums[k]) << "key " << k << " size " << sizes[k];
      // Nothing written outside the destination.
      for (std::uint64_t i = 0; i < k % 3; ++i) EXPECT_EQ(back[i], std::byte{0xEE});
      EXPECT_EQ(back[(k % 3) + sizes[k]], std::byte{0xEE});
    }
    const ByteStoreStats s = store.stats();
    EXPECT_TRUE(s.direct_io);
    EXPECT_EQ(s.bytes_written, s.bytes_read);
    EXPECT_EQ(s.stored_bytes, s.bytes_written);
    std::uint64_t total = 0;
    for (const std::uint64_t size : sizes) total += size;
    EXPECT_EQ(s.bytes_written, total);
  }
}

TEST(RtByteStore, AlignedValuesGoStraightFromCallerMemory) {
  STRATA_REQUIRE_DIRECT_IO_DIR(dir);
  FileByteStore store(options_in(dir, 2, 4 * kMiB));
  void* raw = nullptr;
  ASSERT_EQ(posix_memalign(&raw, 4096, kMiB), 0);
  std::mt19937_64 rng(std::random_device{}());
  auto* p = static_cast<std::uint64_t*>(raw);
  for (std::size_t i = 0; i < kMiB / 8; ++i) p[i] = rng();
  const std::uint64_t sum = checksum(raw, kMiB);
  store.put(7, raw, kMiB);
  std::memset(raw, 0, kMiB);
  store.get(7, raw, kMiB);
  EXPECT_EQ(checksum(raw, kMiB), sum);
  EXPECT_EQ(store.stats().staged_ios, 0u);
  EXPECT_EQ(store.stats().direct_ios, 2 * kMiB / (64 * kKiB));  // put + get, 16 stripes each
  std::free(raw);
}

TEST(RtByteStore, StripesRoundRobinOverTheFiles) {
  STRATA_REQUIRE_DIRECT_IO_DIR(dir);
  const std::uint64_t stripe = 64 * kKiB;
  FileByteStore store(options_in(dir, 3, 2 * kMiB, stripe));
  // 7 stripes; stripe s holds the byte value s + 1.
  std::vector<std::byte> v(7 * stripe);
  for (std::uint64_t s = 0; s < 7; ++s)
    std::fill_n(v.begin() + static_cast<std::ptrdiff_t>(s * stripe), stripe,
                static_cast<std::byte>(s + 1));
  store.put(1, v.data(), v.size());  // first extent: logical offset 0
  const auto files = store.files();
  ASSERT_EQ(files.size(), 3u);
  for (std::uint64_t s = 0; s < 7; ++s) {
    const int fd = ::open(files[s % 3].c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    std::byte b{};
    ASSERT_EQ(::pread(fd, &b, 1, static_cast<off_t>((s / 3) * stripe + stripe / 2)), 1);
    EXPECT_EQ(b, static_cast<std::byte>(s + 1)) << "stripe " << s;
    ::close(fd);
  }
}

TEST(RtByteStore, FilesAndDescriptorsAreReleased) {
  STRATA_REQUIRE_DIRECT_IO_DIR(dir);
  const std::size_t fds_before = open_fd_count();
  std::vector<std::filesystem::path> files;
  {
    FileByteStore store(options_in(dir, 2, kMiB));
    files = store.files();
    for (const auto& f : files) EXPECT_TRUE(std::filesystem::exists(f)) << f;
    std::vector<std::byte> v(300 * kKiB, std::byte{3});
    (void)store.submit_put(1, v.data(), v.size());  // left in flight: the destructor waits
  }
  for (const auto& f : files) EXPECT_FALSE(std::filesystem::exists(f)) << f;
  EXPECT_EQ(open_fd_count(), fds_before);
}

TYPED_TEST_P(RtByteStoreContract, FullStoreThrowsOutOfMemoryAndKeepsWhatItHas) {
  STRATA_MAKE_STORE(store, 256 * kKiB);
  std::mt19937_64 rng(std::random_device{}());
  const auto a = random_bytes(rng, 100 * kKiB);
  const auto b = random_bytes(rng, 100 * kKiB + 5);
  store.put(1, a.data(), a.size());
  store.put(2, b.data(), b.size());
  const auto c = random_bytes(rng, 60 * kKiB);
  try {
    store.put(3, c.data(), c.size());
    FAIL() << "expected OutOfMemory";
  } catch (const OutOfMemory& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("key 3"), std::string::npos) << what;
    EXPECT_NE(what.find(std::to_string(60 * kKiB)), std::string::npos) << what;
    EXPECT_NE(what.find(std::to_string(256 * kKiB)), std::string::npos) << what;
  }
  EXPECT_FALSE(store.contains(3));
  std::vector<std::byte> back(b.size());
  store.get(2, back.data(), back.size());
  EXPECT_EQ(checksum(back.data(), back.size()), checksum(b.data(), b.size()));
  back.resize(a.size());
  store.get(1, back.data(), back.size());
  EXPECT_EQ(checksum(back.data(), back.size()), checksum(a.data(), a.size()));
  EXPECT_TRUE(store.erase(1));
  store.put(3, c.data(), c.size());  // room again
  EXPECT_EQ(store.stats().stored_bytes, b.size() + c.size());
}

TYPED_TEST_P(RtByteStoreContract, InjectedWriteFaultNamesFileAndOffsetAndLosesNothing) {
  STRATA_MAKE_STORE(store, 2 * kMiB);
  std::mt19937_64 rng(std::random_device{}());
  const auto old_value = random_bytes(rng, 150 * kKiB);
  const auto other = random_bytes(rng, 90 * kKiB + 1);
  store.put(1, old_value.data(), old_value.size());
  store.put(2, other.data(), other.size());
  const auto used_before = store.stats().largest_free_extent_bytes;
  // Fail the second I/O of the next put (a replacement of key 1).
  int writes = 0;
  std::string failed_file;
  std::uint64_t failed_offset = 0;
  store.set_fault_injector([&](const FaultSite& site) {
    if (site.op != IoOp::write || ++writes != 2) return false;
    failed_file = site.file->string();
    failed_offset = site.file_offset;
    return true;
  });
  const auto new_value = random_bytes(rng, 200 * kKiB);
  try {
    store.put(1, new_value.data(), new_value.size());
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(failed_file), std::string::npos) << what;
    EXPECT_NE(what.find("offset " + std::to_string(failed_offset)), std::string::npos) << what;
    EXPECT_NE(what.find("write"), std::string::npos) << what;
  }
  store.set_fault_injector({});
  EXPECT_EQ(store.stats().failed_requests, 1u);
  EXPECT_EQ(store.stats().largest_free_extent_bytes, used_before);  // the new extent freed
  std::vector<std::byte> back(old_value.size());
  store.get(1, back.data(), back.size());  // the old value, intact
  EXPECT_EQ(checksum(back.data(), back.size()), checksum(old_value.data(), old_value.size()));
  back.resize(other.size());
  store.get(2, back.data(), back.size());
  EXPECT_EQ(checksum(back.data(), back.size()), checksum(other.data(), other.size()));
}

TYPED_TEST_P(RtByteStoreContract, InjectedReadFaultFailsThatGetOnly) {
  STRATA_MAKE_STORE(store, kMiB);
  std::mt19937_64 rng(std::random_device{}());
  const auto v = random_bytes(rng, 130 * kKiB + 11);
  store.put(5, v.data(), v.size());
  store.set_fault_injector([](const FaultSite& site) { return site.op == IoOp::read; });
  std::vector<std::byte> back(v.size());
  EXPECT_THROW(store.get(5, back.data(), back.size()), IoError);
  store.set_fault_injector({});
  store.get(5, back.data(), back.size());
  EXPECT_EQ(checksum(back.data(), back.size()), checksum(v.data(), v.size()));
  EXPECT_EQ(store.stats().bytes_read, v.size());  // only the successful get counts
}

TEST(RtByteStore, BadOptionsAreInvalidInput) {
  STRATA_REQUIRE_DIRECT_IO_DIR(dir);
  EXPECT_THROW(FileByteStore(options_in(dir, 0, kMiB)), InvalidInput);
  EXPECT_THROW(FileByteStore(options_in(dir, 1, kMiB, 1000)), InvalidInput);
  EXPECT_THROW(FileByteStore(options_in(dir, 1, kMiB, 64 * kKiB, 0)), InvalidInput);
  EXPECT_THROW(FileByteStore(options_in(dir, 1, 100)), InvalidInput);
  EXPECT_THROW(FileByteStore(options_in("/nonexistent/strata", 1, kMiB)), IoError);
  EXPECT_THROW(MemoryByteStore({kMiB, 0, "m"}), InvalidInput);
}

TYPED_TEST_P(RtByteStoreContract, BadRequestsAreInvalidInput) {
  STRATA_MAKE_STORE(store, kMiB);
  std::vector<std::byte> v(10);
  EXPECT_THROW(store.get(9, v.data(), v.size()), InvalidInput);
  store.put(9, v.data(), v.size());
  EXPECT_THROW(store.get(9, v.data(), 9), InvalidInput);
  EXPECT_THROW(store.wait(IoTicket{12345}), InvalidInput);
  EXPECT_THROW(store.put(3, nullptr, 10), InvalidInput);
  EXPECT_THROW(store.get(9, nullptr, 10), InvalidInput);
  EXPECT_FALSE(store.erase(10));
}

TYPED_TEST_P(RtByteStoreContract, PollReportsCompletion) {
  STRATA_MAKE_STORE(store, 4 * kMiB, 2);
  std::vector<std::byte> v(2 * kMiB, std::byte{1});
  const IoTicket t = store.submit_put(1, v.data(), v.size());
  while (!store.poll(t)) {
  }
  EXPECT_TRUE(store.contains(1));
  EXPECT_THROW(store.poll(t), InvalidInput);  // forgotten once reported done
}

TYPED_TEST_P(RtByteStoreContract, ConcurrentCallersKeepTheirValues) {
  STRATA_MAKE_STORE(store, 16 * kMiB, 4);
  const std::uint64_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(seed + static_cast<std::uint64_t>(t));
      for (int round = 0; round < 6; ++round) {
        const std::uint64_t key = static_cast<std::uint64_t>(t * 100 + round % 3);
        const auto v = random_bytes(rng, 1 + rng() % (300 * kKiB));
        store.put(key, v.data(), v.size());  // rounds 3..5 replace rounds 0..2
        std::vector<std::byte> back(v.size());
        store.get(key, back.data(), back.size());
        if (checksum(back.data(), back.size()) != checksum(v.data(), v.size())) ++mismatches[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
  EXPECT_EQ(store.stats().stored_keys, 12u);
}

REGISTER_TYPED_TEST_SUITE_P(RtByteStoreContract, RandomValuesComeBackBitIdentical,
                            FullStoreThrowsOutOfMemoryAndKeepsWhatItHas,
                            InjectedWriteFaultNamesFileAndOffsetAndLosesNothing,
                            InjectedReadFaultFailsThatGetOnly, BadRequestsAreInvalidInput,
                            PollReportsCompletion, ConcurrentCallersKeepTheirValues);
using Stores = ::testing::Types<FileStoreFactory<1>, FileStoreFactory<3>, MemoryStoreFactory>;
INSTANTIATE_TYPED_TEST_SUITE_P(Rt, RtByteStoreContract, Stores);

// A writable ramfs mount (ramfs has no O_DIRECT), or empty.
std::filesystem::path writable_ramfs_mount() {
  std::ifstream mounts("/proc/mounts");
  std::string device, mount_point, type, rest;
  while (mounts >> device >> mount_point >> type && std::getline(mounts, rest))
    if (type == "ramfs" && ::access(mount_point.c_str(), W_OK) == 0) return mount_point;
  return {};
}

TEST(RtByteStore, RefusesFileSystemsWithoutDirectIoUnlessFallbackIsAllowed) {
  const auto ramfs = writable_ramfs_mount();
  if (ramfs.empty())
    GTEST_SKIP() << "no writable ramfs mount to try (e.g. mount -t ramfs none /mnt/x as root)";
  try {
    FileByteStore store(options_in(ramfs, 1, kMiB));
    FAIL() << "expected Unsupported";
  } catch (const Unsupported& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("does not support O_DIRECT"), std::string::npos) << what;
    EXPECT_NE(what.find(ramfs.string()), std::string::npos) << what;
  }
  EXPECT_TRUE(direct_io_unsupported_reason(ramfs).has_value());
  auto o = options_in(ramfs, 1, kMiB);
  o.allow_buffered_fallback = true;
  std::vector<std::filesystem::path> files;
  {
    FileByteStore store(o);
    files = store.files();
    std::vector<std::byte> v(5000, std::byte{6}), back(5000);
    store.put(1, v.data(), v.size());
    store.get(1, back.data(), back.size());
    EXPECT_EQ(back, v);
    EXPECT_FALSE(store.stats().direct_io);
  }
  for (const auto& f : files) EXPECT_FALSE(std::filesystem::exists(f)) << f;
  std::size_t left = 0;  // no probe or store files stay behind
  for (const auto& e : std::filesystem::directory_iterator(ramfs)) {
    const std::string name = e.path().filename().string();
    if (name.starts_with("strata-rt-test") || name.starts_with(".strata-direct-probe")) ++left;
  }
  EXPECT_EQ(left, 0u);
}

TEST(RtByteStore, UnalignedMemoryGoesThroughStaging) {
  STRATA_REQUIRE_DIRECT_IO_DIR(dir);
  FileByteStore store(options_in(dir, 1, kMiB));
  std::vector<std::byte> v(100 * kKiB + 1, std::byte{4});
  store.put(1, v.data() + 1, v.size() - 1);  // an odd address
  std::fill(v.begin(), v.end(), std::byte{0});
  store.get(1, v.data() + 1, v.size() - 1);
  EXPECT_EQ(std::count(v.begin() + 1, v.end(), std::byte{4}),
            static_cast<std::ptrdiff_t>(v.size() - 1));
  EXPECT_EQ(store.stats().direct_ios, 0u);
  EXPECT_EQ(store.stats().staged_ios, 2 * 2u);  // 100 KiB = 2 stripes of 64 KiB, put and get
}

}  // namespace
}  // namespace strata::rt
