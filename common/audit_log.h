#pragma once
// The tamper-evident audit log: an append-only file of hash-chained JSON lines with signed
// checkpoints (format: common/AUDIT_FORMAT.md; checker: audit_verify.h).
//
// Append returns only once its record is on disk (fdatasync); concurrent appenders share
// one fdatasync (group commit). Open recovers from a crash: an incomplete last line is
// moved aside to FILE.torn-<time>, and the new run's first record says so. If a write or
// sync fails, that Append and every later one return an error, so callers fail closed.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/audit_event.h"
#include "common/audit_record.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/result.h"

namespace safedesk {

// A signed checkpoint may be at most this many records apart; it bounds the unsigned
// tail a live log shows (and matches config's limit for audit.checkpoint_every).
inline constexpr std::int64_t kMaxAuditCheckpointEvery = 1'000'000;

struct AuditLogOptions {
  std::int64_t checkpoint_every = 100;  // a signed checkpoint after this many records
  // How long a flushing appender waits for others to join its fdatasync. Zero still
  // groups whoever arrives while a sync is running.
  std::chrono::microseconds group_commit_delay{0};
};

// What Open found and repaired.
struct AuditTailRecovery {
  std::uint64_t torn_bytes = 0;       // bytes after the last complete line, moved aside
  std::filesystem::path torn_file;    // where they went; empty when torn_bytes is 0
};

struct AuditOpenReport {
  bool created = false;          // no complete record was there before
  bool previous_closed = false;  // the last run ended with a closing checkpoint
  std::uint64_t first_seq = 0;   // seq of this run's audit.opened / audit.recovered
  AuditTailRecovery tail;
};

// Moves an incomplete last line of `path` aside (see AuditLog::Open) without starting a
// run; for tools that inspect a crashed log. Takes the same exclusive lock as a writer.
Result<AuditTailRecovery> RecoverAuditTail(const std::filesystem::path& path, Clock& clock);

class AuditLog final : public AuditSink {
 public:
  // Creates `path` (mode 0600) or continues its chain. Fails if another process has it
  // open for writing, or if its last complete line is not a valid record (a person must
  // look: `safedeskctl audit verify`).
  static Result<std::unique_ptr<AuditLog>> Open(const std::filesystem::path& path,
                                                Ed25519PrivateKey signing_key,
                                                const AuditLogOptions& options, Clock& clock);
  // Closes the log (closing checkpoint) if Close was not called.
  ~AuditLog() override;
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Types starting with "audit." are reserved for the log itself.
  Result<void> Append(const AuditEvent& event) override;
  // As Append, and returns the record's seq.
  Result<std::uint64_t> AppendWithSeq(const AuditEvent& event);

  // Writes the closing checkpoint and closes the file. Later appends fail.
  Result<void> Close();

  const AuditOpenReport& open_report() const { return open_report_; }

  struct Stats {
    std::uint64_t records = 0;  // lines written by this run, checkpoints included
    std::uint64_t syncs = 0;    // fdatasync calls: records / syncs is the group size
  };
  Stats stats() const;

 private:
  AuditLog(int fd, std::filesystem::path path, Ed25519PrivateKey signing_key,
           const AuditLogOptions& options, Clock& clock);

  Result<void> StartRun(std::uint64_t next_seq, std::string last_hash, bool previous_closed);
  Result<std::uint64_t> AddRecordLocked(std::string_view type, std::string_view session,
                                        std::vector<AuditField> data, bool sign);
  Result<std::uint64_t> AddCheckpointLocked(bool final);
  Result<void> WaitDurableLocked(std::unique_lock<std::mutex>& lock, std::uint64_t seq);
  Result<void> WriteAndSync(const std::string& batch);

  const std::filesystem::path path_;
  const Ed25519PrivateKey signing_key_;
  const std::string key_fingerprint_;
  const AuditLogOptions options_;
  Clock& clock_;

  mutable std::mutex mu_;
  std::condition_variable durable_cv_;
  int fd_;                              // -1 once closed
  std::string pending_;                 // formatted lines not yet handed to write()
  std::uint64_t next_seq_ = 1;
  std::uint64_t pending_end_seq_ = 0;   // seq of the last line in pending_
  std::uint64_t durable_seq_ = 0;       // every seq up to this is fdatasync'ed
  std::string last_hash_;
  std::int64_t unsigned_count_ = 0;     // records since the last signed one
  bool flushing_ = false;               // one appender is in write()+fdatasync()
  bool closed_ = false;
  std::optional<Error> failure_;        // set once; the log then refuses appends
  Stats stats_;
  AuditOpenReport open_report_;
};

}  // namespace safedesk
