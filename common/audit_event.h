#pragma once
// An audit event as the code that witnessed it builds it: a stable type string and
// metadata fields (never content: a clipboard attempt's size, never its bytes; never a
// password, OTP, ticket or key). Builders live in audit_events.h; the append-only,
// hash-chained file that stores them is audit_log.h (format: AUDIT_FORMAT.md).

#include <cstdint>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

#include "common/result.h"

namespace safedesk {

struct AuditField {
  std::string key;
  std::variant<std::string, std::int64_t, bool> value;
};

struct AuditEvent {
  std::string type;        // e.g. "login.failure"; see AUDIT_FORMAT.md for the list
  std::string session_id;  // empty when the event belongs to no session
  std::vector<AuditField> fields;

  // The value of a field, or nullptr.
  const std::variant<std::string, std::int64_t, bool>* Find(std::string_view key) const;
};

// Where events go. Append returns only once the event is durable (or fails: callers
// treat a failed append as a reason to refuse the action, fail closed).
class AuditSink {
 public:
  virtual ~AuditSink() = default;
  virtual Result<void> Append(const AuditEvent& event) = 0;
};

// Keeps events in memory; for tests.
class MemoryAuditSink final : public AuditSink {
 public:
  Result<void> Append(const AuditEvent& event) override;
  std::vector<AuditEvent> events() const;
  std::size_t CountOfType(std::string_view type) const;

 private:
  mutable std::mutex mu_;
  std::vector<AuditEvent> events_;
};

}  // namespace safedesk
