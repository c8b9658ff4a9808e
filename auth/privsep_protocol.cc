#include "auth/privsep_protocol.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace safedesk::auth::privsep {
namespace {

using Bytes = std::span<const std::uint8_t>;

// Reads big-endian fields from a body, refusing to run past its end.
class Reader {
 public:
  explicit Reader(Bytes bytes) : bytes_(bytes) {}
  std::optional<std::uint8_t> U8() {
    if (bytes_.empty()) return std::nullopt;
    const std::uint8_t v = bytes_[0];
    bytes_ = bytes_.subspan(1);
    return v;
  }
  // A u16 length then that many bytes, the length at most `cap`.
  std::optional<Bytes> Field(std::size_t cap) {
    if (bytes_.size() < 2) return std::nullopt;
    const std::size_t length = (std::size_t{bytes_[0]} << 8) | bytes_[1];
    if (length > cap || bytes_.size() - 2 < length) return std::nullopt;
    Bytes field = bytes_.subspan(2, length);
    bytes_ = bytes_.subspan(2 + length);
    return field;
  }
  bool AtEnd() const { return bytes_.empty(); }

 private:
  Bytes bytes_;
};

void PutU16(std::uint8_t* out, std::size_t value) {
  out[0] = static_cast<std::uint8_t>(value >> 8);
  out[1] = static_cast<std::uint8_t>(value);
}

void PutU32(std::uint8_t* out, std::size_t value) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<std::uint8_t>(value >> (8 * (3 - i)));
}

std::uint8_t* PutField(std::uint8_t* out, Bytes field) {
  PutU16(out, field.size());
  if (!field.empty()) std::memcpy(out + 2, field.data(), field.size());
  return out + 2 + field.size();
}

Bytes AsBytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

std::string AsString(Bytes bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// Waits until `fd` is ready for `events`; false on deadline or poll error.
bool WaitFor(int fd, short events, Deadline deadline) {
  for (;;) {
    int timeout_ms = -1;
    if (deadline) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(
          *deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      timeout_ms = static_cast<int>(std::min<std::int64_t>(left.count(), 60'000));
    }
    pollfd p{fd, events, 0};
    const int rc = poll(&p, 1, timeout_ms);
    if (rc > 0) return true;  // readable, writable, or hung up: the read/write says which
    if (rc < 0 && errno != EINTR) return false;
  }
}

Result<void> ReadExactly(int fd, std::span<std::uint8_t> out, Deadline deadline) {
  std::size_t done = 0;
  while (done < out.size()) {
    if (!WaitFor(fd, POLLIN, deadline))
      return MakeError(Errc::kUnavailable, "privsep: read timed out");
    const ssize_t n = recv(fd, out.data() + done, out.size() - done, 0);
    if (n == 0) return MakeError(Errc::kUnavailable, "privsep: peer closed the connection");
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return MakeError(Errc::kUnavailable, std::string("privsep: read: ") + std::strerror(errno));
    done += static_cast<std::size_t>(n);
  }
  return Ok();
}

}  // namespace

Result<Secret> EncodeAuthPassword(std::string_view user, const Secret& password,
                                  std::string_view source) {
  if (user.size() > kMaxUserBytes || password.size() > kMaxPasswordBytes ||
      source.size() > kMaxSourceBytes) {
    return MakeError(Errc::kInvalidArgument, "privsep: request field over its cap");
  }
  const std::size_t body = 1 + 2 + user.size() + 2 + password.size() + 2 + source.size();
  Secret frame = Secret::OfSize(4 + body);
  std::uint8_t* out = frame.mutable_bytes().data();
  PutU32(out, body);
  out[4] = kAuthPassword;
  out = PutField(out + 5, AsBytes(user));
  out = PutField(out, password.bytes());
  PutField(out, AsBytes(source));
  return frame;
}

Result<AuthPasswordRequest> DecodeAuthPassword(std::span<const std::uint8_t> body) {
  Reader reader(body);
  if (reader.U8() != kAuthPassword)
    return MakeError(Errc::kInvalidArgument, "privsep: unknown request type");
  const auto user = reader.Field(kMaxUserBytes);
  const auto password = user ? reader.Field(kMaxPasswordBytes) : std::nullopt;
  const auto source = password ? reader.Field(kMaxSourceBytes) : std::nullopt;
  if (!source || !reader.AtEnd())
    return MakeError(Errc::kInvalidArgument, "privsep: malformed request");
  return AuthPasswordRequest{AsString(*user), Secret(*password), AsString(*source)};
}

std::string EncodeAnswer(PasswordOutcome outcome) {
  std::string frame(4 + kAnswerBody, '\0');
  auto* out = reinterpret_cast<std::uint8_t*>(frame.data());
  PutU32(out, kAnswerBody);
  out[4] = kAuthPasswordAnswer;
  out[5] = static_cast<std::uint8_t>(outcome);
  return frame;
}

Result<PasswordOutcome> DecodeAnswer(std::span<const std::uint8_t> body) {
  if (body.size() != kAnswerBody || body[0] != kAuthPasswordAnswer) {
    return MakeError(Errc::kInvalidArgument, "privsep: malformed answer");
  }
  auto outcome = PasswordOutcomeFromCode(body[1]);
  if (!outcome) return MakeError(Errc::kInvalidArgument, "privsep: unknown outcome code");
  return *outcome;
}

Result<void> WriteAll(int fd, std::span<const std::uint8_t> bytes, Deadline deadline) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    if (!WaitFor(fd, POLLOUT, deadline))
      return MakeError(Errc::kUnavailable, "privsep: write timed out");
    const ssize_t n = send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return MakeError(Errc::kUnavailable, std::string("privsep: write: ") + std::strerror(errno));
    done += static_cast<std::size_t>(n);
  }
  return Ok();
}

Result<Secret> ReadFrame(int fd, std::size_t max_body, Deadline deadline) {
  std::uint8_t prefix[4];
  SAFEDESK_TRY(ReadExactly(fd, prefix, deadline));
  const std::size_t length = (std::size_t{prefix[0]} << 24) | (std::size_t{prefix[1]} << 16) |
                             (std::size_t{prefix[2]} << 8) | prefix[3];
  if (length == 0 || length > max_body) {
    return MakeError(Errc::kLimitExceeded, "privsep: frame length out of range");
  }
  Secret body = Secret::OfSize(length);
  SAFEDESK_TRY(ReadExactly(fd, body.mutable_bytes(), deadline));
  return body;
}

}  // namespace safedesk::auth::privsep
