#pragma once
// The privileged side of the password check (safedesk-auth-helper): answers
// AUTH_PASSWORD requests on one connection, one at a time, with a PasswordVerifier (PAM
// in-process). It holds no other power: no other request type exists. Wire format:
// PRIVSEP_PROTOCOL.md.

#include "auth/password_verifier.h"
#include "common/result.h"

namespace safedesk::auth::privsep {

// Serves `fd` until the peer closes it (Ok) or sends anything unexpected (an error; the
// caller closes the connection). Never returns a password in an error or a log line.
Result<void> ServeConnection(int fd, PasswordVerifier& verifier);

}  // namespace safedesk::auth::privsep
