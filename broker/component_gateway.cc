// /api/gateway/*: ticket redemption, session events, terminate orders (API.md "Components").
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "broker/api_support.h"
#include "broker/component_routes.h"
#include "broker/requests_common.h"
#include "common/audit_events.h"
#include "common/encoding.h"
#include "common/log.h"
#include "common/ticket.h"

namespace safedesk::broker {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

// Channel names are short protocol identifiers ("cliprdr", "rdpdr").
constexpr std::size_t kMaxChannelBytes = 64;

// Audits the refusal and answers the same generic 403 whatever the reason.
Response RejectTicket(BrokerContext& ctx, const Request& request, std::string_view reason, const std::string& source) {
  if (auto audited = ctx.audit.Append(audit::TicketRejected(reason, source)); !audited) {
    return Unavailable(request, audited.error());
  }
  return Refuse(http::status::forbidden, "ticket_rejected", request, "ticket rejected: " + std::string(reason));
}

// The session the ticket names must be live and belong to the ticket's researcher.
std::optional<std::string_view> SessionProblem(BrokerContext& ctx, const Ticket& ticket) {
  auto session = ctx.store.GetSession(ticket.session_id);
  if (!session) return "store_unavailable";
  if (!session->has_value()) return "unknown_session";
  if ((*session)->ended_at != 0) return "session_ended";
  if ((*session)->user != ticket.researcher) return "wrong_researcher";
  return std::nullopt;
}

// The credential leaves only in this body, over mutual TLS to the gateway. It is spliced
// into the serialized text (reserved once, so no reallocation leaves a copy behind) rather
// than put in a JSON value; the HTTP server wipes the body once sent.
Response Answer(const Request& request, const Ticket& ticket, const VmCredential& credential) {
  json::error_code ec;
  json::value grant = json::parse(credential.grant_json, ec);
  if (ec) return Unavailable(request, MakeError(Errc::kInternal, "stored grant is not JSON"));
  const std::string_view password = credential.password.reveal();
  // Base64url from the provider: nothing to escape, and nothing else is accepted.
  const bool plain = std::all_of(password.begin(), password.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
  });
  if (!plain) return Unavailable(request, MakeError(Errc::kInternal, "VM password is not base64url"));
  const std::string rest = json::serialize(json::object{{"sessionId", ticket.session_id},
                                                        {"researcher", ticket.researcher},
                                                        {"desktopId", credential.desktop_id},
                                                        {"vmEndpoint", credential.endpoint},
                                                        {"vmUsername", credential.username},
                                                        {"grant", std::move(grant)}});
  std::string body;
  body.reserve(rest.size() + password.size() + 32);
  body.append(R"({"vmPassword":")").append(password).append("\",").append(rest, 1);
  return JsonResponse(http::status::ok, std::move(body), request.version(), request.keep_alive());
}

Response Redeem(BrokerContext& ctx, ComponentServices& components, const Request& request,
               const RequestContext& peer) {
  auto body = ParseJsonBody(request);
  if (auto* refused = std::get_if<Response>(&body)) return std::move(*refused);
  const auto& fields = std::get<json::object>(body);
  auto text = StringField(fields, "ticket", kMaxTicketSize);
  auto source = StringField(fields, "source", kMaxTicketSourceAddressSize);
  if (!text || !source) return Refuse(http::status::bad_request, "bad_request", request, "missing ticket or source");
  const auth::Redemption redemption = components.redeemer.Redeem(*text, *source);
  if (!redemption.ok()) return RejectTicket(ctx, request, auth::TicketRejectionName(redemption.rejection()), *source);
  const Ticket& ticket = redemption.ticket();
  if (auto problem = SessionProblem(ctx, ticket)) return RejectTicket(ctx, request, *problem, *source);
  // Taken before the digest check: a ticket that disagrees with its session voids both.
  std::optional<VmCredential> credential = components.vault.Take(ticket.session_id);
  if (!credential) return RejectTicket(ctx, request, "no_credential", *source);
  if (credential->grant_digest != ticket.grant_digest) return RejectTicket(ctx, request, "grant_mismatch", *source);
  auto audited =
      ctx.audit.Append(audit::TicketRedeemed(ticket.session_id, ticket.researcher, HexEncode(ticket.nonce), *source));
  if (!audited) return Unavailable(request, audited.error());
  // From now on this session's terminate orders go to this gateway only.
  components.orders.Bind(ticket.session_id, peer.client_subject);
  log::ForSession(ticket.session_id)->info("ticket redeemed by gateway {} for {}", peer.client_subject, ticket.researcher);
  return Answer(request, ticket, *credential);
}

// The session is over on the gateway's side: its desktop is stopped and wiped now, not
// when someone notices (a desktop outliving its session is a desktop nobody watches).
void StopDesktopOf(ComponentServices& components, const SessionRecord& session) {
  if (components.desktops == nullptr || session.desktop.empty()) return;
  auto stopped = components.desktops->Stop(session.desktop);
  if (!stopped && stopped.error().code != Errc::kNotFound) {
    log::ForSession(session.id)->error("desktop {} not stopped: {}", session.desktop, stopped.error().message);
  }
}

// channel.blocked {"channel","bytes"} and session.end {"reason"}; other types are refused.
Result<AuditEvent> GatewayEvent(const std::string& session_id, const std::string& type, const json::object& detail) {
  if (type == "channel.blocked") {
    auto channel = StringField(detail, "channel", kMaxChannelBytes);
    auto bytes = IntField(detail, "bytes");
    if (!channel || !bytes || *bytes < 0) return MakeError(Errc::kInvalidArgument, "bad channel.blocked detail");
    return audit::ChannelBlocked(session_id, *channel, *bytes);
  }
  if (type == "session.end") {
    auto reason = StringField(detail, "reason", kMaxReasonBytes);
    if (!reason) return MakeError(Errc::kInvalidArgument, "bad session.end detail");
    return audit::SessionEnd(session_id, *reason);
  }
  return MakeError(Errc::kInvalidArgument, "unknown gateway event type");
}

Response Events(BrokerContext& ctx, ComponentServices& components, const Request& request) {
  auto body = ParseJsonBody(request);
  if (auto* refused = std::get_if<Response>(&body)) return std::move(*refused);
  const auto& fields = std::get<json::object>(body);
  auto session_id = StringField(fields, "sessionId", kMaxNameBytes);
  auto type = StringField(fields, "type", kMaxNameBytes);
  const json::value* detail = fields.if_contains("detail");
  if (!session_id || !type || detail == nullptr || !detail->is_object()) {
    return Refuse(http::status::bad_request, "bad_request", request, "bad gateway event fields");
  }
  auto event = GatewayEvent(*session_id, *type, detail->as_object());
  if (!event) return Refuse(http::status::bad_request, "bad_request", request, event.error().message);
  auto session = ctx.store.GetSession(*session_id);
  if (!session) return Unavailable(request, session.error());
  if (!session->has_value()) return Refuse(http::status::not_found, "not_found", request, "no session " + *session_id);
  if (*type == "session.end") {
    // The session record keeps the gateway's reason (e.g. "gateway_crashed: ..." after a
    // restart found the session's recording unsealed); a session already ended keeps its first.
    const std::string reason(detail->as_object().at("reason").as_string());
    auto ended = ctx.store.EndSession(*session_id, NowSeconds(ctx), "gateway: " + reason);
    if (!ended) return Unavailable(request, ended.error());
    components.vault.Discard(*session_id);
    components.orders.Forget(*session_id);
    StopDesktopOf(components, **session);
  }
  if (auto audited = ctx.audit.Append(*event); !audited) return Unavailable(request, audited.error());
  return Ok(request, json::object{});
}

// ?wait=<seconds>, capped at kMaxOrdersWait; absent or malformed means do not wait.
std::chrono::seconds WaitOf(const Request& request) {
  const std::string_view target = request.target();
  const auto at = target.find("wait=");
  if (at == std::string_view::npos) return std::chrono::seconds(0);
  const std::string_view digits = target.substr(at + 5);
  long value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || value < 0) return std::chrono::seconds(0);
  return std::min(std::chrono::seconds(value), kMaxOrdersWait);
}

json::object OrdersJson(std::vector<TerminateOrder> orders) {
  json::array out;
  for (TerminateOrder& order : orders) {
    out.push_back(json::object{{"sessionId", std::move(order.session_id)}, {"reason", std::move(order.reason)}});
  }
  return json::object{{"orders", std::move(out)}};
}

asio::awaitable<Response> Orders(ComponentServices& components, const Request& request, std::string gateway) {
  const auto deadline = std::chrono::steady_clock::now() + WaitOf(request);
  asio::steady_timer timer(co_await asio::this_coro::executor);
  std::vector<TerminateOrder> orders = components.orders.TakeFor(gateway);
  while (orders.empty() && std::chrono::steady_clock::now() < deadline) {
    timer.expires_after(kOrdersPollInterval);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    orders = components.orders.TakeFor(gateway);
  }
  json::object body = OrdersJson(std::move(orders));
  co_return Ok(request, body);
}

}  // namespace

void AddGatewayRoutes(Router& router, BrokerContext& ctx, ComponentServices& components) {
  auto* c = &components;
  router.Add(http::verb::post, "/api/gateway/redeem",
             RequireRole(ComponentRole::kGateway,
                         [&ctx, c](const Request& request, const RequestContext& peer) -> asio::awaitable<Response> {
                           co_return Redeem(ctx, *c, request, peer);
                         }));
  router.Add(http::verb::post, "/api/gateway/events",
             RequireRole(ComponentRole::kGateway,
                         [&ctx, c](const Request& request, const RequestContext&) -> asio::awaitable<Response> {
                           co_return Events(ctx, *c, request);
                         }));
  router.Add(http::verb::get, "/api/gateway/orders",
             RequireRole(ComponentRole::kGateway,
                         [c](const Request& request, const RequestContext& peer) -> asio::awaitable<Response> {
                           Response response = co_await Orders(*c, request, peer.client_subject);
                           co_return response;
                         }));
}

}  // namespace safedesk::broker
