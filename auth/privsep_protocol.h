#pragma once
// The broker ↔ safedesk-auth-helper wire format: length-prefixed frames over a unix
// socket, one numbered request and its answer. The format is specified in
// PRIVSEP_PROTOCOL.md; this file is its only implementation.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "auth/password_verifier.h"
#include "common/result.h"
#include "common/secret.h"

namespace safedesk::auth::privsep {

inline constexpr std::uint8_t kAuthPassword = 1;        // broker → helper
inline constexpr std::uint8_t kAuthPasswordAnswer = 2;  // helper → broker

// The largest request body: type, three u16 lengths and the three capped fields. A length
// prefix above this is a protocol violation and closes the connection.
inline constexpr std::size_t kMaxRequestBody =
    1 + 2 + kMaxUserBytes + 2 + kMaxPasswordBytes + 2 + kMaxSourceBytes;
inline constexpr std::size_t kAnswerBody = 2;  // type, outcome code

struct AuthPasswordRequest {
  std::string user;
  Secret password;
  std::string source;
};

// The complete request frame, length prefix included. A Secret: it holds the password.
// kInvalidArgument when a field is over its cap.
Result<Secret> EncodeAuthPassword(std::string_view user, const Secret& password,
                                  std::string_view source);
// Parses a request body (the bytes after the length prefix). kInvalidArgument on an
// unknown type, a field over its cap, or trailing or missing bytes.
Result<AuthPasswordRequest> DecodeAuthPassword(std::span<const std::uint8_t> body);

// The complete answer frame.
std::string EncodeAnswer(PasswordOutcome outcome);
Result<PasswordOutcome> DecodeAnswer(std::span<const std::uint8_t> body);

using Deadline = std::optional<std::chrono::steady_clock::time_point>;

// Writes all of `bytes` to a stream socket (MSG_NOSIGNAL: a dead peer is an error, not a
// SIGPIPE). kUnavailable when the peer is gone or the deadline passes.
Result<void> WriteAll(int fd, std::span<const std::uint8_t> bytes, Deadline deadline);
// Reads one frame's body, of at most `max_body` bytes, into a Secret (request bodies hold
// a password). kUnavailable on EOF, error or deadline; kLimitExceeded when the prefix says
// more than `max_body`.
Result<Secret> ReadFrame(int fd, std::size_t max_body, Deadline deadline);

}  // namespace safedesk::auth::privsep
