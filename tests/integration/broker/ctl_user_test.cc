// safedeskctl user: users in the broker's store and passwords for pam_pwdfile.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "broker/store/sqlite_store.h"
#include "tests/testing/child_process.h"
#include "tests/testing/test_support.h"

namespace safedesk {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class CtlUserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.Write("keys/factor-secrets.key", std::string(64, 'c'), 0600);
    config_ = dir_.Write("safedesk.toml",
                         "[broker]\nstate_db = \"var/broker.sqlite\"\n"
                         "[auth]\nsecret_key_file = \"keys/factor-secrets.key\"\n",
                         0644);
  }
  struct Run {
    int exit_code;
    std::string out;
    std::string err;
  };
  Run Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", config_, "user"});
    testing::TempDir out;
    testing::ChildProcess ctl(testing::ExecutablePath("safedeskctl"), args, out.path());
    const int code = ctl.Wait();
    return {code, ctl.Stdout(), ctl.Stderr()};
  }
  std::string PasswordFile() const { return (dir_.path() / "passwd").string(); }

  testing::TempDir dir_;
  std::string config_;
};

TEST_F(CtlUserTest, AddCreatesTheUserAndAShaCryptPasswordShownOnce) {
  const Run run = Ctl({"add", "rita", "--roles", "researcher", "--password-file", PasswordFile()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("password for rita: "));
  const std::string file = testing::ReadFileText(PasswordFile());
  EXPECT_THAT(file, StartsWith("rita:$6$"));
  struct stat st{};
  ASSERT_EQ(::stat(PasswordFile().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto store = broker::SqliteStore::Open(dir_.path() / "var/broker.sqlite");
  ASSERT_TRUE(store.ok());
  auto user = (*store)->FindUser("rita");
  ASSERT_TRUE(user.ok() && user->has_value());
  EXPECT_EQ((*user)->roles, std::vector<std::string>{"researcher"});
}

TEST_F(CtlUserTest, TotpOptionEnrollsASealedConfirmedFactor) {
  const Run run = Ctl({"add", "rita", "--roles", "researcher", "--totp"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("otpauth://totp/"));
  auto store = broker::SqliteStore::Open(dir_.path() / "var/broker.sqlite");
  auto factors = (*store)->ListFactors("rita");
  ASSERT_TRUE(factors.ok());
  ASSERT_EQ(factors->size(), 1u);
  EXPECT_TRUE(factors->front().confirmed);
  EXPECT_THAT(factors->front().totp_secret_sealed, StartsWith("v1."));
}

TEST_F(CtlUserTest, UnknownRoleIsAUsageError) {
  EXPECT_EQ(Ctl({"add", "rita", "--roles", "emperor"}).exit_code, 2);
}

TEST_F(CtlUserTest, DuplicateUserFails) {
  ASSERT_EQ(Ctl({"add", "rita", "--roles", "researcher"}).exit_code, 0);
  EXPECT_EQ(Ctl({"add", "rita", "--roles", "researcher"}).exit_code, 1);
}

TEST_F(CtlUserTest, PasswdReplacesTheLineAndKeepsOthers) {
  ASSERT_EQ(Ctl({"add", "rita", "--roles", "researcher", "--password-file", PasswordFile()}).exit_code, 0);
  ASSERT_EQ(Ctl({"add", "ada", "--roles", "administrator", "--password-file", PasswordFile()}).exit_code, 0);
  const std::string before = testing::ReadFileText(PasswordFile());
  ASSERT_EQ(Ctl({"passwd", "rita", "--password-file", PasswordFile()}).exit_code, 0);
  const std::string after = testing::ReadFileText(PasswordFile());
  EXPECT_NE(before, after);
  EXPECT_EQ(std::count(after.begin(), after.end(), '\n'), 2);
  EXPECT_THAT(after, HasSubstr("ada:$6$"));
}

TEST_F(CtlUserTest, DisableMarksTheUser) {
  ASSERT_EQ(Ctl({"add", "rita", "--roles", "researcher"}).exit_code, 0);
  ASSERT_EQ(Ctl({"disable", "rita"}).exit_code, 0);
  auto store = broker::SqliteStore::Open(dir_.path() / "var/broker.sqlite");
  EXPECT_TRUE((*(*store)->FindUser("rita"))->disabled);
}

}  // namespace
}  // namespace safedesk
