#include "common/audit_log.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>
#include <unordered_set>

#include "common/encoding.h"
#include "common/log.h"

namespace safedesk {
namespace {

constexpr std::size_t kScanBlockBytes = 64 * 1024;
// Type strings are short stable identifiers; anything longer is a caller's bug.
constexpr std::size_t kMaxTypeBytes = 64;

Error ErrnoError(std::string_view what, const std::filesystem::path& path) {
  return MakeError(Errc::kIo, fmt::format("{}: {}: {}", path.string(), what, std::strerror(errno)));
}

// Owns a file descriptor until released.
class UniqueFd {
 public:
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  UniqueFd& operator=(UniqueFd&&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

std::filesystem::path DirectoryOf(const std::filesystem::path& path) {
  return path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
}

// A new or renamed directory entry is durable only once the directory itself is synced.
Result<void> SyncDirectory(const std::filesystem::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoError("cannot open directory", dir);
  if (::fsync(fd.get()) != 0) return ErrnoError("cannot sync directory", dir);
  return Ok();
}

// Opens for append and takes an exclusive lock: two writers would fork the chain. The
// kernel drops the lock when the process dies, so a crashed writer never blocks a restart.
Result<UniqueFd> OpenAndLock(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
  if (fd.get() < 0) return ErrnoError("cannot open audit log", path);
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return MakeError(Errc::kUnavailable,
                       path.string() + ": audit log is open for writing by another process");
    }
    return ErrnoError("cannot lock audit log", path);
  }
  return UniqueFd(fd.release());
}

Result<void> ReadExact(int fd, off_t offset, char* out, std::size_t size,
                       const std::filesystem::path& path) {
  while (size > 0) {
    const ssize_t n = ::pread(fd, out, size, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("cannot read", path);
    if (n == 0) return MakeError(Errc::kIo, path.string() + ": file shrank while being read");
    out += n;
    offset += n;
    size -= static_cast<std::size_t>(n);
  }
  return Ok();
}

Result<void> WriteAll(int fd, std::string_view bytes, const std::filesystem::path& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("cannot write", path);
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return Ok();
}

// Offset of the last '\n' in [end - limit, end) (limit < 0: the whole prefix), or -1.
Result<off_t> FindLastNewline(int fd, off_t end, off_t limit, const std::filesystem::path& path) {
  std::vector<char> block(kScanBlockBytes);
  const off_t stop = limit < 0 ? 0 : std::max<off_t>(0, end - limit);
  off_t pos = end;
  while (pos > stop) {
    const auto n = static_cast<std::size_t>(std::min<off_t>(static_cast<off_t>(block.size()), pos - stop));
    pos -= static_cast<off_t>(n);
    SAFEDESK_TRY(ReadExact(fd, pos, block.data(), n, path));
    for (std::size_t i = n; i-- > 0;) {
      if (block[i] == '\n') return pos + static_cast<off_t>(i);
    }
  }
  return off_t{-1};
}

std::string TimeForFileName(Clock& clock) {
  std::string ts = FormatRfc3339(clock.Now());
  std::erase(ts, ':');  // colons trip up scp and some archive tools
  return ts;
}

// Creates FILE.torn-<time>[-N] exclusively, so an earlier crash's bytes are never overwritten.
Result<std::pair<UniqueFd, std::filesystem::path>> CreateTornFile(const std::filesystem::path& path,
                                                                  Clock& clock) {
  const std::string base = path.string() + ".torn-" + TimeForFileName(clock);
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::filesystem::path name = attempt == 0 ? base : fmt::format("{}-{}", base, attempt);
    UniqueFd fd(::open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (fd.get() >= 0) return std::pair{UniqueFd(fd.release()), std::move(name)};
    if (errno != EEXIST) return ErrnoError("cannot create", name);
  }
  return MakeError(Errc::kAlreadyExists, base + ": too many torn files with this name");
}

// Copies [begin, end) of `fd` into a new torn file and syncs it, before anything is cut.
Result<std::filesystem::path> MoveTailAside(int fd, off_t begin, off_t end,
                                            const std::filesystem::path& path, Clock& clock) {
  auto torn = CreateTornFile(path, clock);
  if (!torn) return torn.error();
  auto& [torn_fd, torn_path] = *torn;
  std::vector<char> block(kScanBlockBytes);
  for (off_t pos = begin; pos < end;) {
    const auto n = static_cast<std::size_t>(std::min<off_t>(static_cast<off_t>(block.size()), end - pos));
    SAFEDESK_TRY(ReadExact(fd, pos, block.data(), n, path));
    SAFEDESK_TRY(WriteAll(torn_fd.get(), std::string_view(block.data(), n), torn_path));
    pos += static_cast<off_t>(n);
  }
  if (::fsync(torn_fd.get()) != 0) return ErrnoError("cannot sync", torn_path);
  SAFEDESK_TRY(SyncDirectory(DirectoryOf(path)));
  return std::move(torn_path);
}

Result<AuditTailRecovery> RecoverTailOnFd(int fd, const std::filesystem::path& path, Clock& clock) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return ErrnoError("cannot stat", path);
  const off_t size = st.st_size;
  auto last_newline = FindLastNewline(fd, size, -1, path);
  if (!last_newline) return last_newline.error();
  const off_t keep = *last_newline + 1;
  if (keep == size) return AuditTailRecovery{};
  auto torn_path = MoveTailAside(fd, keep, size, path, clock);
  if (!torn_path) return torn_path.error();
  if (::ftruncate(fd, keep) != 0 || ::fsync(fd) != 0) return ErrnoError("cannot cut torn line", path);
  const auto torn_bytes = static_cast<std::uint64_t>(size - keep);
  log::Main()->warn("audit log {}: incomplete last line ({} bytes) moved to {}", path.string(),
                    torn_bytes, torn_path->string());
  return AuditTailRecovery{torn_bytes, std::move(*torn_path)};
}

struct LastRecord {
  AuditRecord record;
  std::string hash;
};

// The last line of a file that ends with '\n' (RecoverTailOnFd made sure of it).
Result<std::optional<LastRecord>> ReadLastRecord(int fd, const std::filesystem::path& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return ErrnoError("cannot stat", path);
  if (st.st_size == 0) return std::optional<LastRecord>();
  const off_t end = st.st_size - 1;  // the final '\n'
  auto previous = FindLastNewline(fd, end, static_cast<off_t>(kMaxAuditLineBytes) + 1, path);
  if (!previous) return previous.error();
  const off_t begin = *previous + 1;
  if (*previous < 0 && end > static_cast<off_t>(kMaxAuditLineBytes)) {
    return MakeError(Errc::kCorrupt, path.string() + ": last line exceeds the line cap");
  }
  std::string line(static_cast<std::size_t>(end - begin), '\0');
  SAFEDESK_TRY(ReadExact(fd, begin, line.data(), line.size(), path));
  auto record = ParseAuditRecord(line);
  if (!record) {
    return MakeError(Errc::kCorrupt,
                     fmt::format("{}: last record is unreadable ({}); run 'safedeskctl audit verify'",
                                 path.string(), record.error().message));
  }
  return std::optional<LastRecord>(LastRecord{std::move(*record), HashAuditLine(line)});
}

bool IsClosingCheckpoint(const AuditRecord& record) {
  const AuditValue* final = record.Find("final");
  return record.type == kAuditTypeCheckpoint && final != nullptr &&
         std::holds_alternative<bool>(*final) && std::get<bool>(*final);
}

Result<void> CheckEvent(const AuditEvent& event) {
  if (event.type.empty() || event.type.size() > kMaxTypeBytes) {
    return MakeError(Errc::kInvalidArgument, "audit event type is empty or too long");
  }
  if (event.type.starts_with("audit.")) {
    return MakeError(Errc::kInvalidArgument, "audit event types \"audit.*\" are reserved for the log");
  }
  std::unordered_set<std::string_view> keys;
  for (const auto& field : event.fields) {
    if (field.key.empty() || !keys.insert(field.key).second) {
      return MakeError(Errc::kInvalidArgument,
                       fmt::format("audit event {} has an empty or repeated field key", event.type));
    }
  }
  return Ok();
}

}  // namespace

Result<AuditTailRecovery> RecoverAuditTail(const std::filesystem::path& path, Clock& clock) {
  auto fd = OpenAndLock(path);
  if (!fd) return fd.error();
  return RecoverTailOnFd(fd->get(), path, clock);
}

AuditLog::AuditLog(int fd, std::filesystem::path path, Ed25519PrivateKey signing_key,
                   const AuditLogOptions& options, Clock& clock)
    : path_(std::move(path)),
      signing_key_(std::move(signing_key)),
      key_fingerprint_(AuditKeyFingerprint(signing_key_.public_key())),
      options_(options),
      clock_(clock),
      fd_(fd) {}

Result<std::unique_ptr<AuditLog>> AuditLog::Open(const std::filesystem::path& path,
                                                 Ed25519PrivateKey signing_key,
                                                 const AuditLogOptions& options, Clock& clock) {
  if (options.checkpoint_every < 1 || options.checkpoint_every > kMaxAuditCheckpointEvery) {
    return MakeError(Errc::kInvalidArgument,
                     fmt::format("checkpoint_every must be 1..{}", kMaxAuditCheckpointEvery));
  }
  auto fd = OpenAndLock(path);
  if (!fd) return fd.error();
  auto tail = RecoverTailOnFd(fd->get(), path, clock);
  if (!tail) return tail.error();
  auto last = ReadLastRecord(fd->get(), path);
  if (!last) return last.error();
  SAFEDESK_TRY(SyncDirectory(DirectoryOf(path)));

  std::unique_ptr<AuditLog> log(new AuditLog(fd->release(), path, std::move(signing_key), options, clock));
  log->open_report_.tail = std::move(*tail);
  log->open_report_.created = !last->has_value();
  log->open_report_.previous_closed = last->has_value() && IsClosingCheckpoint((*last)->record);
  const std::uint64_t next_seq = last->has_value() ? (*last)->record.seq + 1 : 1;
  std::string last_hash = last->has_value() ? (*last)->hash : std::string(kAuditGenesisPrev);
  SAFEDESK_TRY(log->StartRun(next_seq, std::move(last_hash), log->open_report_.previous_closed));
  return log;
}

Result<void> AuditLog::StartRun(std::uint64_t next_seq, std::string last_hash, bool previous_closed) {
  std::unique_lock lock(mu_);
  next_seq_ = next_seq;
  durable_seq_ = next_seq - 1;
  last_hash_ = std::move(last_hash);
  // A run that follows an unclosed one says so in its type, so an auditor searching for
  // crashes finds them; the signature makes the (possibly unsigned) tail before it stick.
  const bool clean = open_report_.created || previous_closed;
  std::vector<AuditField> data = {
      {"format", kAuditFormatVersion},
      {"checkpoint_every", options_.checkpoint_every},
      {"torn_bytes", static_cast<std::int64_t>(open_report_.tail.torn_bytes)},
      {"torn_file", open_report_.tail.torn_file.filename().string()},
  };
  auto seq = AddRecordLocked(clean ? kAuditTypeOpened : kAuditTypeRecovered, "", std::move(data), true);
  if (!seq) return seq.error();
  open_report_.first_seq = *seq;
  return WaitDurableLocked(lock, *seq);
}

AuditLog::~AuditLog() {
  if (auto closed = Close(); !closed) {
    log::Main()->error("audit log close failed: {}", closed.error().message);
  }
}

Result<void> AuditLog::Append(const AuditEvent& event) {
  auto seq = AppendWithSeq(event);
  if (!seq) return seq.error();
  return Ok();
}

Result<std::uint64_t> AuditLog::AppendWithSeq(const AuditEvent& event) {
  SAFEDESK_TRY(CheckEvent(event));
  std::unique_lock lock(mu_);
  if (closed_) return MakeError(Errc::kUnavailable, path_.string() + ": audit log is closed");
  if (failure_) return *failure_;
  auto seq = AddRecordLocked(event.type, event.session_id, event.fields, false);
  if (!seq) return seq.error();
  std::uint64_t wait_for = *seq;
  if (unsigned_count_ >= options_.checkpoint_every) {
    auto checkpoint = AddCheckpointLocked(false);
    if (!checkpoint) return checkpoint.error();
    wait_for = *checkpoint;
  }
  SAFEDESK_TRY(WaitDurableLocked(lock, wait_for));
  return *seq;
}

Result<void> AuditLog::Close() {
  std::unique_lock lock(mu_);
  if (closed_) return Ok();
  closed_ = true;
  Result<void> result = Ok();
  if (failure_) {
    result = *failure_;
  } else if (auto checkpoint = AddCheckpointLocked(true); !checkpoint) {
    result = checkpoint.error();
  } else {
    result = WaitDurableLocked(lock, *checkpoint);
  }
  durable_cv_.wait(lock, [this] { return !flushing_; });
  ::close(fd_);  // also releases the flock
  fd_ = -1;
  return result;
}

AuditLog::Stats AuditLog::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

Result<std::uint64_t> AuditLog::AddCheckpointLocked(bool final) {
  return AddRecordLocked(kAuditTypeCheckpoint, "", {{"final", final}}, true);
}

// Formats the next record into pending_ and advances the chain. Nothing is written yet.
Result<std::uint64_t> AuditLog::AddRecordLocked(std::string_view type, std::string_view session,
                                                std::vector<AuditField> data, bool sign) {
  AuditRecord record{next_seq_, FormatRfc3339(clock_.Now()), std::string(type),
                     std::string(session), last_hash_, std::move(data)};
  if (sign) {
    record.data.push_back({"key", key_fingerprint_});
    record.data.push_back({"sig", std::string()});
    const Ed25519Signature signature = signing_key_.Sign(AsBytes(AuditSignedMessage(record)));
    record.data.back().value = Base64UrlEncode(signature);
  }
  std::string line = SerializeAuditRecord(record);
  if (line.size() > kMaxAuditLineBytes) {
    return MakeError(Errc::kLimitExceeded,
                     fmt::format("audit event {} serialises to {} bytes, over the {}-byte cap",
                                 record.type, line.size(), kMaxAuditLineBytes));
  }
  last_hash_ = HashAuditLine(line);
  pending_ += line;
  pending_ += '\n';
  pending_end_seq_ = record.seq;
  unsigned_count_ = sign ? 0 : unsigned_count_ + 1;
  ++stats_.records;
  return next_seq_++;
}

// Group commit: whoever finds no flush running takes everything pending, writes and syncs
// it without the lock, and wakes the others; records added meanwhile go in the next batch.
Result<void> AuditLog::WaitDurableLocked(std::unique_lock<std::mutex>& lock, std::uint64_t seq) {
  while (durable_seq_ < seq) {
    if (failure_) return *failure_;
    if (flushing_) {
      durable_cv_.wait(lock);
      continue;
    }
    flushing_ = true;
    if (options_.group_commit_delay.count() > 0) {
      lock.unlock();
      std::this_thread::sleep_for(options_.group_commit_delay);
      lock.lock();
    }
    const std::string batch = std::exchange(pending_, std::string());
    const std::uint64_t batch_end = pending_end_seq_;
    lock.unlock();
    Result<void> written = WriteAndSync(batch);
    lock.lock();
    flushing_ = false;
    if (written) {
      durable_seq_ = batch_end;
      ++stats_.syncs;
    } else {
      // The message names the file; the records of this batch were not acknowledged.
      log::Main()->error("audit log write failed, refusing further appends: {}",
                         written.error().message);
      failure_ = written.error();
    }
    durable_cv_.notify_all();
  }
  return Ok();
}

Result<void> AuditLog::WriteAndSync(const std::string& batch) {
  SAFEDESK_TRY(WriteAll(fd_, batch, path_));
  // fdatasync covers the data and the grown size, which is all a reader needs.
  if (::fdatasync(fd_) != 0) return ErrnoError("cannot sync", path_);
  return Ok();
}

}  // namespace safedesk
