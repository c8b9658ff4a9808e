#include "broker/audit_api_reader.h"

namespace safedesk::broker {

namespace json = boost::json;

AuditLogReader::AuditLogReader(std::filesystem::path file, std::vector<Ed25519PublicKey> trusted_keys)
    : file_(std::move(file)), trusted_keys_(std::move(trusted_keys)) {}

Result<AuditReadOutcome> AuditLogReader::Read(const AuditReadRequest& request) const {
  if (trusted_keys_.empty()) return MakeError(Errc::kUnavailable, "no trusted audit key");
  AuditReadOutcome outcome;
  AuditVerifyOptions options;
  options.trusted_keys = trusted_keys_;
  options.live = true;  // the broker is appending to it right now
  options.on_record = [&](const AuditRecord& record) {
    if (request.observe) request.observe(record);
    if (request.keep && !request.keep(record)) return;
    outcome.kept.push_back(AuditRecordJson(record));
    if (outcome.kept.size() > request.max_kept) outcome.kept.pop_front();
  };
  auto report = VerifyAuditLog(file_, options);
  if (!report) return report.error();
  outcome.verify = FormatAuditVerifyReport(*report);
  return outcome;
}

json::object AuditRecordJson(const AuditRecord& record) {
  json::object data;
  for (const AuditField& field : record.data) {
    std::visit([&](const auto& value) { data[field.key] = value; }, field.value);
  }
  return json::object{{"seq", record.seq},         {"ts", record.ts},     {"type", record.type},
                      {"session", record.session}, {"data", std::move(data)}};
}

std::string AuditString(const AuditRecord& record, std::string_view key) {
  const AuditValue* value = record.Find(key);
  if (value == nullptr) return "";
  const auto* text = std::get_if<std::string>(value);
  return text != nullptr ? *text : "";
}

}  // namespace safedesk::broker
