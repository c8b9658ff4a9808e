// /api/agent/*: register, heartbeat, events (API.md "Components"). Every call names its
// desktop, and the caller's certificate CN must be "agent-<that desktop>": an agent
// speaks for its own desktop only.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "broker/api_support.h"
#include "broker/component_routes.h"
#include "broker/requests_common.h"
#include "common/audit_events.h"
#include "common/log.h"

namespace safedesk::broker {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

// Event types and lockdown check names are short dotted names ("process.started").
constexpr std::size_t kMaxPlainNameBytes = 64;
// Lockdown checks the agent runs (agent/lockdown.h has four); room for future ones.
constexpr std::size_t kMaxLockdownFailures = 16;
// PATH_MAX: an executable path longer than this is not one the kernel ran.
constexpr std::size_t kMaxExeBytes = 4096;
// The agent truncates arguments to 256 bytes or sends a 64-hex digest; slack for escaping.
constexpr std::size_t kMaxArgsBytes = 1024;
// WM_CLASS class names are short; a longer one is not worth auditing in full.
constexpr std::size_t kMaxWmClassBytes = 256;

bool PlainName(std::string_view text) {
  if (text.empty()) return false;
  for (const char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool HexDigest(std::string_view text) {
  if (text.size() != 64) return false;
  for (const char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

AuditField Str(std::string key, std::string_view value) { return {std::move(key), std::string(value)}; }

// The body's desktopId, bound to the caller's CN, or the response to send instead.
OrResponse<json::object> DesktopBody(const Request& request, const RequestContext& peer, std::string& desktop_id) {
  auto body = ParseJsonBody(request);
  if (auto* refused = std::get_if<Response>(&body)) return std::move(*refused);
  auto id = StringField(std::get<json::object>(body), "desktopId", kMaxNameBytes);
  if (!id || !PlainName(*id)) return Refuse(http::status::bad_request, "bad_request", request, "bad desktopId");
  if (peer.client_subject != "agent-" + *id) {
    return Refuse(http::status::forbidden, "forbidden", request,
                  "certificate CN '" + peer.client_subject + "' may not speak for desktop " + *id);
  }
  desktop_id = std::move(*id);
  return std::move(std::get<json::object>(body));
}

struct LockdownReport {
  bool ok = false;
  std::vector<std::string> failures;
};

// {"ok":bool,"failures":[names]}; ok with failures listed is contradictory and refused.
std::optional<LockdownReport> ParseLockdown(const json::object& body) {
  const json::value* field = body.if_contains("lockdown");
  const json::object* lockdown = field ? field->if_object() : nullptr;
  if (lockdown == nullptr) return std::nullopt;
  auto ok = BoolField(*lockdown, "ok");
  const json::value* list = lockdown->if_contains("failures");
  if (!ok || list == nullptr || !list->is_array() || list->as_array().size() > kMaxLockdownFailures) {
    return std::nullopt;
  }
  LockdownReport report{*ok, {}};
  for (const json::value& item : list->as_array()) {
    if (!item.is_string() || item.as_string().size() > kMaxPlainNameBytes || !PlainName(item.as_string())) {
      return std::nullopt;
    }
    report.failures.emplace_back(item.as_string());
  }
  if (report.ok && !report.failures.empty()) return std::nullopt;
  return report;
}

std::string Joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ",") + name;
  return out;
}

Result<void> AuditLockdownFailed(BrokerContext& ctx, const std::string& desktop_id, std::string_view failures) {
  log::Main()->warn("agent of desktop {} reports lockdown failures: {}", desktop_id, failures);
  return ctx.audit.Append(AuditEvent{"agent.lockdown_failed", "", {Str("desktop", desktop_id), Str("failures", failures)}});
}

Response Register(BrokerContext& ctx, ComponentServices& components, const Request& request,
                  const RequestContext& peer) {
  std::string desktop_id;
  auto body = DesktopBody(request, peer, desktop_id);
  if (auto* refused = std::get_if<Response>(&body)) return std::move(*refused);
  const auto lockdown = ParseLockdown(std::get<json::object>(body));
  if (!lockdown) return Refuse(http::status::bad_request, "bad_request", request, "bad lockdown report");
  if (!lockdown->ok) {
    // Audited before the registry learns of it: a failed append refuses the register, and
    // an unregistered desktop is not ready either (fail closed).
    if (auto audited = AuditLockdownFailed(ctx, desktop_id, Joined(lockdown->failures)); !audited) {
      return Unavailable(request, audited.error());
    }
  }
  if (auto registered = components.agents.Register(desktop_id, lockdown->ok); !registered) {
    return Unavailable(request, registered.error());
  }
  if (auto audited = ctx.audit.Append(audit::AgentRegistered(desktop_id, peer.client_subject)); !audited) {
    return Unavailable(request, audited.error());
  }
  log::Main()->info("agent {} registered for desktop {} (lockdown {})", peer.client_subject, desktop_id,
                    lockdown->ok ? "ok" : "failed");
  return Ok(request, json::object{{"heartbeatTimeoutMs", ctx.config.broker.agent_heartbeat_timeout.count()}});
}

Response Heartbeat(ComponentServices& components, const Request& request, const RequestContext& peer) {
  std::string desktop_id;
  auto body = DesktopBody(request, peer, desktop_id);
  if (auto* refused = std::get_if<Response>(&body)) return std::move(*refused);
  auto beat = components.agents.Heartbeat(desktop_id);
  if (!beat && beat.error().code == Errc::kNotFound) {
    return Refuse(http::status::not_found, "not_registered", request, beat.error().message);
  }
  if (!beat) return Unavailable(request, beat.error());
  return Ok(request, json::object{});
}

// The audit fields for one event's detail, or nullopt when the detail does not fit its
// type. Only metadata is kept: an executable path, the arguments as the agent's
// process_args setting shaped them, a window's class and a digest of its title.
std::optional<std::vector<AuditField>> EventFields(std::string_view type, const json::object& detail) {
  std::vector<AuditField> fields;
  if (type == "process.started") {
    auto exe = StringField(detail, "exe", kMaxExeBytes);
    if (!exe || exe->empty()) return std::nullopt;
    fields.push_back(Str("exe", *exe));
    if (detail.contains("args")) {
      auto args = StringField(detail, "args", kMaxArgsBytes);
      if (!args) return std::nullopt;
      fields.push_back(Str("args", *args));
    }
    return fields;
  }
  if (type == "window.sensitive_shown") {
    auto wm_class = StringField(detail, "wmClass", kMaxWmClassBytes);
    auto title = StringField(detail, "titleSha256", 64);
    if (!wm_class || !title || !HexDigest(*title)) return std::nullopt;
    fields.push_back(Str("wm_class", *wm_class));
    fields.push_back(Str("title_sha256", *title));
    return fields;
  }
  if (type == "lockdown.failed") {
    auto check = StringField(detail, "check", kMaxPlainNameBytes);
    if (!check || !PlainName(*check)) return std::nullopt;
    fields.push_back(Str("check", *check));
    return fields;
  }
  return std::nullopt;
}

// {"desktopId","type","detail":{...}}: see API.md for the types and their details.
Response Events(BrokerContext& ctx, ComponentServices& components, const Request& request,
                const RequestContext& peer) {
  std::string desktop_id;
  auto body = DesktopBody(request, peer, desktop_id);
  if (auto* refused = std::get_if<Response>(&body)) return std::move(*refused);
  const json::object& object = std::get<json::object>(body);
  auto kind = StringField(object, "type", kMaxPlainNameBytes);
  const json::value* detail = object.if_contains("detail");
  if (!kind || detail == nullptr || !detail->is_object()) {
    return Refuse(http::status::bad_request, "bad_request", request, "event needs type and detail");
  }
  auto fields = EventFields(*kind, detail->as_object());
  if (!fields) return Refuse(http::status::bad_request, "bad_request", request, "unknown event type or bad detail");
  if (*kind == "lockdown.failed") {
    // A check that fails later in the session withdraws the desktop just the same.
    if (auto audited = AuditLockdownFailed(ctx, desktop_id, std::get<std::string>(fields->front().value)); !audited) {
      return Unavailable(request, audited.error());
    }
    components.agents.MarkLockdownFailed(desktop_id);
  }
  AuditEvent event = audit::AgentEvent(desktop_id, *kind);
  for (AuditField& field : *fields) event.fields.push_back(std::move(field));
  if (auto audited = ctx.audit.Append(event); !audited) return Unavailable(request, audited.error());
  return Ok(request, json::object{});
}

}  // namespace

void AddAgentRoutes(Router& router, BrokerContext& ctx, ComponentServices& components) {
  auto* c = &components;
  router.Add(http::verb::post, "/api/agent/register",
             RequireRole(ComponentRole::kAgent,
                         [&ctx, c](const Request& request, const RequestContext& peer) -> asio::awaitable<Response> {
                           co_return Register(ctx, *c, request, peer);
                         }));
  router.Add(http::verb::post, "/api/agent/heartbeat",
             RequireRole(ComponentRole::kAgent,
                         [c](const Request& request, const RequestContext& peer) -> asio::awaitable<Response> {
                           co_return Heartbeat(*c, request, peer);
                         }));
  router.Add(http::verb::post, "/api/agent/events",
             RequireRole(ComponentRole::kAgent,
                         [&ctx, c](const Request& request, const RequestContext& peer) -> asio::awaitable<Response> {
                           co_return Events(ctx, *c, request, peer);
                         }));
}

}  // namespace safedesk::broker
