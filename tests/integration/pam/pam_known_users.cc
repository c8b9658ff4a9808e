// A PAM module for the tests only: PAM_USER_UNKNOWN for a user not named in pam_matrix's
// passdb, PAM_IGNORE otherwise. pam_matrix alone answers PAM_AUTH_ERR for unknown users,
// so without this the unknown_user outcome could not be exercised.
//
//   auth requisite /path/pam_known_users.so passdb=/path/passdb

#include <security/pam_modules.h>

#include <fstream>
#include <string>
#include <string_view>

namespace {

bool Listed(const std::string& passdb, std::string_view user) {
  std::ifstream in(passdb);
  std::string line;
  while (std::getline(in, line)) {
    if (line.substr(0, line.find(':')) == user) return true;
  }
  return false;
}

}  // namespace

extern "C" {

PAM_EXTERN int pam_sm_authenticate(pam_handle_t* pamh, int /*flags*/, int argc, const char** argv) {
  constexpr std::string_view kKey = "passdb=";
  std::string passdb;
  for (int i = 0; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.substr(0, kKey.size()) == kKey) passdb = arg.substr(kKey.size());
  }
  const void* user = nullptr;
  if (passdb.empty() || pam_get_item(pamh, PAM_USER, &user) != PAM_SUCCESS || user == nullptr) {
    return PAM_AUTHINFO_UNAVAIL;
  }
  return Listed(passdb, static_cast<const char*>(user)) ? PAM_IGNORE : PAM_USER_UNKNOWN;
}

PAM_EXTERN int pam_sm_setcred(pam_handle_t* /*pamh*/, int /*flags*/, int /*argc*/,
                              const char** /*argv*/) {
  return PAM_IGNORE;
}

}  // extern "C"
