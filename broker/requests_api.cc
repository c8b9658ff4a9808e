#include "broker/requests_api.h"

#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>

#include "broker/requests_common.h"
#include "broker/requests_policy.h"
#include "broker/session_start.h"
#include "common/audit_events.h"
#include "common/log.h"

namespace safedesk::broker {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

Response ListProjects(BrokerContext& ctx, const Request& request, const RequestContext& peer) {
  auto caller = AuthorizeCaller(ctx, request, peer, Capability::kRequest);
  if (auto* refused = std::get_if<Response>(&caller)) return std::move(*refused);
  auto member_of = MemberProjects(ctx.store, std::get<Caller>(caller).user.name);
  if (!member_of) return Unavailable(request, member_of.error());
  json::array projects;
  for (const ProjectRecord& project : *member_of) {
    projects.push_back(json::object{{"name", project.name},
                                    {"maxDurationSeconds", project.max_duration_seconds},
                                    {"requireTwoApprovers", project.require_two_approvers}});
  }
  return Ok(request, json::object{{"projects", std::move(projects)}});
}

struct NewRequestFields {
  std::string project;
  std::string purpose;
  std::int64_t duration_seconds = 0;
};

std::optional<NewRequestFields> ReadNewRequest(const json::object& body) {
  auto project = StringField(body, "project", kMaxNameBytes);
  auto purpose = StringField(body, "purpose", kMaxPurposeBytes);
  auto duration = IntField(body, "durationSeconds");
  if (!project || !purpose || !duration) return std::nullopt;
  if (purpose->find_first_not_of(" \t\r\n") == std::string::npos) return std::nullopt;  // purpose is required
  return NewRequestFields{std::move(*project), std::move(*purpose), *duration};
}

// Policy first: membership and the duration bounds decide before anything is stored.
std::optional<Response> CheckPolicy(BrokerContext& ctx, const Caller& caller, const NewRequestFields& fields,
                                    const Request& request) {
  if (fields.duration_seconds <= 0 || fields.duration_seconds > kMaxGrantDuration.count()) {
    return Refuse(http::status::bad_request, "bad_request", request, "duration out of range");
  }
  auto decided = DecideSessionGrant(ctx.config, ctx.store, caller.user.name, caller.user.roles, fields.project,
                                    std::chrono::seconds(fields.duration_seconds));
  if (!decided) return Unavailable(request, decided.error());
  const auth::GrantDecision& decision = *decided;
  if (decision.ok()) return std::nullopt;
  const std::string detail =
      "policy refused: " + std::string(auth::PolicyDenialName(decision.denial())) + ": " + decision.detail();
  if (decision.denial() == auth::PolicyDenial::kBadDuration) {
    return Refuse(http::status::bad_request, "bad_request", request, detail);
  }
  return Refuse(http::status::forbidden, "forbidden", request, detail);
}

Response CreateRequest(BrokerContext& ctx, const Request& request, const RequestContext& peer) {
  auto caller = AuthorizeCaller(ctx, request, peer, Capability::kRequest);
  if (auto* refused = std::get_if<Response>(&caller)) return std::move(*refused);
  auto body = ParseJsonBody(request);
  if (auto* refused = std::get_if<Response>(&body)) return std::move(*refused);
  auto fields = ReadNewRequest(std::get<json::object>(body));
  if (!fields) return Refuse(http::status::bad_request, "bad_request", request, "missing or oversized field");
  const Caller& who = std::get<Caller>(caller);
  if (auto refused = CheckPolicy(ctx, who, *fields, request)) return std::move(*refused);
  auto id = NewId(ctx.random);
  if (!id) return Unavailable(request, id.error());
  // The policy found the project a moment ago; gone now means an administrator raced us.
  auto project = ctx.store.FindProject(fields->project);
  if (!project) return Unavailable(request, project.error());
  if (!project->has_value()) return Refuse(http::status::forbidden, "forbidden", request, "project vanished");
  RequestRecord record{*id, who.user.name, fields->project, fields->purpose, fields->duration_seconds,
                       RequestState::kPending, NowSeconds(ctx), 0, (*project)->require_two_approvers ? 2 : 1};
  if (auto created = ctx.store.CreateRequest(record); !created) return Unavailable(request, created.error());
  auto audited = ctx.audit.Append(audit::RequestCreated(record.id, record.user, record.project, record.duration_seconds));
  if (!audited) return Unavailable(request, audited.error());
  log::Main()->info("request {} by {} for project {}", record.id, record.user, record.project);
  return Ok(request, json::object{{"id", record.id}, {"state", RequestStateName(record.state)}});
}

Response ListOwnRequests(BrokerContext& ctx, const Request& request, const RequestContext& peer) {
  auto caller = AuthorizeCaller(ctx, request, peer, Capability::kRequest);
  if (auto* refused = std::get_if<Response>(&caller)) return std::move(*refused);
  auto records = ctx.store.ListRequests(std::get<Caller>(caller).user.name, std::nullopt);
  if (!records) return Unavailable(request, records.error());
  json::array out;
  for (const RequestRecord& record : *records) {
    auto decisions = DecisionsOf(ctx, request, record.id);
    if (auto* refused = std::get_if<Response>(&decisions)) return std::move(*refused);
    out.push_back(RequestJson(record, std::get<std::vector<DecisionRecord>>(decisions), NowSeconds(ctx)));
  }
  return Ok(request, json::object{{"requests", std::move(out)}});
}

Response ListOwnSessions(BrokerContext& ctx, const Request& request, const RequestContext& peer) {
  auto caller = AuthorizeCaller(ctx, request, peer, Capability::kRequest);
  if (auto* refused = std::get_if<Response>(&caller)) return std::move(*refused);
  auto sessions = ctx.store.ListSessions(false);
  if (!sessions) return Unavailable(request, sessions.error());
  json::array out;
  for (const SessionRecord& session : *sessions) {
    if (session.user == std::get<Caller>(caller).user.name) out.push_back(SessionJson(session));
  }
  return Ok(request, json::object{{"sessions", std::move(out)}});
}

}  // namespace

void AddRequestRoutes(Router& router, BrokerContext& ctx, DesktopProvider& provider) {
  router.Add(http::verb::get, "/api/projects", WrapPlain(ctx, ListProjects));
  router.Add(http::verb::post, "/api/requests", WrapPlain(ctx, CreateRequest));
  router.Add(http::verb::get, "/api/requests", WrapPlain(ctx, ListOwnRequests));
  router.Add(http::verb::get, "/api/sessions", WrapPlain(ctx, ListOwnSessions));
  router.Add(http::verb::post, "/api/requests/start",
             [&ctx, &provider](const Request& request, const RequestContext& peer) -> asio::awaitable<Response> {
               co_return co_await StartSession(ctx, provider, request, peer);
             });
}

}  // namespace safedesk::broker
