#include "broker/requests_common.h"

#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>

#include "common/encoding.h"

namespace safedesk::broker {

namespace json = boost::json;

// A request id is unguessable so that one researcher cannot probe for another's.
constexpr std::size_t kIdBytes = 16;

OrResponse<Caller> AuthorizeCaller(BrokerContext& ctx, const Request& request, const RequestContext& peer,
                                   Capability capability) {
  auto caller = Authenticate(ctx, request, peer);
  if (auto* refused = std::get_if<Response>(&caller)) return std::move(*refused);
  if (auto refused = RequireCapability(ctx, std::get<Caller>(caller), capability, request)) return std::move(*refused);
  return caller;
}

Result<std::string> NewId(Random& random) {
  auto bytes = random.Bytes(kIdBytes);
  if (!bytes) return bytes.error();
  return HexEncode(*bytes);
}

std::int64_t NowSeconds(const BrokerContext& ctx) { return UnixSeconds(ctx.clock.Now()); }

Response Unavailable(const Request& request, const Error& error) {
  return Refuse(http::status::service_unavailable, "unavailable", request,
                std::string(ErrcName(error.code)) + ": " + error.message);
}

// An approval whose window has passed can no longer start anything; say so, though
// the stored state only changes when someone tries.
std::string_view VisibleState(const RequestRecord& record, std::int64_t now) {
  if (record.state == RequestState::kApproved && record.approved_until <= now) {
    return RequestStateName(RequestState::kExpired);
  }
  return RequestStateName(record.state);
}

json::object RequestJson(const RequestRecord& record, const std::vector<DecisionRecord>& decisions,
                                std::int64_t now) {
  json::array decided;
  for (const DecisionRecord& d : decisions) {
    decided.push_back(json::object{{"approver", d.approver}, {"approved", d.approved}, {"reason", d.reason}, {"at", d.at}});
  }
  return json::object{{"id", record.id},
                      {"user", record.user},
                      {"project", record.project},
                      {"purpose", record.purpose},
                      {"durationSeconds", record.duration_seconds},
                      {"state", VisibleState(record, now)},
                      {"createdAt", record.created_at},
                      {"approvedUntil", record.approved_until},
                      {"approvalsNeeded", record.approvals_needed},
                      {"decisions", std::move(decided)}};
}

json::object SessionJson(const SessionRecord& record) {
  return json::object{{"id", record.id},
                      {"requestId", record.request_id},
                      {"user", record.user},
                      {"project", record.project},
                      {"desktop", record.desktop},
                      {"source", record.source},
                      {"startedAt", record.started_at},
                      {"endedAt", record.ended_at},
                      {"live", record.ended_at == 0},
                      {"endReason", record.end_reason},
                      {"recordingId", record.recording_id}};
}

OrResponse<std::vector<DecisionRecord>> DecisionsOf(BrokerContext& ctx, const Request& request,
                                                    const std::string& request_id) {
  auto decisions = ctx.store.ListDecisions(request_id);
  if (!decisions) return Unavailable(request, decisions.error());
  return std::move(*decisions);
}

Handler WrapPlain(BrokerContext& ctx, PlainHandler handler) {
  return [&ctx, handler](const Request& request, const RequestContext& peer) -> boost::asio::awaitable<Response> {
    co_return handler(ctx, request, peer);
  };
}

}  // namespace safedesk::broker
