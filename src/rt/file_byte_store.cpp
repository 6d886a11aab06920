#include "strata/rt/file_byte_store.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <liburing.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <unordered_map>

#include "strata/core/error.hpp"
#include "strata/core/units.hpp"
#include "strata/rt/best_fit.hpp"

namespace strata::rt {

namespace {

constexpr std::uint64_t kBlockBytes = 4096;  // O_DIRECT alignment of offsets, sizes, memory

std::uint64_t align_up(std::uint64_t v, std::uint64_t a) { return (v + a - 1) / a * a; }

struct AlignedFree {
  void operator()(std::byte* p) const noexcept { std::free(p); }
};
using AlignedBuffer = std::unique_ptr<std::byte, AlignedFree>;

AlignedBuffer aligned_buffer(std::uint64_t bytes) {
  void* p = nullptr;
  if (::posix_memalign(&p, kBlockBytes, bytes) != 0)
    throw OutOfMemory(
        fmt::format("byte store: cannot allocate a {} staging buffer", format_bytes(bytes)));
  return AlignedBuffer(static_cast<std::byte*>(p));
}

/// A created file: closed and removed when destroyed.
struct BackingFile {
  std::filesystem::path path;
  int fd = -1;
  BackingFile() = default;
  BackingFile(const BackingFile&) = delete;
  BackingFile& operator=(const BackingFile&) = delete;
  ~BackingFile() {
    if (fd >= 0) ::close(fd);
    if (!path.empty()) ::unlink(path.c_str());
  }
};

/// Creates a unique file in `directory`; opens it with O_DIRECT (if `direct`).
std::unique_ptr<BackingFile> create_file(const std::filesystem::path& directory,
                                         const std::string& prefix, bool direct) {
  std::string name = (directory / (prefix + "-XXXXXX")).string();
  const int tmp = ::mkstemp(name.data());
  if (tmp < 0)
    throw IoError(
        fmt::format("byte store: cannot create a file in {} ({}); check that the "
                    "directory exists and is writable",
                    directory.string(), std::strerror(errno)));
  auto file = std::make_unique<BackingFile>();
  file->path = name;
  ::close(tmp);
  file->fd = ::open(name.c_str(), O_RDWR | O_CLOEXEC | (direct ? O_DIRECT : 0));
  if (file->fd < 0) {
    const int err = errno;
    if (direct && err == EINVAL)
      throw Unsupported(fmt::format(
          "byte store: the file system of {} does not support O_DIRECT (open of {} failed: {}); "
          "put the store on a disk-backed file system (ext4, xfs) or allow the buffered "
          "fallback",
          directory.string(), name, std::strerror(err)));
    throw IoError(fmt::format("byte store: cannot open {} ({})", name, std::strerror(err)));
  }
  return file;
}

std::string probe_write(const BackingFile& file) {
  AlignedBuffer buf = aligned_buffer(kBlockBytes);
  std::memset(buf.get(), 0x5a, kBlockBytes);
  const ssize_t n = ::pwrite(file.fd, buf.get(), kBlockBytes, 0);
  if (n == static_cast<ssize_t>(kBlockBytes)) return {};
  return fmt::format("an O_DIRECT write of 4096 bytes to {} failed ({})", file.path.string(),
                     n < 0 ? std::strerror(errno) : "short write");
}

}  // namespace

std::optional<std::string> direct_io_unsupported_reason(const std::filesystem::path& directory) {
  try {
    const auto file = create_file(directory, ".strata-direct-probe", true);
    std::string why = probe_write(*file);
    if (why.empty()) return std::nullopt;
    return why;
  } catch (const Error& e) {
    return std::string(e.what());
  }
}

struct FileByteStore::Impl {
  struct Extent {
    std::uint64_t offset = 0;   // logical
    std::uint64_t bytes = 0;    // value size (the extent is this rounded up to 4 KiB)
    std::uint32_t readers = 0;  // gets in flight
  };
  struct Request {
    IoOp op = IoOp::read;
    std::uint64_t key = 0;
    std::byte* memory = nullptr;  // source (write) or destination (read)
    std::uint64_t bytes = 0;
    std::uint64_t extent_offset = 0;
    std::uint64_t prepared_bytes = 0;  // request bytes handed to I/Os so far
    std::uint32_t in_flight = 0;
    bool done = false;
    std::string error;  // empty: success
  };
  struct Slot {  // one I/O in flight
    std::uint64_t request = 0;
    std::uint64_t request_offset = 0;
    std::uint64_t bytes = 0;   // value bytes covered
    std::uint64_t padded = 0;  // bytes transferred (bytes rounded up to 4 KiB)
    std::size_t file = 0;
    std::uint64_t file_offset = 0;
    std::byte* staging = nullptr;
  };

  FileByteStoreOptions options;
  std::vector<std::unique_ptr<BackingFile>> files;
  bool direct = true;
  io_uring ring{};
  bool ring_ready = false;
  mutable std::mutex mutex;
  std::condition_variable reaped;  // the reaper reaped completions
  bool reaping = false;            // a caller is in io_uring_wait_cqe (Note [one reaper])
  BestFitAllocator space;
  std::unordered_map<std::uint64_t, Extent> keys;  // key -> its value's extent
  std::unordered_map<std::uint64_t, Request> requests;
  std::deque<std::uint64_t> waiting;  // requests with bytes not yet handed to I/Os
  std::vector<Slot> slots;
  std::vector<std::uint32_t> free_slots;
  std::vector<AlignedBuffer> staging;  // one per slot, made on first use
  std::uint32_t in_flight = 0;
  std::uint64_t next_request = 1;
  FaultInjector injector;
  ByteStoreStats counters;

  explicit Impl(FileByteStoreOptions o)
      : options(std::move(o)), space(options.capacity_bytes, kBlockBytes) {}

  ~Impl() {
    drain();
    if (ring_ready) io_uring_queue_exit(&ring);
  }

  /// Waits for every I/O already issued (issues nothing new).
  void drain() noexcept {
    while (ring_ready && in_flight > 0) {
      io_uring_cqe* cqe = nullptr;
      if (io_uring_wait_cqe(&ring, &cqe) < 0) break;
      const auto slot = static_cast<std::uint32_t>(io_uring_cqe_get_data64(cqe));
      const int res = cqe->res;
      io_uring_cqe_seen(&ring, cqe);
      complete(slot, res);
    }
  }

  void fail(Request& r, std::string message) {
    if (r.error.empty()) r.error = std::move(message);
    r.prepared_bytes = r.bytes;  // issue no more of it
  }

  /// Hands queued request bytes to free slots; returns how many SQEs were prepared.
  unsigned issue() {
    unsigned prepared = 0;
    while (!waiting.empty() && !free_slots.empty()) {
      const std::uint64_t id = waiting.front();
      Request& r = requests.at(id);
      if (r.prepared_bytes >= r.bytes) {
        waiting.pop_front();
        continue;
      }
      const std::uint64_t logical = r.extent_offset + r.prepared_bytes;
      const std::uint64_t stripe = logical / options.stripe_bytes;
      const std::uint64_t in_stripe = logical % options.stripe_bytes;
      Slot s;
      s.request = id;
      s.request_offset = r.prepared_bytes;
      s.bytes = std::min(options.stripe_bytes - in_stripe, r.bytes - r.prepared_bytes);
      s.padded = align_up(s.bytes, kBlockBytes);
      s.file = static_cast<std::size_t>(stripe % files.size());
      s.file_offset = (stripe / files.size()) * options.stripe_bytes + in_stripe;
      r.prepared_bytes += s.bytes;
      std::byte* memory = r.memory + s.request_offset;
      const std::uint32_t index = free_slots.back();
      free_slots.pop_back();
      const bool aligned = reinterpret_cast<std::uintptr_t>(memory) % kBlockBytes == 0;
      if (!aligned || s.padded != s.bytes) {
        if (!staging[index]) staging[index] = aligned_buffer(options.stripe_bytes);
        s.staging = staging[index].get();
        if (r.op == IoOp::write) {
          std::memcpy(s.staging, memory, s.bytes);
          std::memset(s.staging + s.bytes, 0, s.padded - s.bytes);
        }
        ++counters.staged_ios;
      } else {
        ++counters.direct_ios;
      }
      slots[index] = s;
      ++r.in_flight;
      ++in_flight;
      const FaultSite site{r.op, &files[s.file]->path, s.file_offset, s.padded};
      if (injector && injector(site)) {
        complete(index, -EIO, " (injected fault)");
        continue;
      }
      io_uring_sqe* sqe = io_uring_get_sqe(&ring);
      STRATA_EXPECTS(sqe != nullptr, "io_uring submission queue full with a free slot");
      void* buffer = s.staging != nullptr ? static_cast<void*>(s.staging) : memory;
      const int fd = files[s.file]->fd;
      if (r.op == IoOp::write)
        io_uring_prep_write(sqe, fd, buffer, static_cast<unsigned>(s.padded), s.file_offset);
      else
        io_uring_prep_read(sqe, fd, buffer, static_cast<unsigned>(s.padded), s.file_offset);
      io_uring_sqe_set_data64(sqe, index);
      ++prepared;
    }
    if (prepared > 0) {
      const int rc = io_uring_submit(&ring);
      if (rc < 0)
        throw IoError(fmt::format("byte store: io_uring_submit failed ({})", std::strerror(-rc)));
    }
    return prepared;
  }

  /// One I/O finished with result `res` (bytes or -errno).
  void complete(std::uint32_t index, int res, const char* note = "") {
    const Slot s = slots[index];
    free_slots.push_back(index);
    --in_flight;
    Request& r = requests.at(s.request);
    --r.in_flight;
    if (res != static_cast<int>(s.padded)) {
      fail(r, fmt::format(
                  "byte store: {} of {} bytes at offset {} of {} failed: {}{}; the "
                  "stored data of other keys is intact",
                  r.op == IoOp::write ? "write" : "read", s.padded, s.file_offset,
                  files[s.file]->path.string(),
                  res < 0 ? std::strerror(-res) : fmt::format("transferred {} bytes", res).c_str(),
                  note));
    } else if (r.op == IoOp::read && s.staging != nullptr && r.error.empty()) {
      std::memcpy(r.memory + s.request_offset, s.staging, s.bytes);
    }
    if (r.in_flight == 0 && r.prepared_bytes >= r.bytes) finish(r);
  }

  void finish(Request& r) {
    r.done = true;
    if (r.op == IoOp::read) {
      if (auto it = keys.find(r.key); it != keys.end()) --it->second.readers;
      if (r.error.empty()) counters.bytes_read += r.bytes;
    } else if (r.error.empty()) {
      if (auto it = keys.find(r.key); it != keys.end()) {
        counters.stored_bytes -= it->second.bytes;
        if (it->second.bytes > 0) space.free(it->second.offset);
        keys.erase(it);
      }
      keys.emplace(r.key, Extent{r.extent_offset, r.bytes, 0});
      counters.stored_bytes += r.bytes;
      counters.bytes_written += r.bytes;
    } else if (r.bytes > 0) {
      space.free(r.extent_offset);  // the new extent; the old value stays
    }
    if (!r.error.empty()) ++counters.failed_requests;
  }

  void reap_ready() {
    io_uring_cqe* cqe = nullptr;
    while (in_flight > 0 && io_uring_peek_cqe(&ring, &cqe) == 0) {
      const auto index = static_cast<std::uint32_t>(io_uring_cqe_get_data64(cqe));
      const int res = cqe->res;
      io_uring_cqe_seen(&ring, cqe);
      complete(index, res);
    }
  }

  IoTicket enqueue(Request r) {
    const std::uint64_t id = next_request++;
    const bool empty = r.bytes == 0;
    auto& stored = requests.emplace(id, std::move(r)).first->second;
    if (empty) {
      finish(stored);
    } else {
      waiting.push_back(id);
      issue();
    }
    return IoTicket{id};
  }

  /// Returns true when done; throws its error (forgetting it) if it failed.
  /// Note [one reaper]: only one caller at a time blocks in io_uring_wait_cqe, without the
  /// lock, so other callers keep submitting meanwhile; while it waits nobody else touches the
  /// completion queue, and the rest wait on `reaped` until it has reaped and woken them.
  bool check(IoTicket ticket, bool block) {
    std::unique_lock lock(mutex);
    if (!requests.contains(ticket.id))
      throw InvalidInput(
          fmt::format("byte store: ticket {} is unknown (never issued, or already "
                      "waited for)",
                      ticket.id));
    for (;;) {
      if (!reaping) reap_ready();
      issue();
      const auto it = requests.find(ticket.id);
      STRATA_EXPECTS(it != requests.end(), "byte store ticket forgotten while waited for");
      if (it->second.done) {
        std::string error = std::move(it->second.error);
        requests.erase(it);
        if (!error.empty()) throw IoError(error);
        return true;
      }
      if (!block) return false;
      if (reaping) {
        reaped.wait(lock);
        continue;
      }
      STRATA_EXPECTS(in_flight > 0, "byte store request pending with no I/O in flight");
      reaping = true;
      lock.unlock();
      io_uring_cqe* cqe = nullptr;
      const int rc = io_uring_wait_cqe(&ring, &cqe);
      lock.lock();
      reaping = false;
      reap_ready();
      reaped.notify_all();
      if (rc < 0 && rc != -EINTR)
        throw IoError(fmt::format("byte store: io_uring_wait_cqe failed ({})", std::strerror(-rc)));
    }
  }
};

FileByteStore::FileByteStore(FileByteStoreOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {
  Impl& s = *impl_;
  const FileByteStoreOptions& o = s.options;
  if (o.directories.empty())
    throw InvalidInput(
        "byte store: no directories given; name at least one directory for its "
        "file");
  if (o.stripe_bytes == 0 || o.stripe_bytes % kBlockBytes != 0 || o.stripe_bytes > (1ULL << 30))
    throw InvalidInput(
        fmt::format("byte store: stripe_bytes {} must be a multiple of 4096 up to "
                    "1 GiB",
                    o.stripe_bytes));
  if (o.queue_depth == 0 || o.queue_depth > 4096)
    throw InvalidInput(fmt::format("byte store: queue_depth {} must be 1..4096", o.queue_depth));
  if (o.capacity_bytes < kBlockBytes)
    throw InvalidInput(fmt::format("byte store: capacity {} bytes is below one 4096-byte block",
                                   o.capacity_bytes));
  const std::uint64_t stripes = (o.capacity_bytes + o.stripe_bytes - 1) / o.stripe_bytes;
  const std::uint64_t file_bytes =
      (stripes + o.directories.size() - 1) / o.directories.size() * o.stripe_bytes;
  for (const auto& dir : o.directories) {
    std::unique_ptr<BackingFile> f;
    try {
      f = create_file(dir, o.file_prefix, true);
      if (std::string why = probe_write(*f); !why.empty())
        throw Unsupported(
            fmt::format("byte store: the file system of {} does not support "
                        "O_DIRECT ({}); use a disk-backed file system or allow "
                        "the buffered fallback",
                        dir.string(), why));
    } catch (const Unsupported&) {
      if (!o.allow_buffered_fallback) throw;
      f = create_file(dir, o.file_prefix, false);
      s.direct = false;
    }
    if (const int rc = ::posix_fallocate(f->fd, 0, static_cast<off_t>(file_bytes)); rc != 0) {
      if (rc == ENOSPC)
        throw OutOfMemory(
            fmt::format("byte store: {} has no room for a {} file ({}); free disk "
                        "space or lower the capacity",
                        dir.string(), format_bytes(file_bytes), f->path.string()));
      if (::ftruncate(f->fd, static_cast<off_t>(file_bytes)) != 0)
        throw IoError(fmt::format("byte store: cannot size {} to {} ({})", f->path.string(),
                                  file_bytes, std::strerror(errno)));
    }
    s.files.push_back(std::move(f));
  }
  const int rc = io_uring_queue_init(o.queue_depth, &s.ring, 0);
  if (rc < 0)
    throw Unsupported(
        fmt::format("byte store: io_uring is unavailable ({}); it needs Linux 5.6+ "
                    "and is blocked by some container seccomp profiles",
                    std::strerror(-rc)));
  s.ring_ready = true;
  s.slots.resize(o.queue_depth);
  s.staging.resize(o.queue_depth);
  for (std::uint32_t i = o.queue_depth; i > 0; --i) s.free_slots.push_back(i - 1);
  s.counters.capacity_bytes = s.space.capacity_bytes();
  s.counters.direct_io = s.direct;
}

FileByteStore::~FileByteStore() = default;

IoTicket FileByteStore::submit_put(std::uint64_t key, const void* src, std::uint64_t bytes) {
  if (bytes > 0 && src == nullptr)
    throw InvalidInput(
        fmt::format("byte store: put of key {} ({} bytes) from a null pointer", key, bytes));
  Impl& s = *impl_;
  std::lock_guard lock(s.mutex);
  if (auto it = s.keys.find(key); it != s.keys.end() && it->second.readers > 0)
    throw InvalidInput(
        fmt::format("byte store: put of key {} while a get of it is in flight; "
                    "wait for the get first",
                    key));
  Impl::Request r;
  r.op = IoOp::write;
  r.key = key;
  r.memory = static_cast<std::byte*>(const_cast<void*>(src));
  r.bytes = bytes;
  if (bytes > 0) {
    const auto offset = s.space.allocate(bytes, kBlockBytes);
    if (!offset) {
      const BestFitStats st = s.space.stats();
      throw OutOfMemory(fmt::format(
          "byte store: no room for key {} ({} bytes, {} on disk): capacity {} bytes, {} bytes "
          "in {} extents used, {} free, largest free extent {} bytes; erase keys or raise the "
          "store capacity",
          key, bytes, s.space.rounded(bytes), st.capacity_bytes, st.used_bytes, st.live_block_count,
          st.free_bytes, st.largest_free_block_bytes));
    }
    r.extent_offset = *offset;
  }
  return s.enqueue(std::move(r));
}

IoTicket FileByteStore::submit_get(std::uint64_t key, void* dst, std::uint64_t bytes) {
  if (bytes > 0 && dst == nullptr)
    throw InvalidInput(
        fmt::format("byte store: get of key {} ({} bytes) into a null pointer", key, bytes));
  Impl& s = *impl_;
  std::lock_guard lock(s.mutex);
  const auto it = s.keys.find(key);
  if (it == s.keys.end())
    throw InvalidInput(
        fmt::format("byte store: key {} is not stored; put it before getting it", key));
  if (it->second.bytes != bytes)
    throw InvalidInput(
        fmt::format("byte store: get of key {} asks for {} bytes but {} are "
                    "stored",
                    key, bytes, it->second.bytes));
  ++it->second.readers;
  Impl::Request r;
  r.op = IoOp::read;
  r.key = key;
  r.memory = static_cast<std::byte*>(dst);
  r.bytes = bytes;
  r.extent_offset = it->second.offset;
  return s.enqueue(std::move(r));
}

bool FileByteStore::poll(IoTicket ticket) { return impl_->check(ticket, false); }
void FileByteStore::wait(IoTicket ticket) { impl_->check(ticket, true); }

bool FileByteStore::erase(std::uint64_t key) {
  Impl& s = *impl_;
  std::lock_guard lock(s.mutex);
  const auto it = s.keys.find(key);
  if (it == s.keys.end()) return false;
  if (it->second.readers > 0)
    throw InvalidInput(
        fmt::format("byte store: erase of key {} while a get of it is in flight; "
                    "wait for the get first",
                    key));
  if (it->second.bytes > 0) s.space.free(it->second.offset);
  s.counters.stored_bytes -= it->second.bytes;
  s.keys.erase(it);
  return true;
}

bool FileByteStore::contains(std::uint64_t key) const {
  std::lock_guard lock(impl_->mutex);
  return impl_->keys.contains(key);
}

std::optional<std::uint64_t> FileByteStore::size_of(std::uint64_t key) const {
  std::lock_guard lock(impl_->mutex);
  const auto it = impl_->keys.find(key);
  if (it == impl_->keys.end()) return std::nullopt;
  return it->second.bytes;
}

ByteStoreStats FileByteStore::stats() const {
  std::lock_guard lock(impl_->mutex);
  ByteStoreStats st = impl_->counters;
  st.stored_keys = impl_->keys.size();
  st.largest_free_extent_bytes = impl_->space.stats().largest_free_block_bytes;
  return st;
}

std::vector<std::filesystem::path> FileByteStore::files() const {
  std::vector<std::filesystem::path> out;
  for (const auto& f : impl_->files) out.push_back(f->path);
  return out;
}

const FileByteStoreOptions& FileByteStore::options() const noexcept { return impl_->options; }

void FileByteStore::set_fault_injector(FaultInjector injector) {
  std::lock_guard lock(impl_->mutex);
  impl_->injector = std::move(injector);
}

}  // namespace strata::rt
