#pragma once
// Checks an audit log file (format: common/AUDIT_FORMAT.md) from its first line and
// reports either counts or the first broken record and why. `safedeskctl audit verify`
// is a thin wrapper around VerifyAuditLog.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/audit_record.h"
#include "common/crypto.h"
#include "common/result.h"

namespace safedesk {

// Why a log is broken. The names (AuditBreakName) are stable: scripts match on them.
enum class AuditBreak {
  kEdited,                  // bytes changed: hash chain mismatch or non-canonical line
  kRemoved,                 // a seq is missing
  kReordered,               // a seq comes back or out of order
  kTruncated,               // the file does not end with a closing checkpoint
  kBadCheckpointSignature,  // a signed record's signature or key is not valid
  kMissingCheckpoint,       // more records without a signed one than the log promised
  kTornLine,                // the last line has no '\n' (crash mid-write, or cut)
  kMalformed,               // not a record, or records in an impossible order
};
std::string_view AuditBreakName(AuditBreak reason);

struct AuditVerifyOptions {
  // The keys whose signatures are accepted; the key named inside the file is never
  // trusted on its own. Must not be empty.
  std::vector<Ed25519PublicKey> trusted_keys;
  // A log still being written: it may end without a closing checkpoint (after at most
  // checkpoint_every unsigned records) and with an incomplete last line.
  bool live = false;
  // Called with each record once it has passed every check.
  std::function<void(const AuditRecord&)> on_record;
};

struct AuditVerifyReport {
  bool ok = false;
  std::uint64_t records = 0;      // lines that passed, checkpoints included
  std::uint64_t checkpoints = 0;  // audit.checkpoint records among them
  std::uint64_t first_seq = 0;
  std::uint64_t last_seq = 0;
  bool closed = false;            // the last record is a closing checkpoint
  std::uint64_t torn_tail_bytes = 0;  // live mode: an incomplete last line, not checked

  // Set when !ok.
  AuditBreak reason = AuditBreak::kMalformed;
  std::uint64_t line = 0;              // 1-based
  std::optional<std::uint64_t> seq;    // when the broken line had a readable seq
  std::string detail;
};

// Errors are for what prevents checking (no trusted key, unreadable file); a file that
// can be read but is broken is an ok Result with report.ok == false.
Result<AuditVerifyReport> VerifyAuditLog(const std::filesystem::path& path,
                                         const AuditVerifyOptions& options);

// "OK: N records, M checkpoints, first seq A, last seq B, closed|live" or
// "BROKEN at line L (seq S): <reason>: <detail>".
std::string FormatAuditVerifyReport(const AuditVerifyReport& report);

}  // namespace safedesk
