#include "auth/privsep_protocol.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "auth/privsep_helper.h"

namespace safedesk::auth::privsep {
namespace {

std::span<const std::uint8_t> Body(const Secret& frame) { return frame.bytes().subspan(4); }
std::span<const std::uint8_t> AsBytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST(PrivsepProtocolTest, RequestRoundTrips) {
  auto frame = EncodeAuthPassword("alice", Secret("pw"), "192.0.2.1");
  ASSERT_TRUE(frame.ok());
  auto request = DecodeAuthPassword(Body(*frame));
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->user, "alice");
  EXPECT_EQ(request->password.reveal(), "pw");
  EXPECT_EQ(request->source, "192.0.2.1");
}

TEST(PrivsepProtocolTest, OversizedFieldsRefusedOnEncode) {
  EXPECT_FALSE(EncodeAuthPassword(std::string(kMaxUserBytes + 1, 'u'), Secret("pw"), "").ok());
  EXPECT_FALSE(EncodeAuthPassword("u", Secret(std::string(kMaxPasswordBytes + 1, 'p')), "").ok());
  EXPECT_FALSE(EncodeAuthPassword("u", Secret("pw"), std::string(kMaxSourceBytes + 1, 's')).ok());
  EXPECT_TRUE(EncodeAuthPassword(std::string(kMaxUserBytes, 'u'),
                                 Secret(std::string(kMaxPasswordBytes, 'p')),
                                 std::string(kMaxSourceBytes, 's'))
                  .ok());
}

TEST(PrivsepProtocolTest, OversizedFieldRefusedOnDecode) {
  // type 1, user length 257.
  const std::uint8_t body[] = {1, 0x01, 0x01, 'a'};
  EXPECT_FALSE(DecodeAuthPassword(body).ok());
}

TEST(PrivsepProtocolTest, TrailingOrMissingBytesRefused) {
  auto frame = EncodeAuthPassword("alice", Secret("pw"), "");
  ASSERT_TRUE(frame.ok());
  std::vector<std::uint8_t> body(Body(*frame).begin(), Body(*frame).end());
  body.push_back(0);
  EXPECT_FALSE(DecodeAuthPassword(body).ok());
  body.resize(body.size() - 2);
  EXPECT_FALSE(DecodeAuthPassword(body).ok());
  body[0] = 9;  // unknown request type
  EXPECT_FALSE(DecodeAuthPassword(body).ok());
}

TEST(PrivsepProtocolTest, AnswerRoundTripsAndUnknownCodeRefused) {
  const std::string frame = EncodeAnswer(PasswordOutcome::kAccountNotPermitted);
  auto outcome = DecodeAnswer(AsBytes(frame).subspan(4));
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(*outcome, PasswordOutcome::kAccountNotPermitted);
  const std::uint8_t bad[] = {kAuthPasswordAnswer, 7};
  EXPECT_FALSE(DecodeAnswer(bad).ok());
}

class EchoVerifier final : public PasswordVerifier {
 public:
  PasswordOutcome Verify(std::string_view user, Secret password, std::string_view) override {
    return user == "alice" && password.reveal() == "pw" ? PasswordOutcome::kAccepted
                                                        : PasswordOutcome::kWrongPassword;
  }
};

// A helper connection in-process: our end, and the ServeConnection thread on the other.
class ServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds_), 0);
    server_ = std::thread([this] { served_ = ServeConnection(fds_[1], verifier_); });
  }
  void TearDown() override {
    if (fds_[0] >= 0) close(fds_[0]);
    if (server_.joinable()) server_.join();
    close(fds_[1]);
  }
  Result<void> Finish() {
    server_.join();
    return served_;
  }
  int fds_[2] = {-1, -1};
  EchoVerifier verifier_;
  std::thread server_;
  Result<void> served_;
};

TEST_F(ServeTest, AnswersRequestsUntilClosed) {
  for (const char* password : {"pw", "nope"}) {
    auto frame = EncodeAuthPassword("alice", Secret(password), "");
    ASSERT_TRUE(WriteAll(fds_[0], frame->bytes(), std::nullopt).ok());
    auto body = ReadFrame(fds_[0], kAnswerBody, std::nullopt);
    ASSERT_TRUE(body.ok());
    EXPECT_EQ(*DecodeAnswer(body->bytes()), std::string_view(password) == "pw"
                                                ? PasswordOutcome::kAccepted
                                                : PasswordOutcome::kWrongPassword);
  }
  close(fds_[0]);
  fds_[0] = -1;
  EXPECT_TRUE(Finish().ok());
}

TEST_F(ServeTest, OversizedLengthPrefixClosesConnection) {
  const std::uint8_t prefix[] = {0x00, 0x01, 0x00, 0x00};  // 65536 > kMaxRequestBody
  ASSERT_TRUE(WriteAll(fds_[0], prefix, std::nullopt).ok());
  auto served = Finish();
  ASSERT_FALSE(served.ok());
  EXPECT_EQ(served.error().code, Errc::kLimitExceeded);
}

TEST_F(ServeTest, UnknownRequestTypeClosesConnection) {
  const std::uint8_t frame[] = {0, 0, 0, 1, 42};
  ASSERT_TRUE(WriteAll(fds_[0], frame, std::nullopt).ok());
  EXPECT_FALSE(Finish().ok());
}

TEST(PrivsepProtocolTest, ReadFrameTimesOut) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  auto body = ReadFrame(fds[0], kAnswerBody,
                        std::chrono::steady_clock::now() + std::chrono::milliseconds(50));
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.error().code, Errc::kUnavailable);
  close(fds[0]);
  close(fds[1]);
}

}  // namespace
}  // namespace safedesk::auth::privsep
