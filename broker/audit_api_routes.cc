#include "broker/audit_api_routes.h"

#include <algorithm>

#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>

#include <charconv>
#include <memory>
#include <set>

#include "broker/audit_api_reader.h"
#include "common/clock.h"
#include "broker/requests_common.h"
#include "common/log.h"

namespace safedesk::broker {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

// Query strings here carry a few names and numbers; longer ones are not ours.
constexpr std::size_t kMaxQueryBytes = 1024;
// A session's trail is a few dozen records; this bounds the answer for a pathological one.
constexpr std::size_t kMaxTrailRecords = 5000;
constexpr std::size_t kLogTailRecords = 200;

struct SessionFilter {
  std::string user, project, approver;
  std::optional<std::int64_t> from, to;
  std::optional<bool> blocked;
};

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> PercentDecode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] != '%') {
      out += text[i];
    } else if (i + 2 < text.size() && HexValue(text[i + 1]) >= 0 && HexValue(text[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2]));
      i += 2;
    } else {
      return std::nullopt;
    }
  }
  return out;
}

// The query's key=value pairs; nullopt if it is too long or badly encoded.
std::optional<std::map<std::string, std::string>> QueryOf(std::string_view target) {
  const auto q = target.find('?');
  std::map<std::string, std::string> out;
  if (q == std::string_view::npos) return out;
  std::string_view rest = target.substr(q + 1);
  if (rest.size() > kMaxQueryBytes) return std::nullopt;
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    const auto eq = pair.find('=');
    auto key = PercentDecode(pair.substr(0, eq));
    auto value = PercentDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!key || !value) return std::nullopt;
    out[*key] = *value;
  }
  return out;
}

std::optional<std::int64_t> ParseSeconds(const std::string& text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// user, project, approver: names; from, to: Unix seconds (session start); blocked: true|false.
std::optional<SessionFilter> FilterOf(const std::map<std::string, std::string>& query) {
  SessionFilter filter;
  for (const auto& [key, value] : query) {
    if (value.empty()) continue;  // an empty field filters nothing, as a form leaves it
    if (key == "user") filter.user = value;
    else if (key == "project") filter.project = value;
    else if (key == "approver") filter.approver = value;
    else if (key == "from" && (filter.from = ParseSeconds(value))) continue;
    else if (key == "to" && (filter.to = ParseSeconds(value))) continue;
    else if (key == "blocked" && (value == "true" || value == "false")) filter.blocked = value == "true";
    else return std::nullopt;
  }
  return filter;
}

}  // namespace
}  // namespace safedesk::broker

namespace safedesk::broker {
namespace {

// What the session filters need beyond the store: which sessions had blocked attempts.
std::set<std::string> BlockedSessions(const AuditLogReader& reader) {
  std::set<std::string> blocked;
  AuditReadRequest read;
  read.keep = [](const AuditRecord&) { return false; };
  read.observe = [&](const AuditRecord& record) {
    if (record.type == "channel.blocked" && !record.session.empty()) blocked.insert(record.session);
  };
  (void)reader.Read(read);  // a broken log still yields what came before the break
  return blocked;
}

bool Matches(BrokerContext& ctx, const SessionFilter& filter, const SessionRecord& session,
             const std::set<std::string>& blocked) {
  if (!filter.user.empty() && session.user != filter.user) return false;
  if (!filter.project.empty() && session.project != filter.project) return false;
  if (filter.from && session.started_at < *filter.from) return false;
  if (filter.to && session.started_at > *filter.to) return false;
  if (filter.blocked && blocked.contains(session.id) != *filter.blocked) return false;
  if (filter.approver.empty()) return true;
  auto decisions = ctx.store.ListDecisions(session.request_id);
  if (!decisions) return false;
  return std::any_of(decisions->begin(), decisions->end(),
                     [&](const DecisionRecord& d) { return d.approved && d.approver == filter.approver; });
}

Response ListSessions(BrokerContext& ctx, const AuditLogReader& reader, const Request& request,
                      const RequestContext& peer) {
  auto caller = AuthorizeCaller(ctx, request, peer, Capability::kAudit);
  if (auto* refused = std::get_if<Response>(&caller)) return std::move(*refused);
  auto query = QueryOf(request.target());
  std::optional<SessionFilter> filter = query ? FilterOf(*query) : std::nullopt;
  if (!filter) return Refuse(http::status::bad_request, "bad_request", request, "bad audit session filter");
  auto sessions = ctx.store.ListSessions(false);
  if (!sessions) return Unavailable(request, sessions.error());
  const std::set<std::string> blocked = BlockedSessions(reader);
  json::array out;
  for (const SessionRecord& session : *sessions) {
    if (!Matches(ctx, *filter, session, blocked)) continue;
    json::object row = SessionJson(session);
    row["blocked"] = blocked.contains(session.id);
    out.push_back(std::move(row));
  }
  return Ok(request, json::object{{"sessions", std::move(out)}});
}

// A record belongs to the trail when it names the session or its request, or is the
// researcher's login or factor activity between asking and the session's end.
std::function<bool(const AuditRecord&)> TrailFilter(const SessionRecord& session, const RequestRecord& request,
                                                    std::string since, std::string until) {
  return [=](const AuditRecord& record) {
    if (record.session == session.id) return true;
    if (AuditString(record, "request") == request.id) return true;
    const bool personal = record.type.rfind("login.", 0) == 0 || record.type.rfind("factor.", 0) == 0;
    return personal && AuditString(record, "user") == session.user && record.ts >= since && record.ts <= until;
  };
}

Response SessionTrail(BrokerContext& ctx, const AuditLogReader& reader, const Request& request,
                      const RequestContext& peer) {
  auto caller = AuthorizeCaller(ctx, request, peer, Capability::kAudit);
  if (auto* refused = std::get_if<Response>(&caller)) return std::move(*refused);
  auto query = QueryOf(request.target());
  const std::string id = query && query->contains("id") ? query->at("id") : "";
  auto session = ctx.store.GetSession(id);
  if (!session) return Unavailable(request, session.error());
  if (!session->has_value()) return Refuse(http::status::not_found, "not_found", request, "no session " + id);
  auto record = ctx.store.GetRequest((*session)->request_id);
  if (!record) return Unavailable(request, record.error());
  const RequestRecord asked = record->value_or(RequestRecord{});
  const auto cookie_ttl = std::chrono::duration_cast<std::chrono::seconds>(ctx.config.broker.session_cookie_ttl);
  const auto since = Clock::WallTime(std::chrono::seconds(asked.created_at)) - cookie_ttl;
  const std::int64_t end = (*session)->ended_at != 0 ? (*session)->ended_at : NowSeconds(ctx);
  AuditReadRequest read{TrailFilter(**session, asked, FormatRfc3339(since),
                                    FormatRfc3339(Clock::WallTime(std::chrono::seconds(end + 1)))),
                        kMaxTrailRecords, nullptr};
  auto trail = reader.Read(read);
  if (!trail) return Unavailable(request, trail.error());
  auto decisions = DecisionsOf(ctx, request, asked.id);
  if (auto* refused = std::get_if<Response>(&decisions)) return std::move(*refused);
  return Ok(request, json::object{
                         {"session", SessionJson(**session)},
                         {"request", RequestJson(asked, std::get<std::vector<DecisionRecord>>(decisions), NowSeconds(ctx))},
                         {"verify", trail->verify},
                         {"trail", json::array(trail->kept.begin(), trail->kept.end())}});
}

Response LogTail(BrokerContext& ctx, const AuditLogReader& reader, const Request& request,
                 const RequestContext& peer) {
  auto caller = AuthorizeCaller(ctx, request, peer, Capability::kAudit);
  if (auto* refused = std::get_if<Response>(&caller)) return std::move(*refused);
  auto tail = reader.Read({nullptr, kLogTailRecords, nullptr});
  if (!tail) return Unavailable(request, tail.error());
  return Ok(request, json::object{{"verify", tail->verify},
                                  {"records", json::array(tail->kept.begin(), tail->kept.end())}});
}

// Auditors read; nothing under /api/audit/ changes state, whoever asks.
Response ReadOnly(BrokerContext&, const Request& request, const RequestContext& peer) {
  return Refuse(http::status::forbidden, "forbidden", request, "POST under /api/audit/ from " + peer.remote_address);
}

using ReaderHandler = Response (*)(BrokerContext&, const AuditLogReader&, const Request&, const RequestContext&);

Handler WithReader(BrokerContext& ctx, std::shared_ptr<const AuditLogReader> reader, ReaderHandler handler) {
  return [&ctx, reader, handler](const Request& request, const RequestContext& peer) -> asio::awaitable<Response> {
    co_return handler(ctx, *reader, request, peer);
  };
}

}  // namespace

Result<AuditLogSource> AuditLogSourceFrom(const config::Config& config) {
  auto key = Ed25519PrivateKey::LoadPemFile(config.audit.signing_key.string());
  if (!key) return MakeError(key.error().code, "audit signing key: " + key.error().message);
  return AuditLogSource{config.audit.file, {key->public_key()}};
}

void AddAuditRoutes(Router& router, BrokerContext& ctx) {
  auto source = AuditLogSourceFrom(ctx.config);
  if (!source) log::Main()->error("audit API cannot verify the log: {}", source.error().message);
  AddAuditRoutes(router, ctx, source ? std::move(*source) : AuditLogSource{ctx.config.audit.file, {}});
}

void AddAuditRoutes(Router& router, BrokerContext& ctx, AuditLogSource source) {
  auto reader = std::make_shared<const AuditLogReader>(std::move(source.file), std::move(source.trusted_keys));
  router.Add(http::verb::get, "/api/audit/sessions", WithReader(ctx, reader, ListSessions));
  router.Add(http::verb::get, "/api/audit/session", WithReader(ctx, reader, SessionTrail));
  router.Add(http::verb::get, "/api/audit/log", WithReader(ctx, reader, LogTail));
  for (const char* path : {"/api/audit/sessions", "/api/audit/session", "/api/audit/log"}) {
    router.Add(http::verb::post, path, WrapPlain(ctx, ReadOnly));
  }
}

}  // namespace safedesk::broker
