#include "broker/session_start.h"

#include <boost/json/object.hpp>

#include "broker/component_state.h"
#include "broker/desktop_pool.h"
#include "broker/requests_common.h"
#include "broker/requests_policy.h"
#include "common/audit_events.h"
#include "common/encoding.h"
#include "common/log.h"

namespace safedesk::broker {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

// What the researcher sees when every desktop of the pool is taken: a 503 with its own
// code, so the page can say "try again later" rather than "something failed".
Response PoolFull(const Request& request, const Error& error) {
  return Refuse(http::status::service_unavailable, "pool_full", request, error.message);
}

struct StartPlan {
  Caller caller;
  RequestRecord record;
  ProjectRecord project;  // as administrators last wrote it: its dataset and pool
  Sha256Digest grant_digest{};
  std::string grant_json;  // canonical; what the gateway receives on redemption
  std::string session_id;
};

// Everything that can refuse before the approval is spent: who, which request, policy.
OrResponse<StartPlan> Prepare(BrokerContext& ctx, const Request& request, const RequestContext& peer) {
  auto caller = AuthorizeCaller(ctx, request, peer, Capability::kRequest);
  if (auto* refused = std::get_if<Response>(&caller)) return std::move(*refused);
  auto body = ParseJsonBody(request);
  if (auto* refused = std::get_if<Response>(&body)) return std::move(*refused);
  auto id = StringField(std::get<json::object>(body), "id", kMaxNameBytes);
  if (!id) return Refuse(http::status::bad_request, "bad_request", request, "missing id");
  StartPlan plan{std::move(std::get<Caller>(caller)), {}, {}, {}, {}, {}};
  auto record = ctx.store.GetRequest(*id);
  if (!record) return Unavailable(request, record.error());
  // Someone else's request looks exactly like a missing one.
  if (!record->has_value() || (*record)->user != plan.caller.user.name) {
    return Refuse(http::status::not_found, "not_found", request, "no own request " + *id);
  }
  plan.record = std::move(**record);
  // Policy may have changed since the request: decide again, with today's roles.
  auto decided = DecideSessionGrant(ctx.config, ctx.store, plan.caller.user.name, plan.caller.user.roles,
                                    plan.record.project, std::chrono::seconds(plan.record.duration_seconds));
  if (!decided) return Unavailable(request, decided.error());
  const auth::GrantDecision& decision = *decided;
  if (!decision.ok()) {
    return Refuse(http::status::forbidden, "forbidden", request,
                  "policy refused at start: " + std::string(auth::PolicyDenialName(decision.denial())));
  }
  auto project = ctx.store.FindProject(plan.record.project);
  if (!project) return Unavailable(request, project.error());
  if (!project->has_value()) return Refuse(http::status::forbidden, "forbidden", request, "project vanished");
  plan.project = std::move(**project);
  auto digest = GrantDigest(decision.grant());
  auto grant_json = CanonicalGrantJson(decision.grant());
  auto session_id = NewId(ctx.random);
  if (!digest) return Unavailable(request, digest.error());
  if (!grant_json) return Unavailable(request, grant_json.error());
  if (!session_id) return Unavailable(request, session_id.error());
  plan.grant_digest = *digest;
  plan.grant_json = std::move(*grant_json);
  plan.session_id = std::move(*session_id);
  return plan;
}

// Refuses before the approval is spent when the project's pool has no desktop to give
// (the researcher may try again later with the same approval); audited.
std::optional<Response> Admit(BrokerContext& ctx, DesktopProvider& provider, const StartPlan& plan,
                              const Request& request) {
  auto admitted = provider.Admit(DesktopSpecFor(ctx.config, plan.project, plan.session_id));
  if (admitted) return std::nullopt;
  if (admitted.error().code != Errc::kLimitExceeded) return Unavailable(request, admitted.error());
  if (auto audited = ctx.audit.Append(audit::SessionStartRefused(plan.record.id, plan.record.user,
                                                                 plan.record.project, plan.project.pool, "pool_full"));
      !audited) {
    return Unavailable(request, audited.error());
  }
  return PoolFull(request, admitted.error());
}

// Consumes the approval; 409 if it is not approved, already used or past its window.
std::optional<Response> Consume(BrokerContext& ctx, const StartPlan& plan, const Request& request) {
  auto consumed = ctx.store.ConsumeApproval(plan.record.id, NowSeconds(ctx));
  if (!consumed) return Unavailable(request, consumed.error());
  if (!*consumed) {
    return Refuse(http::status::conflict, "conflict", request,
                  "request " + plan.record.id + " has no usable approval (state " +
                      std::string(RequestStateName(plan.record.state)) + ")");
  }
  if (auto audited = ctx.audit.Append(audit::RequestStarted(plan.record.id, plan.session_id, plan.record.user));
      !audited) {
    return Unavailable(request, audited.error());
  }
  return std::nullopt;
}

asio::awaitable<Result<DesktopHandle>> LaunchDesktop(BrokerContext& ctx, DesktopProvider& provider,
                                                     const StartPlan& plan, ReadyWait wait) {
  auto handle = provider.Start(DesktopSpecFor(ctx.config, plan.project, plan.session_id));
  if (!handle) co_return handle.error();
  auto ready = co_await WaitUntilReady(provider, handle->id, wait);
  if (!ready) {
    (void)provider.Stop(handle->id);
    co_return ready.error();
  }
  co_return std::move(*handle);
}

// Records and audits the session, then issues the ticket: no ticket for an unaudited session.
Result<auth::IssuedTicket> Commit(BrokerContext& ctx, const StartPlan& plan, const DesktopHandle& desktop,
                            const RequestContext& peer) {
  const SessionRecord session{plan.session_id, plan.record.id, plan.record.user, plan.record.project, desktop.id,
                              peer.remote_address, NowSeconds(ctx), 0, "", ""};
  SAFEDESK_TRY(ctx.store.CreateSession(session));
  SAFEDESK_TRY(ctx.audit.Append(audit::SessionStart(session.id, session.user, session.project, session.source)));
  // For the gateway's redemption on the component API (no-op without it).
  SAFEDESK_TRY(KeepVmCredential(ctx.vm_credentials, plan.session_id, desktop, plan.grant_json, plan.grant_digest));
  auto ticket = ctx.tickets.Issue(
      {session.id, session.user, desktop.endpoint.ToString(), session.source, plan.grant_digest});
  if (!ticket) return ticket.error();
  SAFEDESK_TRY(ctx.audit.Append(audit::TicketIssued(session.id, session.user, HexEncode(ticket->ticket.nonce))));
  return std::move(*ticket);
}

Response Answer(const config::Config& config, const StartPlan& plan, const auth::IssuedTicket& ticket,
                const Request& request) {
  // The ticket travels in the body only: a URL would leave it in histories and logs.
  return Ok(request, json::object{{"sessionId", plan.session_id},
                                  {"ticket", std::string(ticket.text.reveal())},
                                  {"gatewayUrl", "wss://" + config.gateway.listen.ToString() + "/"},
                                  {"desktopUrl", config.broker.public_url + "/desktop.html?session=" + plan.session_id}});
}

void AbandonStart(BrokerContext& ctx, DesktopProvider& provider, const StartPlan& plan, const Error& error,
                  const std::string& desktop_id) {
  log::ForSession(plan.session_id)->error("start of request {} failed: {}", plan.record.id, error.message);
  if (!desktop_id.empty()) (void)provider.Stop(desktop_id);
  if (ctx.vm_credentials != nullptr) ctx.vm_credentials->Discard(plan.session_id);
  (void)ctx.store.EndSession(plan.session_id, NowSeconds(ctx), "start failed");
  (void)ctx.audit.Append(audit::SessionStartFailed(plan.session_id, plan.record.id, ErrcName(error.code)));
}

}  // namespace

SessionLiveness SessionLivenessOf(BrokerContext& ctx, const std::string& session_id) {
  auto session = ctx.store.GetSession(session_id);
  if (!session || !session->has_value()) return SessionLiveness::kUnknown;
  return (*session)->ended_at == 0 ? SessionLiveness::kLive : SessionLiveness::kEnded;
}

void EndSessionOfLostDesktop(BrokerContext& ctx, const std::string& session_id, const std::string& desktop_id) {
  auto ended = ctx.store.EndSession(session_id, NowSeconds(ctx), std::string(kDesktopCrashed));
  if (!ended) {
    log::ForSession(session_id)->error("cannot end the session of lost desktop {}: {}", desktop_id,
                                       ended.error().message);
  } else if (!*ended) {
    return;  // ended meanwhile (terminated, logged out): its own path audited it
  }
  // The gateway drops the researcher's connection on this order; an unredeemed credential is void.
  if (ctx.terminate_orders != nullptr) ctx.terminate_orders->Push({session_id, std::string(kDesktopCrashed)});
  if (ctx.vm_credentials != nullptr) ctx.vm_credentials->Discard(session_id);
  if (auto audited = ctx.audit.Append(audit::SessionDesktopLost(session_id, desktop_id, kDesktopCrashed)); !audited) {
    log::ForSession(session_id)->error("audit of the lost desktop {} failed: {}", desktop_id, audited.error().message);
  }
  log::ForSession(session_id)->warn("session ended: desktop {} crashed", desktop_id);
}

asio::awaitable<Response> StartSession(BrokerContext& ctx, DesktopProvider& provider, const Request& request,
                                       const RequestContext& peer, ReadyWait wait) {
  auto prepared = Prepare(ctx, request, peer);
  if (auto* refused = std::get_if<Response>(&prepared)) co_return std::move(*refused);
  const StartPlan& plan = std::get<StartPlan>(prepared);
  if (auto refused = Admit(ctx, provider, plan, request)) co_return std::move(*refused);
  if (auto refused = Consume(ctx, plan, request)) co_return std::move(*refused);
  auto desktop = co_await LaunchDesktop(ctx, provider, plan, wait);
  if (!desktop) {
    AbandonStart(ctx, provider, plan, desktop.error(), "");
    // Another start took the last place between Admit and here.
    if (desktop.error().code == Errc::kLimitExceeded) co_return PoolFull(request, desktop.error());
    co_return Unavailable(request, desktop.error());
  }
  auto ticket = Commit(ctx, plan, *desktop, peer);
  if (!ticket) {
    AbandonStart(ctx, provider, plan, ticket.error(), desktop->id);
    co_return Unavailable(request, ticket.error());
  }
  log::ForSession(plan.session_id)
      ->info("session started for {} on project {}, desktop {}", plan.record.user, plan.record.project, desktop->id);
  co_return Answer(ctx.config, plan, *ticket, request);
}

}  // namespace safedesk::broker
