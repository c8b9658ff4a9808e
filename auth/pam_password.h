#pragma once
// The password factor through PAM in this process: pam_start on the configured service,
// pam_authenticate, then pam_acct_mgmt. Needs the rights the service's modules need
// (pam_unix reads /etc/shadow only as root); where the broker runs unprivileged it uses
// HelperPasswordVerifier (privsep_password.h), and the helper uses this class. PAM types
// stay in the .cc file.

#include <string>
#include <string_view>

#include "auth/password_verifier.h"

namespace safedesk::auth {

class PamPasswordVerifier final : public PasswordVerifier {
 public:
  // `service` names the file under /etc/pam.d (PAM_WRAPPER_SERVICE_DIR in tests).
  explicit PamPasswordVerifier(std::string service);

  PasswordOutcome Verify(std::string_view user, Secret password,
                         std::string_view source_address) override;

 private:
  const std::string service_;
};

}  // namespace safedesk::auth
