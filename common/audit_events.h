#pragma once
// Small pure builders, one per audit event type. Type strings are stable: auditors and
// tools search for them. Fields hold metadata only. The full list is in AUDIT_FORMAT.md.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/audit_event.h"

namespace safedesk::audit {

// Authentication.
AuditEvent LoginSuccess(std::string_view user, std::string_view source, std::string_view factors);
AuditEvent LoginFailure(std::string_view user, std::string_view source, std::string_view factor,
                        std::string_view reason);
AuditEvent AccountLocked(std::string_view subject_kind, std::string_view subject,
                         std::int64_t failures, std::int64_t lock_seconds);
AuditEvent FactorEnrolled(std::string_view user, std::string_view factor, std::string_view factor_id);
AuditEvent FactorRemoved(std::string_view user, std::string_view factor, std::string_view factor_id);
AuditEvent FactorRejected(std::string_view user, std::string_view factor, std::string_view reason);

// Tickets (broker → browser → gateway).
AuditEvent TicketIssued(std::string_view session_id, std::string_view user, std::string_view nonce_id);
AuditEvent TicketRejected(std::string_view reason, std::string_view source);
// The gateway redeemed a ticket on the component API; `source` is the researcher's address.
AuditEvent TicketRedeemed(std::string_view session_id, std::string_view user, std::string_view nonce_id,
                          std::string_view source);

// Session requests and sessions.
AuditEvent RequestCreated(std::string_view request_id, std::string_view user, std::string_view project,
                          std::int64_t duration_seconds);
AuditEvent RequestApproved(std::string_view request_id, std::string_view approver);
AuditEvent RequestDenied(std::string_view request_id, std::string_view approver, std::string_view reason);
// The approval was consumed for `session_id` (state approved → started).
AuditEvent RequestStarted(std::string_view request_id, std::string_view session_id, std::string_view user);
AuditEvent SessionStart(std::string_view session_id, std::string_view user, std::string_view project,
                        std::string_view source);
// The approval was consumed but no desktop came up; the request must be made again.
AuditEvent SessionStartFailed(std::string_view session_id, std::string_view request_id, std::string_view reason);
AuditEvent SessionEnd(std::string_view session_id, std::string_view reason);
AuditEvent SessionTerminated(std::string_view session_id, std::string_view by, std::string_view reason);
// A start refused before its approval was spent (no session exists yet): e.g. "pool_full".
AuditEvent SessionStartRefused(std::string_view request_id, std::string_view user, std::string_view project,
                               std::string_view pool, std::string_view reason);
// A live session's desktop died (process exit, failed probe, silent agent): the broker
// ended the session.
AuditEvent SessionDesktopLost(std::string_view session_id, std::string_view desktop, std::string_view reason);
// Desktop pool: a warm spare that failed or went silent before hand-out, stopped.
AuditEvent DesktopSpareDiscarded(std::string_view desktop, std::string_view pool, std::string_view project,
                                 std::string_view reason);
AuditEvent ChannelBlocked(std::string_view session_id, std::string_view channel, std::int64_t bytes);
AuditEvent RecordingSealed(std::string_view session_id, std::string_view recording_id, std::int64_t chunks);

// User administration. `roles` is the comma-separated list of role names.
AuditEvent UserCreated(std::string_view user, std::string_view by, std::string_view roles);
AuditEvent UserUpdated(std::string_view user, std::string_view by, std::string_view roles, bool disabled);
AuditEvent UserFactorsReset(std::string_view user, std::string_view by, std::int64_t removed);
// A project written by an administrator (or seeded from the configuration: by "config").
AuditEvent ProjectUpdated(std::string_view project, std::string_view by, std::int64_t version,
                          std::string_view members, std::string_view dataset, std::string_view pool,
                          std::int64_t max_duration_s, std::int64_t idle_timeout_s, bool two_approvers,
                          bool watermark, bool paste_in, std::int64_t mask_rules);

// Components (gateway, agent) on the mutual-TLS API.
AuditEvent AgentRegistered(std::string_view desktop_id, std::string_view component);
// An agent was silent past broker.agent_heartbeat_timeout (once per silence).
AuditEvent AgentUnhealthy(std::string_view desktop_id, std::int64_t silent_seconds);
// An event an agent reported; `kind` is its short type name, never content.
AuditEvent AgentEvent(std::string_view desktop_id, std::string_view kind);

// Process lifecycle.
AuditEvent ServiceStarted(std::string_view program, std::string_view version);

}  // namespace safedesk::audit
