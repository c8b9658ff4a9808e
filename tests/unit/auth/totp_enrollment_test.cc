#include <gtest/gtest.h>

#include <string>

#include "auth/totp.h"
#include "common/encoding.h"

namespace safedesk::auth {
namespace {

using std::chrono::seconds;

class TotpEnrollmentTest : public ::testing::Test {
 protected:
  TotpEnrollment Begin(std::string_view user = "alice", std::string_view issuer = "safedesk") {
    auto e = TotpEnrollment::Begin(user, issuer, options_, random_);
    EXPECT_TRUE(e.ok()) << e.error().message;
    return std::move(e).value();
  }
  Secret CurrentCode(const TotpEnrollment& e) {
    return std::move(ComputeTotp(e.secret(), options_.params, clock_.Now()).value());
  }

  TotpOptions options_;
  SeededRandom random_{7};
  ManualClock clock_;
};

TEST_F(TotpEnrollmentTest, SecretIs160Bits) { EXPECT_EQ(Begin().secret().size(), 20u); }

TEST_F(TotpEnrollmentTest, FinishSucceedsWithCurrentCode) {
  TotpEnrollment e = Begin();
  auto credential = e.Finish(CurrentCode(e), clock_);
  ASSERT_TRUE(credential.ok()) << credential.error().message;
  EXPECT_TRUE(credential->secret.Equals(e.secret().bytes()));
  EXPECT_EQ(credential->last_accepted_step, static_cast<std::uint64_t>(UnixSeconds(clock_.Now()) / 30));
}

TEST_F(TotpEnrollmentTest, FinishFailsWithWrongCode) {
  TotpEnrollment e = Begin();
  Secret code = CurrentCode(e);
  code.mutable_bytes()[0] = code.bytes()[0] == '9' ? '0' : static_cast<std::uint8_t>(code.bytes()[0] + 1);
  auto credential = e.Finish(code, clock_);
  ASSERT_FALSE(credential.ok());
  EXPECT_EQ(credential.error().code, Errc::kUnauthenticated);
}

TEST_F(TotpEnrollmentTest, EnrollingCodeCannotBeReplayedAtLogin) {
  TotpEnrollment e = Begin();
  Secret code = CurrentCode(e);
  auto credential = e.Finish(code, clock_);
  ASSERT_TRUE(credential.ok());
  TotpVerifier verifier(options_, clock_);
  auto login = verifier.Verify(credential->secret, code, credential->last_accepted_step);
  ASSERT_FALSE(login.ok());
  EXPECT_EQ(login.error().code, Errc::kReplay);
}

TEST_F(TotpEnrollmentTest, UriCarriesLabelSecretAndParameters) {
  TotpEnrollment e = Begin();
  std::string expected = "otpauth://totp/safedesk:alice?secret=" + Base32Encode(e.secret().bytes()) +
                         "&issuer=safedesk&algorithm=SHA1&digits=6&period=30";
  EXPECT_EQ(e.otpauth_uri().reveal(), expected);
}

TEST_F(TotpEnrollmentTest, UriPercentEncodesIssuerAndUser) {
  options_.params = TotpParams{TotpAlgorithm::kSha256, 8, seconds(30)};
  TotpEnrollment e = Begin("a b@x.org", "Säfe&Desk");
  std::string uri(e.otpauth_uri().reveal());
  EXPECT_TRUE(uri.starts_with("otpauth://totp/S%C3%A4fe%26Desk:a%20b%40x.org?secret=")) << "label";
  EXPECT_TRUE(uri.ends_with("&issuer=S%C3%A4fe%26Desk&algorithm=SHA256&digits=8&period=30")) << "query";
}

TEST_F(TotpEnrollmentTest, RefusesColonInIssuer) {
  auto e = TotpEnrollment::Begin("alice", "safe:desk", options_, random_);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, Errc::kInvalidArgument);
}

TEST_F(TotpEnrollmentTest, RefusesEmptyUser) {
  EXPECT_FALSE(TotpEnrollment::Begin("", "safedesk", options_, random_).ok());
}

}  // namespace
}  // namespace safedesk::auth
