// The /api/admin/users* routes of AddAdminRoutes (admin_api.h).
#include <boost/json/array.hpp>

#include "broker/admin_api.h"
#include "broker/requests_common.h"
#include "common/audit_events.h"
#include "common/log.h"

namespace safedesk::broker {
namespace {

namespace json = boost::json;

// A user holds a few roles; a long list is a mistake or an attack on the audit line.
constexpr std::size_t kMaxRolesPerUser = 16;

// The "roles" array, each naming a role of the configuration; nullopt if anything is off.
std::optional<std::vector<std::string>> RolesField(const config::Config& config, const json::object& body) {
  const auto* value = body.if_contains("roles");
  if (value == nullptr || !value->is_array() || value->get_array().size() > kMaxRolesPerUser) return std::nullopt;
  std::vector<std::string> roles;
  for (const json::value& role : value->get_array()) {
    if (!role.is_string() || config.FindRole(role.get_string()) == nullptr) return std::nullopt;
    roles.emplace_back(role.get_string());
  }
  return roles;
}

std::string JoinRoles(const std::vector<std::string>& roles) {
  std::string out;
  for (const std::string& role : roles) out += (out.empty() ? "" : ",") + role;
  return out;
}

Response ListUsers(BrokerContext& ctx, const Request& request, const RequestContext& peer) {
  auto caller = AuthorizeCaller(ctx, request, peer, Capability::kAdmin);
  if (auto* refused = std::get_if<Response>(&caller)) return std::move(*refused);
  auto users = ctx.store.ListUsers();
  if (!users) return Unavailable(request, users.error());
  json::array out;
  for (const UserRecord& user : *users) {
    auto factors = ctx.store.ListFactors(user.name);
    if (!factors) return Unavailable(request, factors.error());
    json::array roles(user.roles.begin(), user.roles.end());
    out.push_back(json::object{{"name", user.name},
                               {"displayName", user.display_name},
                               {"roles", std::move(roles)},
                               {"disabled", user.disabled},
                               {"factors", static_cast<std::int64_t>(factors->size())}});
  }
  return Ok(request, json::object{{"users", std::move(out)}});
}

Response CreateUser(BrokerContext& ctx, const Request& request, const RequestContext& peer) {
  auto caller = AuthorizeCaller(ctx, request, peer, Capability::kAdmin);
  if (auto* refused = std::get_if<Response>(&caller)) return std::move(*refused);
  if (auto refused = RequireStepUp(ctx, std::get<Caller>(caller).session, request, "creating a user")) {
    return std::move(*refused);
  }
  auto body = ParseJsonBody(request);
  if (auto* refused = std::get_if<Response>(&body)) return std::move(*refused);
  const auto& fields = std::get<json::object>(body);
  auto name = StringField(fields, "name", kMaxNameBytes);
  auto display = StringField(fields, "displayName", kMaxNameBytes, /*allow_empty=*/true);
  auto roles = RolesField(ctx.config, fields);
  if (!name || !ValidName(*name) || !display || !roles) {
    return Refuse(http::status::bad_request, "bad_request", request, "bad user fields");
  }
  UserRecord user{*name, *display, *roles, false, NowSeconds(ctx)};
  if (auto created = ctx.store.CreateUser(user); !created) {
    if (created.error().code == Errc::kAlreadyExists) {
      return Refuse(http::status::conflict, "conflict", request, "user " + *name + " exists");
    }
    return Unavailable(request, created.error());
  }
  const std::string& by = std::get<Caller>(caller).user.name;
  if (auto audited = ctx.audit.Append(audit::UserCreated(user.name, by, JoinRoles(user.roles))); !audited) {
    return Unavailable(request, audited.error());
  }
  return Ok(request, json::object{});
}

// Loads the user the body names; 400 or 404 (or 503) as the response otherwise.
OrResponse<UserRecord> NamedUser(BrokerContext& ctx, const json::object& body, const Request& request) {
  auto name = StringField(body, "name", kMaxNameBytes);
  if (!name) return Refuse(http::status::bad_request, "bad_request", request, "missing name");
  auto user = ctx.store.FindUser(*name);
  if (!user) return Unavailable(request, user.error());
  if (!user->has_value()) return Refuse(http::status::not_found, "not_found", request, "no user " + *name);
  return std::move(**user);
}

Response UpdateUser(BrokerContext& ctx, const Request& request, const RequestContext& peer) {
  auto caller = AuthorizeCaller(ctx, request, peer, Capability::kAdmin);
  if (auto* refused = std::get_if<Response>(&caller)) return std::move(*refused);
  if (auto refused = RequireStepUp(ctx, std::get<Caller>(caller).session, request, "changing a user")) {
    return std::move(*refused);
  }
  auto body = ParseJsonBody(request);
  if (auto* refused = std::get_if<Response>(&body)) return std::move(*refused);
  const auto& fields = std::get<json::object>(body);
  auto user = NamedUser(ctx, fields, request);
  if (auto* refused = std::get_if<Response>(&user)) return std::move(*refused);
  UserRecord& record = std::get<UserRecord>(user);
  if (fields.contains("roles")) {
    auto roles = RolesField(ctx.config, fields);
    if (!roles) return Refuse(http::status::bad_request, "bad_request", request, "bad roles");
    record.roles = std::move(*roles);
  }
  if (fields.contains("disabled")) {
    auto disabled = BoolField(fields, "disabled");
    if (!disabled) return Refuse(http::status::bad_request, "bad_request", request, "bad disabled flag");
    record.disabled = *disabled;
  }
  if (auto updated = ctx.store.UpdateUser(record); !updated) return Unavailable(request, updated.error());
  const std::string& by = std::get<Caller>(caller).user.name;
  auto audited = ctx.audit.Append(audit::UserUpdated(record.name, by, JoinRoles(record.roles), record.disabled));
  if (!audited) return Unavailable(request, audited.error());
  return Ok(request, json::object{});
}

Response ResetFactors(BrokerContext& ctx, const Request& request, const RequestContext& peer) {
  auto caller = AuthorizeCaller(ctx, request, peer, Capability::kAdmin);
  if (auto* refused = std::get_if<Response>(&caller)) return std::move(*refused);
  if (auto refused = RequireStepUp(ctx, std::get<Caller>(caller).session, request, "resetting a user's factors")) {
    return std::move(*refused);
  }
  auto body = ParseJsonBody(request);
  if (auto* refused = std::get_if<Response>(&body)) return std::move(*refused);
  auto user = NamedUser(ctx, std::get<json::object>(body), request);
  if (auto* refused = std::get_if<Response>(&user)) return std::move(*refused);
  const std::string& name = std::get<UserRecord>(user).name;
  auto factors = ctx.store.ListFactors(name);
  if (!factors) return Unavailable(request, factors.error());
  for (const FactorRecord& factor : *factors) {
    if (auto removed = ctx.store.RemoveFactor(name, factor.id); !removed) return Unavailable(request, removed.error());
  }
  const std::string& by = std::get<Caller>(caller).user.name;
  auto audited = ctx.audit.Append(audit::UserFactorsReset(name, by, static_cast<std::int64_t>(factors->size())));
  if (!audited) return Unavailable(request, audited.error());
  log::Main()->info("factors of {} reset by {}", name, by);
  return Ok(request, json::object{});
}

}  // namespace

void AddAdminUserRoutes(Router& router, BrokerContext& ctx) {
  router.Add(http::verb::get, "/api/admin/users", WrapPlain(ctx, ListUsers));
  router.Add(http::verb::post, "/api/admin/users", WrapPlain(ctx, CreateUser));
  router.Add(http::verb::post, "/api/admin/users/update", WrapPlain(ctx, UpdateUser));
  router.Add(http::verb::post, "/api/admin/users/reset-factors", WrapPlain(ctx, ResetFactors));
}

}  // namespace safedesk::broker
