#pragma once
// Reads the audit log for the auditor's API: every record that passes verification goes
// to a filter, and the verification outcome comes back with the kept records.

#include <boost/json/object.hpp>

#include <deque>
#include <filesystem>
#include <functional>
#include <string>

#include "common/audit_verify.h"

namespace safedesk::broker {

struct AuditReadOutcome {
  std::string verify;                     // FormatAuditVerifyReport
  std::deque<boost::json::object> kept;  // as AuditRecordJson, oldest first
};

struct AuditReadRequest {
  std::function<bool(const AuditRecord&)> keep;
  // Keep at most this many (the newest); a trail or a tail never needs the whole log.
  std::size_t max_kept = 200;
  // Called with every verified record (e.g. to collect blocked attempts).
  std::function<void(const AuditRecord&)> observe;
};

class AuditLogReader {
 public:
  AuditLogReader(std::filesystem::path file, std::vector<Ed25519PublicKey> trusted_keys);
  Result<AuditReadOutcome> Read(const AuditReadRequest& request) const;

 private:
  std::filesystem::path file_;
  std::vector<Ed25519PublicKey> trusted_keys_;
};

boost::json::object AuditRecordJson(const AuditRecord& record);
// The string value of a record's field, or empty.
std::string AuditString(const AuditRecord& record, std::string_view key);

}  // namespace safedesk::broker
