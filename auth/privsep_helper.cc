#include "auth/privsep_helper.h"

#include <utility>

#include "auth/privsep_protocol.h"

namespace safedesk::auth::privsep {

Result<void> ServeConnection(int fd, PasswordVerifier& verifier) {
  for (;;) {
    // No deadline while idle: the broker keeps the connection open between logins.
    auto body = ReadFrame(fd, kMaxRequestBody, std::nullopt);
    if (!body.ok()) {
      if (body.error().code == Errc::kUnavailable) return Ok();  // closed by the broker
      return body.error();
    }
    auto request = DecodeAuthPassword(body->bytes());
    body->Wipe();  // the password now lives only in request->password
    if (!request.ok()) return request.error();
    const PasswordOutcome outcome =
        verifier.Verify(request->user, std::move(request->password), request->source);
    const std::string answer = EncodeAnswer(outcome);
    SAFEDESK_TRY(WriteAll(fd, {reinterpret_cast<const std::uint8_t*>(answer.data()), answer.size()},
                          std::nullopt));
  }
}

}  // namespace safedesk::auth::privsep
