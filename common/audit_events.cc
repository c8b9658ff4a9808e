#include "common/audit_events.h"

namespace safedesk::audit {
namespace {

AuditField Str(std::string key, std::string_view value) { return {std::move(key), std::string(value)}; }
AuditField Int(std::string key, std::int64_t value) { return {std::move(key), value}; }
AuditField Bool(std::string key, bool value) { return {std::move(key), value}; }

}  // namespace

AuditEvent LoginSuccess(std::string_view user, std::string_view source, std::string_view factors) {
  return {"login.success", "", {Str("user", user), Str("source", source), Str("factors", factors)}};
}

AuditEvent LoginFailure(std::string_view user, std::string_view source, std::string_view factor,
                        std::string_view reason) {
  return {"login.failure", "",
          {Str("user", user), Str("source", source), Str("factor", factor), Str("reason", reason)}};
}

AuditEvent AccountLocked(std::string_view subject_kind, std::string_view subject,
                         std::int64_t failures, std::int64_t lock_seconds) {
  return {"login.lockout", "",
          {Str("subject_kind", subject_kind), Str("subject", subject), Int("failures", failures),
           Int("lock_seconds", lock_seconds)}};
}

AuditEvent FactorEnrolled(std::string_view user, std::string_view factor, std::string_view factor_id) {
  return {"factor.enrolled", "", {Str("user", user), Str("factor", factor), Str("factor_id", factor_id)}};
}

AuditEvent FactorRemoved(std::string_view user, std::string_view factor, std::string_view factor_id) {
  return {"factor.removed", "", {Str("user", user), Str("factor", factor), Str("factor_id", factor_id)}};
}

AuditEvent FactorRejected(std::string_view user, std::string_view factor, std::string_view reason) {
  return {"factor.rejected", "", {Str("user", user), Str("factor", factor), Str("reason", reason)}};
}

AuditEvent TicketIssued(std::string_view session_id, std::string_view user, std::string_view nonce_id) {
  return {"ticket.issued", std::string(session_id), {Str("user", user), Str("nonce_id", nonce_id)}};
}

AuditEvent TicketRejected(std::string_view reason, std::string_view source) {
  return {"ticket.rejected", "", {Str("reason", reason), Str("source", source)}};
}

AuditEvent TicketRedeemed(std::string_view session_id, std::string_view user, std::string_view nonce_id,
                          std::string_view source) {
  return {"ticket.redeemed", std::string(session_id),
          {Str("user", user), Str("nonce_id", nonce_id), Str("source", source)}};
}

AuditEvent AgentRegistered(std::string_view desktop_id, std::string_view component) {
  return {"agent.registered", "", {Str("desktop", desktop_id), Str("component", component)}};
}

AuditEvent AgentUnhealthy(std::string_view desktop_id, std::int64_t silent_seconds) {
  return {"agent.unhealthy", "", {Str("desktop", desktop_id), Int("silent_seconds", silent_seconds)}};
}

AuditEvent AgentEvent(std::string_view desktop_id, std::string_view kind) {
  return {"agent.event", "", {Str("desktop", desktop_id), Str("kind", kind)}};
}

AuditEvent RequestCreated(std::string_view request_id, std::string_view user, std::string_view project,
                          std::int64_t duration_seconds) {
  return {"request.created", "",
          {Str("request", request_id), Str("user", user), Str("project", project),
           Int("duration_seconds", duration_seconds)}};
}

AuditEvent RequestApproved(std::string_view request_id, std::string_view approver) {
  return {"request.approved", "", {Str("request", request_id), Str("approver", approver)}};
}

AuditEvent RequestDenied(std::string_view request_id, std::string_view approver, std::string_view reason) {
  return {"request.denied", "", {Str("request", request_id), Str("approver", approver), Str("reason", reason)}};
}

AuditEvent RequestStarted(std::string_view request_id, std::string_view session_id, std::string_view user) {
  return {"request.started", std::string(session_id), {Str("request", request_id), Str("user", user)}};
}

AuditEvent SessionStart(std::string_view session_id, std::string_view user, std::string_view project,
                        std::string_view source) {
  return {"session.start", std::string(session_id),
          {Str("user", user), Str("project", project), Str("source", source)}};
}

AuditEvent SessionStartFailed(std::string_view session_id, std::string_view request_id, std::string_view reason) {
  return {"session.start_failed", std::string(session_id), {Str("request", request_id), Str("reason", reason)}};
}

AuditEvent SessionEnd(std::string_view session_id, std::string_view reason) {
  return {"session.end", std::string(session_id), {Str("reason", reason)}};
}

AuditEvent SessionTerminated(std::string_view session_id, std::string_view by, std::string_view reason) {
  return {"session.terminated", std::string(session_id), {Str("by", by), Str("reason", reason)}};
}

AuditEvent SessionStartRefused(std::string_view request_id, std::string_view user, std::string_view project,
                               std::string_view pool, std::string_view reason) {
  return {"session.start_refused",
          "",
          {Str("request", request_id), Str("user", user), Str("project", project), Str("pool", pool),
           Str("reason", reason)}};
}

AuditEvent SessionDesktopLost(std::string_view session_id, std::string_view desktop, std::string_view reason) {
  return {"session.desktop_lost", std::string(session_id), {Str("desktop", desktop), Str("reason", reason)}};
}

AuditEvent DesktopSpareDiscarded(std::string_view desktop, std::string_view pool, std::string_view project,
                                 std::string_view reason) {
  return {"desktop.spare_discarded",
          "",
          {Str("desktop", desktop), Str("pool", pool), Str("project", project), Str("reason", reason)}};
}

AuditEvent ChannelBlocked(std::string_view session_id, std::string_view channel, std::int64_t bytes) {
  return {"channel.blocked", std::string(session_id), {Str("channel", channel), Int("bytes", bytes)}};
}

AuditEvent RecordingSealed(std::string_view session_id, std::string_view recording_id, std::int64_t chunks) {
  return {"recording.sealed", std::string(session_id), {Str("recording", recording_id), Int("chunks", chunks)}};
}

AuditEvent UserCreated(std::string_view user, std::string_view by, std::string_view roles) {
  return {"user.created", "", {Str("user", user), Str("by", by), Str("roles", roles)}};
}

AuditEvent UserUpdated(std::string_view user, std::string_view by, std::string_view roles, bool disabled) {
  return {"user.updated", "", {Str("user", user), Str("by", by), Str("roles", roles), Bool("disabled", disabled)}};
}

AuditEvent UserFactorsReset(std::string_view user, std::string_view by, std::int64_t removed) {
  return {"user.factors_reset", "", {Str("user", user), Str("by", by), Int("removed", removed)}};
}

AuditEvent ProjectUpdated(std::string_view project, std::string_view by, std::int64_t version,
                          std::string_view members, std::string_view dataset, std::string_view pool,
                          std::int64_t max_duration_s, std::int64_t idle_timeout_s, bool two_approvers,
                          bool watermark, bool paste_in, std::int64_t mask_rules) {
  return {"project.updated",
          "",
          {Str("project", project), Str("by", by), Int("version", version), Str("members", members),
           Str("dataset", dataset), Str("pool", pool), Int("max_duration_s", max_duration_s),
           Int("idle_timeout_s", idle_timeout_s), Bool("two_approvers", two_approvers), Bool("watermark", watermark),
           Bool("paste_in", paste_in), Int("mask_rules", mask_rules)}};
}

AuditEvent ServiceStarted(std::string_view program, std::string_view version) {
  return {"service.started", "", {Str("program", program), Str("version", version)}};
}

}  // namespace safedesk::audit
