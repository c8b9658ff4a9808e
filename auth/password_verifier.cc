#include "auth/password_verifier.h"

#include <algorithm>

namespace safedesk::auth {
namespace {

bool HasControlByte(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

}  // namespace

std::string_view PasswordOutcomeName(PasswordOutcome outcome) {
  switch (outcome) {
    case PasswordOutcome::kAccepted:
      return "accepted";
    case PasswordOutcome::kWrongPassword:
      return "wrong_password";
    case PasswordOutcome::kUnknownUser:
      return "unknown_user";
    case PasswordOutcome::kEmptyPassword:
      return "empty_password";
    case PasswordOutcome::kAccountNotPermitted:
      return "account_not_permitted";
    case PasswordOutcome::kLockedOut:
      return "locked_out";
    case PasswordOutcome::kUnavailable:
      return "unavailable";
  }
  return "unavailable";
}

std::optional<PasswordOutcome> PasswordOutcomeFromCode(std::uint8_t code) {
  if (code > static_cast<std::uint8_t>(PasswordOutcome::kUnavailable)) return std::nullopt;
  return static_cast<PasswordOutcome>(code);
}

std::optional<PasswordOutcome> PrecheckPasswordRequest(std::string_view user,
                                                       const Secret& password,
                                                       std::string_view source_address) {
  if (user.empty() || user.size() > kMaxUserBytes || HasControlByte(user)) {
    return PasswordOutcome::kUnknownUser;
  }
  // The source only labels the attempt (PAM_RHOST, audit); a malformed one is a caller bug
  // or an attack on log structure, never a reason to let the attempt through.
  if (source_address.size() > kMaxSourceBytes || HasControlByte(source_address)) {
    return PasswordOutcome::kUnavailable;
  }
  if (password.empty()) return PasswordOutcome::kEmptyPassword;
  const std::string_view text = password.reveal();
  if (text.size() > kMaxPasswordBytes || text.find('\0') != std::string_view::npos) {
    return PasswordOutcome::kWrongPassword;
  }
  return std::nullopt;
}

}  // namespace safedesk::auth
