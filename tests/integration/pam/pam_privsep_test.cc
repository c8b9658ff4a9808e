// The password factor through safedesk-auth-helper (the privileged helper executable),
// itself running PAM under pam_wrapper (it inherits the preload and service directory).

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <memory>

#include "auth/privsep_password.h"
#include "common/secret.h"
#include "tests/integration/pam/pam_test_env.h"

namespace safedesk::auth {
namespace {

using testing::kAlice;
using testing::kAlicePassword;

class PamPrivsepTest : public ::testing::Test {
 protected:
  void SetUp() override { testing::SetUpPamWrapper(); }

  std::unique_ptr<HelperPasswordVerifier> Start(
      std::size_t connections = 1, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    HelperOptions options;
    options.helper_path = SAFEDESK_AUTH_HELPER;
    options.service = testing::kPamService;
    options.connections = connections;
    options.timeout = timeout;
    auto helper = HelperPasswordVerifier::Spawn(options);
    EXPECT_TRUE(helper.ok()) << (helper.ok() ? "" : helper.error().message);
    return helper.ok() ? std::move(*helper) : nullptr;
  }
};

TEST_F(PamPrivsepTest, RightPasswordAccepted) {
  auto helper = Start();
  ASSERT_NE(helper, nullptr);
  EXPECT_EQ(helper->Verify(kAlice, Secret(kAlicePassword), "192.0.2.10"),
            PasswordOutcome::kAccepted);
}

TEST_F(PamPrivsepTest, WrongPasswordRejected) {
  auto helper = Start();
  ASSERT_NE(helper, nullptr);
  EXPECT_EQ(helper->Verify(kAlice, Secret("guess"), "192.0.2.10"), PasswordOutcome::kWrongPassword);
  // The connection stays usable after a refusal.
  EXPECT_EQ(helper->Verify(kAlice, Secret(kAlicePassword), "192.0.2.10"),
            PasswordOutcome::kAccepted);
}

TEST_F(PamPrivsepTest, UnknownUserAndNotPermittedKeepTheirOutcomes) {
  auto helper = Start();
  ASSERT_NE(helper, nullptr);
  EXPECT_EQ(helper->Verify("mallory", Secret("x"), ""), PasswordOutcome::kUnknownUser);
  EXPECT_EQ(helper->Verify(testing::kBob, Secret(testing::kBobPassword), ""),
            PasswordOutcome::kAccountNotPermitted);
}

TEST_F(PamPrivsepTest, KilledHelperIsUnavailable) {
  auto helper = Start();
  ASSERT_NE(helper, nullptr);
  ASSERT_EQ(kill(helper->helper_pids().at(0), SIGKILL), 0);
  EXPECT_EQ(helper->Verify(kAlice, Secret(kAlicePassword), "192.0.2.10"),
            PasswordOutcome::kUnavailable);
  // Fail closed for good: no helper is restarted by the unprivileged side.
  EXPECT_EQ(helper->Verify(kAlice, Secret(kAlicePassword), "192.0.2.10"),
            PasswordOutcome::kUnavailable);
}

TEST_F(PamPrivsepTest, HungHelperTimesOut) {
  auto helper = Start(1, std::chrono::milliseconds(300));
  ASSERT_NE(helper, nullptr);
  ASSERT_EQ(kill(helper->helper_pids().at(0), SIGSTOP), 0);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(helper->Verify(kAlice, Secret(kAlicePassword), "192.0.2.10"),
            PasswordOutcome::kUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(PamPrivsepTest, OneDeadHelperLeavesTheOthersWorking) {
  auto helper = Start(2);
  ASSERT_NE(helper, nullptr);
  ASSERT_EQ(kill(helper->helper_pids().at(0), SIGKILL), 0);
  // The first call may land on the dead one; after that only the live one is used.
  (void)helper->Verify(kAlice, Secret(kAlicePassword), "192.0.2.10");
  EXPECT_EQ(helper->Verify(kAlice, Secret(kAlicePassword), "192.0.2.10"),
            PasswordOutcome::kAccepted);
}

}  // namespace
}  // namespace safedesk::auth
