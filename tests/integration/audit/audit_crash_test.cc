// A child process appends to the audit log in a loop and is killed with SIGKILL at
// random (seeded) moments. After each kill the log must verify (live: a run may end
// anywhere) and hold every record the child had been told was durable; the next child
// restarts on the same file and recovers it. See audit_crash_appender.cc.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "tests/testing/test_support.h"
#include "tests/unit/common/audit_test_util.h"

extern char** environ;

namespace safedesk::testing {
namespace {

constexpr int kKills = 24;
constexpr std::int64_t kCheckpointEvery = 8;
// Bounds the whole test whatever the machine's fsync speed.
constexpr auto kTimeBudget = std::chrono::seconds(120);

struct Ack {
  std::int64_t run;
  std::int64_t i;
  bool operator==(const Ack&) const = default;
};

struct Child {
  pid_t pid = -1;
  int out = -1;  // read end of the child's standard output
};

Child SpawnAppender(const std::string& log, const std::string& key, int run) {
  int fds[2];
  EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  const std::string every = std::to_string(kCheckpointEvery);
  const std::string run_text = std::to_string(run);
  std::vector<char*> argv = {const_cast<char*>(SAFEDESK_AUDIT_APPENDER), const_cast<char*>(log.c_str()),
                             const_cast<char*>(key.c_str()), const_cast<char*>(every.c_str()),
                             const_cast<char*>(run_text.c_str()), nullptr};
  Child child;
  EXPECT_EQ(posix_spawn(&child.pid, SAFEDESK_AUDIT_APPENDER, &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  child.out = fds[0];
  return child;
}

// Everything the child wrote, complete lines only; read after it died, so up to EOF.
std::map<std::uint64_t, Ack> ReadAcks(int fd) {
  std::string text;
  char block[4096];
  for (ssize_t n; (n = ::read(fd, block, sizeof block)) > 0;) text.append(block, static_cast<std::size_t>(n));
  ::close(fd);
  std::map<std::uint64_t, Ack> acks;
  std::istringstream lines(text.substr(0, text.rfind('\n') + 1));
  for (std::uint64_t seq; lines >> seq;) {
    Ack ack{};
    lines >> ack.run >> ack.i;
    acks[seq] = ack;
  }
  return acks;
}

std::map<std::uint64_t, Ack> RecordsInLog(const std::filesystem::path& path, AuditVerifyReport& report) {
  std::map<std::uint64_t, Ack> found;
  AuditVerifyOptions options;
  options.trusted_keys.push_back(TestKey(1).public_key());
  options.live = true;
  options.on_record = [&](const AuditRecord& record) {
    if (record.type != "test.append") return;
    found[record.seq] = Ack{std::get<std::int64_t>(*record.Find("run")), std::get<std::int64_t>(*record.Find("i"))};
  };
  auto verified = VerifyAuditLog(path, options);
  EXPECT_TRUE(verified.ok());
  if (verified.ok()) report = *verified;
  return found;
}

int CountTornFiles(const std::filesystem::path& dir) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().filename().string().find(".torn-") != std::string::npos) ++count;
  }
  return count;
}

TEST(AuditCrashTest, EveryAcknowledgedRecordSurvivesSigkill) {
  TempDir dir;
  const auto log = dir.path() / "audit.log";
  const std::string key = dir.Write("audit-key.pem", std::string(TestKey(1).ToPem().reveal()), 0600);
  std::mt19937_64 random(20261123);  // seeded: a failure replays with the same kill times
  // Child start-up takes ~100 ms and an fdatasync a few ms here: kills land before,
  // during and after Open, and between or inside appends.
  std::uniform_int_distribution<int> delay_us(5'000, 300'000);
  std::map<std::uint64_t, Ack> acknowledged;
  const auto deadline = std::chrono::steady_clock::now() + kTimeBudget;
  int kills = 0;
  for (int run = 0; run < kKills && std::chrono::steady_clock::now() < deadline; ++run) {
    Child child = SpawnAppender(log.string(), key, run);
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us(random)));
    ::kill(child.pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(child.pid, &status, 0), child.pid);
    ASSERT_TRUE(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0))
        << "appender failed with exit status " << WEXITSTATUS(status);
    kills += WIFSIGNALED(status) ? 1 : 0;
    for (const auto& [seq, ack] : ReadAcks(child.out)) acknowledged[seq] = ack;

    if (!std::filesystem::exists(log)) {  // killed before it created the file
      ASSERT_TRUE(acknowledged.empty());
      continue;
    }
    AuditVerifyReport report;
    const auto in_log = RecordsInLog(log, report);
    ASSERT_TRUE(report.ok) << "after run " << run << ": " << FormatAuditVerifyReport(report);
    for (const auto& [seq, ack] : acknowledged) {
      auto it = in_log.find(seq);
      ASSERT_NE(it, in_log.end()) << "acknowledged seq " << seq << " lost after run " << run;
      ASSERT_EQ(it->second, ack) << "seq " << seq << " holds another record";
    }
  }
  EXPECT_GE(kills, 20);
  EXPECT_GT(acknowledged.size(), 0u);

  // A final clean start and stop leaves a log that verifies strictly.
  ManualClock clock;
  auto last = OpenAndAppend(log, clock, 0, kCheckpointEvery);
  ASSERT_NE(last, nullptr);
  ASSERT_TRUE(last->Close().ok());
  const AuditVerifyReport final_report = Verify(log);
  EXPECT_TRUE(final_report.ok) << FormatAuditVerifyReport(final_report);
  std::cout << "kills: " << kills << ", acknowledged: " << acknowledged.size()
            << ", torn lines moved aside: " << CountTornFiles(dir.path()) << ", "
            << FormatAuditVerifyReport(final_report) << "\n";
}

}  // namespace
}  // namespace safedesk::testing
