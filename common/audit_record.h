#pragma once
// One line of the audit log: its canonical serialisation, its strict parser, its hash and
// the message its signature covers. The format is specified in common/AUDIT_FORMAT.md;
// the writer is audit_log.h, the checker audit_verify.h. Boost.JSON stays in the .cc.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/audit_event.h"
#include "common/crypto.h"
#include "common/result.h"

namespace safedesk {

// A record holds metadata only, so a real one is a few hundred bytes; the cap bounds what
// a reader buffers for one corrupt or hostile line, and the writer refuses larger events.
inline constexpr std::size_t kMaxAuditLineBytes = 64 * 1024;

inline constexpr std::int64_t kAuditFormatVersion = 1;

// The `prev` of the first record of a file.
inline constexpr std::string_view kAuditGenesisPrev =
    "0000000000000000000000000000000000000000000000000000000000000000";

// Prefixed to what a signed record's Ed25519 signature covers, so the key's signatures
// over other formats (tickets, recording seals) can never pass for one of these.
inline constexpr std::string_view kAuditSignatureDomain = "safedesk-audit-signed-record-v1\n";

// Types only the log itself writes; an AuditSink caller may not use the "audit." prefix.
inline constexpr std::string_view kAuditTypeOpened = "audit.opened";
inline constexpr std::string_view kAuditTypeRecovered = "audit.recovered";
inline constexpr std::string_view kAuditTypeCheckpoint = "audit.checkpoint";

using AuditValue = std::variant<std::string, std::int64_t, bool>;

struct AuditRecord {
  std::uint64_t seq = 0;
  std::string ts;       // RFC 3339 UTC
  std::string type;
  std::string session;  // empty outside a session
  std::string prev;     // lower-case hex SHA-256 of the previous line, or kAuditGenesisPrev
  std::vector<AuditField> data;

  const AuditValue* Find(std::string_view key) const;
};

// The canonical line, without the trailing '\n'. Bytes of a string that are not valid
// UTF-8 are each replaced by U+FFFD, so every serialised record parses back to itself.
std::string SerializeAuditRecord(const AuditRecord& record);

// Parses one line (without '\n') strictly. Errors:
//   kLimitExceeded   longer than kMaxAuditLineBytes
//   kInvalidArgument not a record: bad JSON, wrong keys or value kinds
//   kCorrupt         a record, but its bytes are not the canonical serialisation
Result<AuditRecord> ParseAuditRecord(std::string_view line);

// Lower-case hex SHA-256 of a line's bytes (without '\n'): the next record's `prev`.
std::string HashAuditLine(std::string_view line);

// What the signature of a signed record covers: the domain followed by the record's
// canonical line with the value of its last field, "sig", emptied.
std::string AuditSignedMessage(const AuditRecord& record);

// Lower-case hex SHA-256 of the raw 32-byte public key.
std::string AuditKeyFingerprint(const Ed25519PublicKey& key);

// True for the types that must carry a signature (opened, recovered, checkpoint).
bool IsSignedAuditType(std::string_view type);

}  // namespace safedesk
