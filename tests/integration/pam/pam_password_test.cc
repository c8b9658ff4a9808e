// The password factor against real libpam (pam_wrapper + pam_matrix), in process, and
// with lockout and the worker pool around it.

#include "auth/pam_password.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <string>

#include "auth/lockout.h"
#include "auth/password_checker.h"
#include "common/audit_event.h"
#include "common/clock.h"
#include "common/secret.h"
#include "common/worker_pool.h"
#include "tests/integration/pam/pam_test_env.h"

namespace safedesk::auth {
namespace {

using testing::kAlice;
using testing::kAlicePassword;

class PamPasswordTest : public ::testing::Test {
 protected:
  void SetUp() override { testing::SetUpPamWrapper(); }

  PasswordOutcome Verify(std::string_view user, std::string_view password,
                         const char* service = testing::kPamService) {
    PamPasswordVerifier verifier(service);
    return verifier.Verify(user, Secret(password), "192.0.2.10");
  }
};

TEST_F(PamPasswordTest, RightPasswordAccepted) {
  EXPECT_EQ(Verify(kAlice, kAlicePassword), PasswordOutcome::kAccepted);
}

TEST_F(PamPasswordTest, WrongPassword) {
  EXPECT_EQ(Verify(kAlice, "correct horse battery"), PasswordOutcome::kWrongPassword);
}

TEST_F(PamPasswordTest, UnknownUser) {
  EXPECT_EQ(Verify("mallory", kAlicePassword), PasswordOutcome::kUnknownUser);
}

TEST_F(PamPasswordTest, EmptyPasswordRefusedBeforePam) {
  EXPECT_EQ(Verify(kAlice, ""), PasswordOutcome::kEmptyPassword);
  // pam_permit would accept it, had PAM been asked.
  ASSERT_EQ(Verify(kAlice, "anything", testing::kPamPermitService), PasswordOutcome::kAccepted);
  EXPECT_EQ(Verify(kAlice, "", testing::kPamPermitService), PasswordOutcome::kEmptyPassword);
}

TEST_F(PamPasswordTest, UserNotPermittedOnService) {
  EXPECT_EQ(Verify(testing::kBob, testing::kBobPassword), PasswordOutcome::kAccountNotPermitted);
}

TEST_F(PamPasswordTest, PasswordWithNulIsNotTruncated) {
  // PAM takes C strings: "right\0junk" must not pass as "right".
  const std::string with_nul = std::string(kAlicePassword) + std::string("\0junk", 5);
  EXPECT_EQ(Verify(kAlice, with_nul), PasswordOutcome::kWrongPassword);
}

TEST_F(PamPasswordTest, BrokenServiceIsUnavailable) {
  EXPECT_EQ(Verify(kAlice, kAlicePassword, testing::kPamBrokenService),
            PasswordOutcome::kUnavailable);
}

TEST_F(PamPasswordTest, MissingServiceFallsBackToOther) {
  // libpam's rule, not ours: "other" (pam_deny here) decides for an unknown service.
  EXPECT_EQ(Verify(kAlice, kAlicePassword, "no-such-service"), PasswordOutcome::kWrongPassword);
}

TEST_F(PamPasswordTest, NullResponseConversationDoesNotCrash) {
  // pam_matrix "verbose" sends "Authentication succeeded/failed" with resp == NULL.
  EXPECT_EQ(Verify(testing::kCarol, testing::kCarolPassword, testing::kPamVerboseService),
            PasswordOutcome::kAccepted);
  EXPECT_EQ(Verify(testing::kCarol, "nope", testing::kPamVerboseService),
            PasswordOutcome::kWrongPassword);
}

// Counts the calls that reach PAM.
class CountingVerifier final : public PasswordVerifier {
 public:
  PasswordOutcome Verify(std::string_view user, Secret password, std::string_view source) override {
    ++calls;
    return pam.Verify(user, std::move(password), source);
  }
  PamPasswordVerifier pam{testing::kPamService};
  std::atomic<int> calls{0};
};

class PamLockoutTest : public ::testing::Test {
 protected:
  void SetUp() override { testing::SetUpPamWrapper(); }

  PasswordOutcome Check(std::string user, std::string_view password, std::string source) {
    std::promise<PasswordOutcome> done;
    auto answer = done.get_future();
    checker_.CheckAsync(std::move(user), Secret(password), std::move(source),
                        [&done](PasswordOutcome outcome) { done.set_value(outcome); });
    return answer.get();
  }

  static constexpr LockoutOptions kOptions{3, std::chrono::seconds(60), std::chrono::seconds(900),
                                           100};
  ManualClock clock_;
  MemoryAuditSink audit_;
  CountingVerifier verifier_;
  Lockout lockout_{kOptions, clock_, audit_};
  WorkerPool pool_{WorkerPoolOptions{2, 8}};
  PasswordChecker checker_{verifier_, lockout_, pool_};
};

TEST_F(PamLockoutTest, LockedOutUserRefusedWithoutCallingPam) {
  // From three sources, so only the account reaches the threshold.
  for (const char* source : {"192.0.2.1", "192.0.2.2", "192.0.2.3"}) {
    EXPECT_EQ(Check(kAlice, "guess", source), PasswordOutcome::kWrongPassword);
  }
  ASSERT_EQ(verifier_.calls, 3);
  EXPECT_EQ(Check(kAlice, kAlicePassword, "198.51.100.7"), PasswordOutcome::kLockedOut);
  EXPECT_EQ(verifier_.calls, 3);
  EXPECT_EQ(audit_.CountOfType("login.failure"), 4u);
  EXPECT_EQ(audit_.CountOfType("login.lockout"), 1u);
}

TEST_F(PamLockoutTest, LockExpiresAfterDuration) {
  for (int i = 0; i < 3; ++i) (void)Check(kAlice, "guess", "192.0.2.1");
  clock_.Advance(std::chrono::seconds(899));
  EXPECT_EQ(Check(kAlice, kAlicePassword, "192.0.2.2"), PasswordOutcome::kLockedOut);
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(Check(kAlice, kAlicePassword, "192.0.2.2"), PasswordOutcome::kAccepted);
}

TEST_F(PamLockoutTest, SourceLockoutIndependentOfAccount) {
  // One source guessing at many accounts: no account reaches the threshold.
  EXPECT_EQ(Check("mallory", "x", "203.0.113.9"), PasswordOutcome::kUnknownUser);
  EXPECT_EQ(Check("trent", "x", "203.0.113.9"), PasswordOutcome::kUnknownUser);
  EXPECT_EQ(Check(kAlice, "x", "203.0.113.9"), PasswordOutcome::kWrongPassword);
  EXPECT_EQ(Check(kAlice, kAlicePassword, "203.0.113.9"), PasswordOutcome::kLockedOut);
  EXPECT_EQ(Check(kAlice, kAlicePassword, "192.0.2.50"), PasswordOutcome::kAccepted);
}

TEST_F(PamLockoutTest, SuccessResetsAccountCounter) {
  for (int i = 0; i < 2; ++i) (void)Check(kAlice, "guess", "192.0.2.1");
  EXPECT_EQ(Check(kAlice, kAlicePassword, "192.0.2.2"), PasswordOutcome::kAccepted);
  for (int i = 0; i < 2; ++i) (void)Check(kAlice, "guess", "192.0.2.3");
  EXPECT_EQ(Check(kAlice, kAlicePassword, "192.0.2.4"), PasswordOutcome::kAccepted);
}

}  // namespace
}  // namespace safedesk::auth
