// Runs the built `safedeskctl audit verify` on a good and a tampered log and checks what
// an operator's script sees: the first line of output and the exit code.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>

#include "tests/testing/test_support.h"
#include "tests/unit/common/audit_test_util.h"

namespace safedesk::testing {
namespace {

struct Outcome {
  int exit_code = -1;
  std::string output;
};

std::filesystem::path CtlBinary() {
#ifdef SAFEDESK_CTL_BINARY
  return SAFEDESK_CTL_BINARY;
#else
  return BinaryDir() / "bin" / "safedeskctl";
#endif
}

Outcome RunCtl(const std::string& args) {
  const auto binary = CtlBinary();
  const std::string command = binary.string() + " " + args + " 2>&1";
  Outcome outcome;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return outcome;
  char block[4096];
  for (std::size_t n; (n = std::fread(block, 1, sizeof block, pipe)) > 0;) outcome.output.append(block, n);
  const int status = ::pclose(pipe);
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return outcome;
}

class AuditCtlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteClosedLog(log_, 12, /*checkpoint_every=*/5);
    public_key_ = dir_.Write("audit-key.pub.pem", TestKey(1).public_key().ToPem(), 0644);
  }

  TempDir dir_;
  std::filesystem::path log_ = dir_.path() / "audit.log";
  std::string public_key_;
};

TEST_F(AuditCtlTest, GoodLogPrintsOkAndExitsZero) {
  const Outcome outcome = RunCtl("audit verify --public-key " + public_key_ + " " + log_.string());
  EXPECT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_TRUE(outcome.output.starts_with("OK: 16 records, 3 checkpoints, first seq 1, last seq 16, closed"))
      << outcome.output;
}

TEST_F(AuditCtlTest, TamperedLogPrintsBrokenAndExitsOne) {
  auto lines = ReadLines(log_);
  std::swap(lines[2], lines[3]);
  WriteLines(log_, lines);
  const Outcome outcome = RunCtl("audit verify --public-key=" + public_key_ + " " + log_.string());
  EXPECT_EQ(outcome.exit_code, 1) << outcome.output;
  EXPECT_TRUE(outcome.output.starts_with("BROKEN at line 3 (seq 4): reordered:")) << outcome.output;
}

TEST_F(AuditCtlTest, OtherKeyIsBadSignature) {
  const std::string other = dir_.Write("other.pub.pem", TestKey(2).public_key().ToPem(), 0644);
  const Outcome outcome = RunCtl("audit verify --public-key " + other + " " + log_.string());
  EXPECT_EQ(outcome.exit_code, 1) << outcome.output;
  EXPECT_NE(outcome.output.find("bad_checkpoint_signature"), std::string::npos) << outcome.output;
}

TEST_F(AuditCtlTest, MissingFileExitsTwo) {
  const Outcome outcome = RunCtl("audit verify --public-key " + public_key_ + " " + (dir_.path() / "absent").string());
  EXPECT_EQ(outcome.exit_code, 2) << outcome.output;
}

TEST_F(AuditCtlTest, NoKeyExitsTwo) {
  const Outcome outcome = RunCtl("audit verify " + log_.string());
  EXPECT_EQ(outcome.exit_code, 2) << outcome.output;
}

TEST_F(AuditCtlTest, UnknownSubcommandExitsTwo) {
  EXPECT_EQ(RunCtl("audit frobnicate").exit_code, 2);
}

}  // namespace
}  // namespace safedesk::testing
