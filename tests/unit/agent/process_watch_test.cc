// agent/process_watch.h on fixture /proc trees, and how arguments leave the desktop.
#include "agent/process_watch.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/testing/test_support.h"

namespace safedesk::agent {
namespace {

namespace fs = std::filesystem;

class ProcessWatchTest : public ::testing::Test {
 protected:
  void Process(int pid, const std::vector<std::string>& argv) {
    const fs::path dir = dir_.path() / std::to_string(pid);
    fs::create_directories(dir);
    std::string cmdline;
    for (const std::string& arg : argv) cmdline += arg + '\0';
    std::ofstream(dir / "cmdline", std::ios::binary) << cmdline;
    std::ofstream(dir / "comm") << (argv.empty() ? "kthreadd" : fs::path(argv[0]).filename().string()) << "\n";
  }
  void Exit(int pid) { fs::remove_all(dir_.path() / std::to_string(pid)); }
  std::vector<int> Pids(const std::vector<ProcessInfo>& processes) {
    std::vector<int> out;
    for (const ProcessInfo& p : processes) out.push_back(p.pid);
    return out;
  }

  testing::TempDir dir_;
};

TEST_F(ProcessWatchTest, FirstPollOnlyRecordsWhatRuns) {
  Process(1, {"/sbin/init"});
  ProcessWatch watch(dir_.path());
  EXPECT_TRUE(watch.Poll().empty());
}

TEST_F(ProcessWatchTest, NewPidIsReportedOnce) {
  Process(1, {"/sbin/init"});
  ProcessWatch watch(dir_.path());
  (void)watch.Poll();
  Process(57, {"/usr/bin/xterm", "-T", "notes"});
  const auto started = watch.Poll();
  ASSERT_EQ(Pids(started), std::vector<int>{57});
  EXPECT_EQ(started[0].argv, (std::vector<std::string>{"/usr/bin/xterm", "-T", "notes"}));
  EXPECT_TRUE(watch.Poll().empty());
}

TEST_F(ProcessWatchTest, ExecInAKnownPidIsReported) {
  Process(57, {"/bin/sh"});
  ProcessWatch watch(dir_.path());
  (void)watch.Poll();
  Process(57, {"/usr/bin/python3", "tool.py"});
  EXPECT_EQ(Pids(watch.Poll()), std::vector<int>{57});
}

TEST_F(ProcessWatchTest, ReusedPidAfterExitIsReportedAgain) {
  ProcessWatch watch(dir_.path());
  (void)watch.Poll();
  Process(57, {"/bin/true"});
  ASSERT_EQ(watch.Poll().size(), 1u);
  Exit(57);
  EXPECT_TRUE(watch.Poll().empty());
  Process(57, {"/bin/true"});
  EXPECT_EQ(watch.Poll().size(), 1u);
}

TEST_F(ProcessWatchTest, KernelThreadsAreNotReported) {
  ProcessWatch watch(dir_.path());
  (void)watch.Poll();
  Process(2, {});
  EXPECT_TRUE(watch.Poll().empty());
}

TEST_F(ProcessWatchTest, NonNumericEntriesAreIgnored) {
  fs::create_directories(dir_.path() / "self");
  fs::create_directories(dir_.path() / "net");
  Process(3, {"/bin/sleep", "9"});
  EXPECT_EQ(Pids(ListProcesses(dir_.path())), std::vector<int>{3});
}

ProcessInfo Xterm() { return ProcessInfo{57, "xterm", {"/usr/bin/xterm", "-T", "secret plan"}}; }

TEST(ShapeProcessTest, HashedIsTheSha256OfTheArgumentsJoinedByNul) {
  const ProcessReport report = ShapeProcess(Xterm(), config::ProcessArgs::kHashed);
  EXPECT_EQ(report.exe, "/usr/bin/xterm");
  ASSERT_TRUE(report.has_args);
  // printf '%s\0%s' -T 'secret plan' | sha256sum
  EXPECT_EQ(report.args, "0fcceedfa171ac4fd879160d42f85b8218055b9b4c0b51534466bad71cb7c989");
}

TEST(ShapeProcessTest, TruncatedJoinsBySpaceAndCuts) {
  ProcessInfo long_one{58, "sleep", {"/bin/sleep", std::string(400, 'x')}};
  EXPECT_EQ(ShapeProcess(Xterm(), config::ProcessArgs::kTruncated).args, "-T secret plan");
  EXPECT_EQ(ShapeProcess(long_one, config::ProcessArgs::kTruncated).args.size(), kMaxTruncatedArgsBytes);
}

TEST(ShapeProcessTest, OffSendsNoArguments) {
  const ProcessReport report = ShapeProcess(Xterm(), config::ProcessArgs::kOff);
  EXPECT_FALSE(report.has_args);
  EXPECT_TRUE(report.args.empty());
}

}  // namespace
}  // namespace safedesk::agent
