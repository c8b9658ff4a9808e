#include "broker/api_support.h"

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

#include "common/log.h"

namespace safedesk::broker {
namespace json = boost::json;
namespace asio = boost::asio;

OrResponse<json::object> ParseJsonBody(const Request& request) {
  json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  boost::system::error_code ec;
  json::value value = json::parse(request.body(), ec, {}, options);
  if (ec || !value.is_object()) {
    return Refuse(http::status::bad_request, "bad_request", request,
                  ec ? "malformed JSON: " + ec.message() : "JSON body is not an object");
  }
  return std::move(value.as_object());
}

std::optional<std::string> StringField(const json::object& body, std::string_view key, std::size_t max_bytes,
                                       bool allow_empty) {
  const auto* value = body.if_contains(key);
  if (value == nullptr || !value->is_string()) return std::nullopt;
  const auto& text = value->get_string();
  if (text.size() > max_bytes || (!allow_empty && text.empty())) return std::nullopt;
  return std::string(text);
}

std::optional<std::int64_t> IntField(const json::object& body, std::string_view key) {
  const auto* value = body.if_contains(key);
  if (value == nullptr || !value->is_int64()) return std::nullopt;
  return value->get_int64();
}

std::optional<bool> BoolField(const json::object& body, std::string_view key) {
  const auto* value = body.if_contains(key);
  if (value == nullptr || !value->is_bool()) return std::nullopt;
  return value->get_bool();
}

bool Caller::Can(const config::Config& config, Capability capability) const {
  return std::any_of(user.roles.begin(), user.roles.end(), [&](const std::string& name) {
    const config::RoleConfig* role = config.FindRole(name);
    if (role == nullptr) return false;  // an unknown role grants nothing
    switch (capability) {
      case Capability::kRequest: return role->can_request;
      case Capability::kApprove: return role->can_approve;
      case Capability::kAudit: return role->can_audit;
      case Capability::kAdmin: return role->can_admin;
    }
    return false;
  });
}

OrResponse<Caller> Authenticate(BrokerContext& ctx, const Request& request, const RequestContext& peer) {
  const bool state_changing = request.method() != http::verb::get && request.method() != http::verb::head;
  auto checked = ctx.web_sessions.Check(request[http::field::cookie], peer.remote_address, state_changing,
                                        request[kCsrfHeaderName]);
  if (!checked) return Refuse(http::status::service_unavailable, "unavailable", request, checked.error().message);
  if (!checked->session) {
    return Refuse(http::status::unauthorized, "unauthenticated", request,
                  std::string("session refused: ") + std::string(WebSessionRejectionName(*checked->rejection)));
  }
  auto user = ctx.store.FindUser(checked->session->user);
  if (!user) return Refuse(http::status::service_unavailable, "unavailable", request, user.error().message);
  if (!user->has_value() || (*user)->disabled) {
    return Refuse(http::status::unauthorized, "unauthenticated", request, "user gone or disabled");
  }
  return Caller{std::move(*checked->session), std::move(**user)};
}

std::optional<Response> RequireCapability(BrokerContext& ctx, const Caller& caller, Capability capability,
                                          const Request& request) {
  if (caller.Can(ctx.config, capability)) return std::nullopt;
  return Refuse(http::status::forbidden, "forbidden", request,
                "user " + caller.user.name + " lacks the capability for " + std::string(request.target()));
}

Response Refuse(http::status status, std::string_view code, const Request& request, std::string_view detail) {
  log::Main()->info("api: {} {} -> {} {}: {}", std::string(request.method_string()), std::string(request.target()),
                    static_cast<int>(status), code, detail);
  return ErrorResponse(status, code, request);
}

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameBytes || name.front() == '-' || name.front() == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
}

Response RefuseField(std::string_view field, const Request& request, std::string_view detail) {
  log::Main()->info("api: {} {} -> 400 bad_request ({}): {}", std::string(request.method_string()),
                    std::string(request.target()), field, detail);
  json::object body{{"error", "bad_request"}, {"field", field}};
  return JsonResponse(http::status::bad_request, json::serialize(body), request.version(), request.keep_alive());
}

std::int64_t StepUpUntil(const BrokerContext& ctx, const WebSessionRecord& session) {
  if (session.step_up_at <= 0) return 0;
  return session.step_up_at +
         std::chrono::duration_cast<std::chrono::seconds>(ctx.config.broker.step_up_window).count();
}

bool StepUpFresh(const BrokerContext& ctx, const WebSessionRecord& session) {
  return UnixSeconds(ctx.clock.Now()) < StepUpUntil(ctx, session);
}

std::optional<Response> RequireStepUp(const BrokerContext& ctx, const WebSessionRecord& session,
                                      const Request& request, std::string_view action) {
  if (StepUpFresh(ctx, session)) return std::nullopt;
  return Refuse(http::status::forbidden, "step_up_required", request,
                std::string(action) + " needs a step-up within broker.step_up_window");
}

Response Ok(const Request& request, const json::value& body) {
  return JsonResponse(http::status::ok, json::serialize(body), request.version(), request.keep_alive());
}

namespace {

struct PasswordAttempt {
  std::string user;
  Secret password;
  std::string source;
};

// Starts the check on the worker pool; the outcome is posted back to `executor`.
struct PasswordCheckInitiation {
  BrokerContext* ctx;
  std::shared_ptr<PasswordAttempt> attempt;
  asio::any_io_executor executor;

  template <class Handler>
  void operator()(Handler handler) {
    auto shared = std::make_shared<Handler>(std::move(handler));
    ctx->passwords.CheckAsync(std::move(attempt->user), std::move(attempt->password), std::move(attempt->source),
                              [executor = executor, shared](auth::PasswordOutcome outcome) {
                                asio::post(executor, [shared, outcome] { (*shared)(outcome); });
                              });
  }
};

// Not a coroutine: it only builds the awaitable. g++ 12 relocates non-trivial temporaries
// inside a co_await expression bitwise (then destroys both copies), so the awaitable is
// made here and awaited from a named local in CheckPassword.
asio::awaitable<auth::PasswordOutcome> InitiatePasswordCheck(BrokerContext& ctx,
                                                             std::shared_ptr<PasswordAttempt> attempt,
                                                             asio::any_io_executor executor) {
  return asio::async_initiate<const asio::use_awaitable_t<>, void(auth::PasswordOutcome)>(
      PasswordCheckInitiation{&ctx, std::move(attempt), std::move(executor)}, asio::use_awaitable);
}

}  // namespace

asio::awaitable<auth::PasswordOutcome> CheckPassword(BrokerContext& ctx, std::string user, Secret password,
                                                     std::string source) {
  asio::any_io_executor executor = co_await asio::this_coro::executor;
  auto attempt = std::make_shared<PasswordAttempt>();
  attempt->user = std::move(user);
  attempt->password = std::move(password);
  attempt->source = std::move(source);
  asio::awaitable<auth::PasswordOutcome> check = InitiatePasswordCheck(ctx, std::move(attempt), std::move(executor));
  const auth::PasswordOutcome outcome = co_await std::move(check);
  co_return outcome;
}

}  // namespace safedesk::broker
