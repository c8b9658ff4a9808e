#pragma once
// The auditor's API (API.md, "Auditor"), read-only: sessions by filter, one session's
// audit trail, and the audit log's tail with its verification status. The log is read
// through VerifyAuditLog (live mode), so a trail is only ever built from records that
// passed the hash-chain and signature checks; past a break, nothing is shown as fact.
//
// Routes: GET /api/audit/sessions, GET /api/audit/session?id=<id> (API.md's
// /api/audit/sessions/<id>: the router matches paths exactly), GET /api/audit/log; every
// POST to these paths is 403.

#include <filesystem>
#include <vector>

#include "broker/broker_context.h"
#include "broker/http/router.h"
#include "common/crypto.h"

namespace safedesk::broker {

// The log the auditor reads and the keys whose checkpoints it trusts.
struct AuditLogSource {
  std::filesystem::path file;
  std::vector<Ed25519PublicKey> trusted_keys;
};

// config.audit.file, trusting the public half of config.audit.signing_key.
Result<AuditLogSource> AuditLogSourceFrom(const config::Config& config);

void AddAuditRoutes(Router& router, BrokerContext& ctx, AuditLogSource source);
// As above with AuditLogSourceFrom(ctx.config); if the key cannot be read, the routes
// answer 503 (and the reason is logged once here).
void AddAuditRoutes(Router& router, BrokerContext& ctx);

}  // namespace safedesk::broker
