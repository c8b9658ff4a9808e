#pragma once
// Shared steps of every API handler: read a JSON body within its caps, find the caller's
// browser session (and check CSRF on state-changing requests), check a role capability,
// answer with a generic error while logging the detail. See broker/API.md.

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <variant>

#include "broker/broker_context.h"
#include "broker/http/http_server.h"

namespace safedesk::broker {

// A named cap: JSON nesting deeper than this is refused (the API's bodies are flat).
inline constexpr std::size_t kMaxJsonDepth = 8;
// Caps for free-text fields posted by users.
inline constexpr std::size_t kMaxPurposeBytes = 2000;
inline constexpr std::size_t kMaxNameBytes = 128;
inline constexpr std::size_t kMaxReasonBytes = 1000;

// Either the value or the response to send instead.
template <class T>
using OrResponse = std::variant<T, Response>;

// The parsed body of a POST, or a 400 (malformed JSON, not an object, too deep).
OrResponse<boost::json::object> ParseJsonBody(const Request& request);

// A string field of at most `max_bytes` bytes (non-empty unless allow_empty).
std::optional<std::string> StringField(const boost::json::object& body, std::string_view key,
                                       std::size_t max_bytes, bool allow_empty = false);
std::optional<std::int64_t> IntField(const boost::json::object& body, std::string_view key);
std::optional<bool> BoolField(const boost::json::object& body, std::string_view key);

// User and project names go to PAM, paths and log lines: 1..kMaxNameBytes of letters,
// digits and ._-, not starting with . or -.
bool ValidName(std::string_view name);

enum class Capability { kRequest, kApprove, kAudit, kAdmin };

struct Caller {
  WebSessionRecord session;
  UserRecord user;
  bool Can(const config::Config& config, Capability capability) const;
};

// The logged-in caller, or a 401 (no/expired/foreign session, bad CSRF, disabled user).
// State-changing methods (anything but GET/HEAD) must carry the CSRF header.
OrResponse<Caller> Authenticate(BrokerContext& ctx, const Request& request, const RequestContext& peer);

// 403 unless the caller's roles grant `capability`.
std::optional<Response> RequireCapability(BrokerContext& ctx, const Caller& caller, Capability capability,
                                          const Request& request);

// Unix seconds until which the session's last step-up counts (0 if never).
std::int64_t StepUpUntil(const BrokerContext& ctx, const WebSessionRecord& session);
bool StepUpFresh(const BrokerContext& ctx, const WebSessionRecord& session);
// 403 {"error":"step_up_required"} unless the session made a step-up within
// broker.step_up_window: the page then asks for one and retries; `action` goes to the log.
std::optional<Response> RequireStepUp(const BrokerContext& ctx, const WebSessionRecord& session,
                                      const Request& request, std::string_view action);

// A generic error to the client, the detail to the log.
Response Refuse(http::status status, std::string_view code, const Request& request, std::string_view detail);
// 400 {"error":"bad_request","field":<field>}: which field of an administrator's form
// is wrong (field names are the API's, never user data); the detail goes to the log.
Response RefuseField(std::string_view field, const Request& request, std::string_view detail);
// 200 with a JSON value.
Response Ok(const Request& request, const boost::json::value& body);

// Runs the password check on the auth worker pool and resumes on the caller's executor.
boost::asio::awaitable<auth::PasswordOutcome> CheckPassword(BrokerContext& ctx, std::string user, Secret password,
                                                            std::string source);

}  // namespace safedesk::broker
