#include "common/audit_event.h"

#include <algorithm>

namespace safedesk {

const std::variant<std::string, std::int64_t, bool>* AuditEvent::Find(std::string_view key) const {
  for (const auto& field : fields) {
    if (field.key == key) return &field.value;
  }
  return nullptr;
}

Result<void> MemoryAuditSink::Append(const AuditEvent& event) {
  std::lock_guard lock(mu_);
  events_.push_back(event);
  return Ok();
}

std::vector<AuditEvent> MemoryAuditSink::events() const {
  std::lock_guard lock(mu_);
  return events_;
}

std::size_t MemoryAuditSink::CountOfType(std::string_view type) const {
  std::lock_guard lock(mu_);
  return static_cast<std::size_t>(std::count_if(events_.begin(), events_.end(),
                                                [&](const AuditEvent& e) { return e.type == type; }));
}

}  // namespace safedesk
