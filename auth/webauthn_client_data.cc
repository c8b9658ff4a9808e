#include "auth/webauthn_client_data.h"

#include <algorithm>
#include <boost/json.hpp>
#include <exception>
#include <optional>

#include "auth/webauthn_limits.h"
#include "common/encoding.h"

namespace safedesk::auth {
namespace {

namespace json = boost::json;

// clientDataJSON is a flat object; nesting beyond tokenBinding's one level is suspicious.
constexpr unsigned kMaxClientDataDepth = 4;

std::optional<json::object> ParseObject(std::string_view text) {
  try {
    json::parse_options options;
    options.max_depth = kMaxClientDataDepth;
    boost::system::error_code error;
    json::value value = json::parse(text, error, {}, options);
    if (error || !value.is_object()) return std::nullopt;
    return std::move(value.as_object());
  } catch (const std::exception&) {  // allocation failure: treat as unparseable
    return std::nullopt;
  }
}

std::optional<std::string_view> StringField(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr || !value->is_string()) return std::nullopt;
  return std::string_view(value->get_string());
}

Verdict CheckCrossOrigin(const json::object& object) {
  if (const json::value* cross = object.if_contains("crossOrigin")) {
    if (!cross->is_bool()) return WebAuthnReason::kMalformed;
    if (cross->get_bool()) return WebAuthnReason::kCrossOrigin;
  }
  // topOrigin only appears for a ceremony run inside a cross-origin iframe.
  if (object.contains("topOrigin")) return WebAuthnReason::kCrossOrigin;
  return kPassed;
}

}  // namespace

Checked<Sha256Digest> CheckClientData(std::span<const std::uint8_t> client_data_json,
                                      const ClientDataExpectation& expected) {
  if (client_data_json.size() > kMaxClientDataJsonBytes) return WebAuthnReason::kTooLarge;
  const std::optional<json::object> object = ParseObject(AsText(client_data_json));
  if (!object) return WebAuthnReason::kMalformed;
  const auto type = StringField(*object, "type");
  const auto challenge = StringField(*object, "challenge");
  const auto origin = StringField(*object, "origin");
  if (!type || !challenge || !origin) return WebAuthnReason::kMalformed;
  // The type goes first: a get() response replayed into create() (or back) is named as such.
  if (*type != expected.type) return WebAuthnReason::kWrongType;
  if (*challenge != expected.challenge) return WebAuthnReason::kWrongChallenge;
  const auto& origins = expected.allowed_origins;
  if (std::find(origins.begin(), origins.end(), *origin) == origins.end()) return WebAuthnReason::kWrongOrigin;
  if (Verdict v = CheckCrossOrigin(*object)) return *v;
  return Sha256(client_data_json);
}

}  // namespace safedesk::auth
