#include "auth/pam_password.h"

#include <security/pam_appl.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "common/log.h"

namespace safedesk::auth {
namespace {

// What the conversation answers with. Points into the caller's Secret and string.
struct ConversationData {
  std::string_view user;
  std::string_view password;
};

// PAM's own cap on a conversation (Linux-PAM defines it as 32).
constexpr int kMaxMessages = PAM_MAX_NUM_MSG;
// The tty PAM sees: modules such as pam_access and pam_time match rules against it, and
// a web login has none. ssh uses "ssh" the same way.
constexpr const char* kTtyName = "safedesk";

// A malloc'd NUL-terminated copy, as PAM frees responses with free().
char* MallocCopy(std::string_view text) {
  auto* copy = static_cast<char*>(std::malloc(text.size() + 1));
  if (copy == nullptr) return nullptr;
  if (!text.empty()) std::memcpy(copy, text.data(), text.size());
  copy[text.size()] = '\0';
  return copy;
}

void FreeResponses(pam_response* responses, int count) {
  for (int i = 0; i < count; ++i) {
    if (responses[i].resp != nullptr) {
      WipeBytes(responses[i].resp, std::strlen(responses[i].resp));
      std::free(responses[i].resp);
    }
  }
  std::free(responses);
}

void LogModuleMessage(const pam_message* message) {
  // Module texts ("Authentication failed", "password expires in 3 days") hold no secret
  // of ours; they are capped so a chatty module cannot flood the log.
  const char* text = message->msg != nullptr ? message->msg : "";
  log::Main()->info("pam: module says ({}): {:.200}",
                    message->msg_style == PAM_ERROR_MSG ? "error" : "info", text);
}

// Answers one message into `response`; false fails the whole conversation.
bool AnswerOne(const pam_message* message, const ConversationData& data, pam_response& response) {
  switch (message->msg_style) {
    case PAM_PROMPT_ECHO_OFF:  // "Password: "
      response.resp = MallocCopy(data.password);
      return response.resp != nullptr;
    case PAM_PROMPT_ECHO_ON:  // a module asking for the login name again
      response.resp = MallocCopy(data.user);
      return response.resp != nullptr;
    case PAM_ERROR_MSG:
    case PAM_TEXT_INFO:
      LogModuleMessage(message);
      return true;
    default:  // PAM_BINARY_PROMPT and anything newer: nothing to answer with
      log::Main()->warn("pam: unsupported conversation style {}", message->msg_style);
      return false;
  }
}

// Linux-PAM passes `msg` as an array of pointers (Solaris as a pointer to an array); both
// agree for the single message every module we know sends, and indexing msg[i] is the
// Linux reading, which is what Debian runs.
int Converse(int num_msg, const pam_message** msg, pam_response** resp, void* appdata) {
  if (num_msg <= 0 || num_msg > kMaxMessages || msg == nullptr || appdata == nullptr) {
    return PAM_CONV_ERR;
  }
  const auto& data = *static_cast<const ConversationData*>(appdata);
  for (int i = 0; i < num_msg; ++i) {
    if (msg[i] == nullptr) return PAM_CONV_ERR;
  }
  if (resp == nullptr) {
    // Some modules (pam_matrix "verbose") send messages with no response pointer: they
    // can be shown, but a prompt cannot be answered.
    for (int i = 0; i < num_msg; ++i) {
      const int style = msg[i]->msg_style;
      if (style != PAM_ERROR_MSG && style != PAM_TEXT_INFO) return PAM_CONV_ERR;
      LogModuleMessage(msg[i]);
    }
    return PAM_SUCCESS;
  }
  auto* responses = static_cast<pam_response*>(std::calloc(num_msg, sizeof(pam_response)));
  if (responses == nullptr) return PAM_BUF_ERR;
  for (int i = 0; i < num_msg; ++i) {
    if (!AnswerOne(msg[i], data, responses[i])) {
      FreeResponses(responses, num_msg);
      return PAM_CONV_ERR;
    }
  }
  *resp = responses;
  return PAM_SUCCESS;
}

PasswordOutcome MapAuthenticate(int rc) {
  switch (rc) {
    case PAM_SUCCESS:
      return PasswordOutcome::kAccepted;
    case PAM_USER_UNKNOWN:
      return PasswordOutcome::kUnknownUser;
    case PAM_AUTH_ERR:
    case PAM_CRED_INSUFFICIENT:
    case PAM_MAXTRIES:
      return PasswordOutcome::kWrongPassword;
    default:
      return PasswordOutcome::kUnavailable;  // PAM_AUTHINFO_UNAVAIL, CONV_ERR, ...
  }
}

PasswordOutcome MapAccount(int rc) {
  switch (rc) {
    case PAM_SUCCESS:
      return PasswordOutcome::kAccepted;
    case PAM_ACCT_EXPIRED:
    case PAM_PERM_DENIED:
    case PAM_AUTH_ERR:
    case PAM_USER_UNKNOWN:
    // An expired password would need a change dialogue the web login does not offer.
    case PAM_NEW_AUTHTOK_REQD:
      return PasswordOutcome::kAccountNotPermitted;
    default:
      return PasswordOutcome::kUnavailable;
  }
}

}  // namespace

PamPasswordVerifier::PamPasswordVerifier(std::string service) : service_(std::move(service)) {}

PasswordOutcome PamPasswordVerifier::Verify(std::string_view user, Secret password,
                                            std::string_view source_address) {
  if (auto refused = PrecheckPasswordRequest(user, password, source_address)) return *refused;
  const std::string user_z(user);
  const std::string source_z(source_address);
  ConversationData data{user, password.reveal()};
  const pam_conv conversation{&Converse, &data};
  pam_handle_t* handle = nullptr;
  int rc = pam_start(service_.c_str(), user_z.c_str(), &conversation, &handle);
  if (rc != PAM_SUCCESS || handle == nullptr) {
    log::Main()->error("pam: pam_start({}) failed: {}", service_, rc);
    return PasswordOutcome::kUnavailable;
  }
  rc = pam_set_item(handle, PAM_RHOST, source_z.c_str());
  if (rc == PAM_SUCCESS) rc = pam_set_item(handle, PAM_TTY, kTtyName);
  PasswordOutcome outcome = PasswordOutcome::kUnavailable;
  if (rc == PAM_SUCCESS) {
    rc = pam_authenticate(handle, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
    outcome = MapAuthenticate(rc);
  }
  if (outcome == PasswordOutcome::kAccepted) {
    rc = pam_acct_mgmt(handle, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
    outcome = MapAccount(rc);
  }
  if (outcome == PasswordOutcome::kUnavailable) {
    log::Main()->error("pam: service {}: {}", service_, pam_strerror(handle, rc));
  }
  pam_end(handle, rc);  // also drops PAM_AUTHTOK, which Linux-PAM wipes
  return outcome;
}

}  // namespace safedesk::auth
