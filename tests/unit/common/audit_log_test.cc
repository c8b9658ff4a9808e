#include "common/audit_log.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <csignal>
#include <map>
#include <thread>

#include "tests/testing/test_support.h"
#include "tests/unit/common/audit_test_util.h"

namespace safedesk::testing {
namespace {

class AuditLogTest : public ::testing::Test {
 protected:
  std::vector<AuditRecord> Records(const std::filesystem::path& path) {
    std::vector<AuditRecord> records;
    for (const auto& line : ReadLines(path)) {
      auto record = ParseAuditRecord(line);
      EXPECT_TRUE(record.ok()) << line;
      if (record.ok()) records.push_back(*record);
    }
    return records;
  }

  // The file as a crash would leave it: appended to, never closed.
  std::filesystem::path CrashedCopy(int events) {
    const auto live = dir_.path() / "live.log";
    auto log = OpenAndAppend(live, clock_, events);
    const auto crashed = dir_.path() / "crashed.log";
    std::filesystem::copy_file(live, crashed);
    return crashed;
  }

  TempDir dir_;
  ManualClock clock_;
  std::filesystem::path path_ = dir_.path() / "audit.log";
};

TEST_F(AuditLogTest, CreatesTheFileOwnerOnly) {
  auto log = OpenAndAppend(path_, clock_, 1);
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(AuditLogTest, FirstRecordOpensTheRunWithFormatIntervalAndKey) {
  auto log = OpenAndAppend(path_, clock_, 0, /*checkpoint_every=*/7);
  const auto records = Records(path_);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].type, kAuditTypeOpened);
  EXPECT_EQ(records[0].seq, 1u);
  EXPECT_EQ(records[0].prev, kAuditGenesisPrev);
  EXPECT_EQ(*records[0].Find("format"), AuditValue(kAuditFormatVersion));
  EXPECT_EQ(*records[0].Find("checkpoint_every"), AuditValue(std::int64_t{7}));
  EXPECT_EQ(*records[0].Find("key"), AuditValue(AuditKeyFingerprint(TestKey(1).public_key())));
  EXPECT_TRUE(log->open_report().created);
}

TEST_F(AuditLogTest, RecordsCarryEventAndTimestamp) {
  clock_.Set(Clock::WallTime(std::chrono::milliseconds(1'700'000'000'123)));
  auto log = OpenAndAppend(path_, clock_, 0);
  ASSERT_TRUE(log->Append(audit::SessionEnd("s-1", "logout")).ok());
  const auto records = Records(path_);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].type, "session.end");
  EXPECT_EQ(records[1].session, "s-1");
  EXPECT_EQ(records[1].ts, "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(records[1].prev, HashAuditLine(ReadLines(path_)[0]));
}

TEST_F(AuditLogTest, WritesASignedCheckpointEveryNRecords) {
  auto log = OpenAndAppend(path_, clock_, 9, /*checkpoint_every=*/3);
  const auto records = Records(path_);
  ASSERT_EQ(records.size(), 13u);  // opened + 9 events + 3 checkpoints
  for (std::size_t i : {4u, 8u, 12u}) {
    EXPECT_EQ(records[i].type, kAuditTypeCheckpoint) << i;
    EXPECT_EQ(*records[i].Find("final"), AuditValue(false));
  }
}

TEST_F(AuditLogTest, CloseWritesClosingCheckpointAndRefusesMore) {
  auto log = OpenAndAppend(path_, clock_, 2);
  ASSERT_TRUE(log->Close().ok());
  const auto records = Records(path_);
  EXPECT_EQ(records.back().type, kAuditTypeCheckpoint);
  EXPECT_EQ(*records.back().Find("final"), AuditValue(true));
  auto after = log->Append(audit::SessionEnd("s-1", "logout"));
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().code, Errc::kUnavailable);
  EXPECT_TRUE(Verify(path_).ok);
}

TEST_F(AuditLogTest, ReopenAfterCloseContinuesTheChain) {
  WriteClosedLog(path_, 4);
  const auto before = Records(path_).size();
  auto log = OpenAndAppend(path_, clock_, 2);
  EXPECT_TRUE(log->open_report().previous_closed);
  ASSERT_TRUE(log->Close().ok());
  const auto records = Records(path_);
  EXPECT_EQ(records[before].type, kAuditTypeOpened);
  EXPECT_EQ(records[before].seq, before + 1);
  const AuditVerifyReport report = Verify(path_);
  EXPECT_TRUE(report.ok) << FormatAuditVerifyReport(report);
}

TEST_F(AuditLogTest, ReopenAfterCrashWritesRecovered) {
  const auto crashed = CrashedCopy(5);
  auto log = OpenAndAppend(crashed, clock_, 1);
  EXPECT_FALSE(log->open_report().previous_closed);
  ASSERT_TRUE(log->Close().ok());
  const auto records = Records(crashed);
  EXPECT_EQ(records[6].type, kAuditTypeRecovered);
  const AuditVerifyReport report = Verify(crashed);
  EXPECT_TRUE(report.ok) << FormatAuditVerifyReport(report);
}

TEST_F(AuditLogTest, TornLastLineIsMovedAsideAndNoRecordLost) {
  const auto crashed = CrashedCopy(5);
  const std::string torn = "{\"seq\":7,\"ts\":\"2023-11";
  WriteAll(crashed, ReadAll(crashed) + torn);
  auto log = OpenAndAppend(crashed, clock_, 0);
  const AuditTailRecovery& tail = log->open_report().tail;
  EXPECT_EQ(tail.torn_bytes, torn.size());
  EXPECT_EQ(ReadAll(tail.torn_file), torn);
  EXPECT_EQ(tail.torn_file.parent_path(), crashed.parent_path());
  ASSERT_TRUE(log->Close().ok());
  const auto records = Records(crashed);
  ASSERT_EQ(records.size(), 8u);  // opened + 5 events + recovered + closing checkpoint
  EXPECT_EQ(records[6].type, kAuditTypeRecovered);
  EXPECT_EQ(*records[6].Find("torn_bytes"), AuditValue(static_cast<std::int64_t>(torn.size())));
  EXPECT_TRUE(Verify(crashed).ok);
}

TEST_F(AuditLogTest, FileOfOnlyTornBytesStartsAfresh) {
  WriteAll(path_, "{\"seq\":1,");
  auto log = OpenAndAppend(path_, clock_, 1);
  EXPECT_TRUE(log->open_report().created);
  EXPECT_EQ(log->open_report().tail.torn_bytes, 9u);
  ASSERT_TRUE(log->Close().ok());
  EXPECT_TRUE(Verify(path_).ok);
}

TEST_F(AuditLogTest, UnreadableLastRecordRefusesToOpen) {
  WriteClosedLog(path_, 1);
  WriteAll(path_, ReadAll(path_) + "garbage\n");
  auto log = AuditLog::Open(path_, TestKey(1), AuditLogOptions{}, clock_);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.error().code, Errc::kCorrupt);
}

TEST_F(AuditLogTest, SecondWriterIsRefused) {
  auto first = OpenAndAppend(path_, clock_, 0);
  auto second = AuditLog::Open(path_, TestKey(1), AuditLogOptions{}, clock_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, Errc::kUnavailable);
}

TEST_F(AuditLogTest, ReservedAndMalformedEventsAreRejected) {
  auto log = OpenAndAppend(path_, clock_, 0);
  EXPECT_EQ(log->Append(AuditEvent{"audit.checkpoint", "", {}}).error().code, Errc::kInvalidArgument);
  EXPECT_EQ(log->Append(AuditEvent{"", "", {}}).error().code, Errc::kInvalidArgument);
  EXPECT_EQ(log->Append(AuditEvent{"x.y", "", {{"a", true}, {"a", false}}}).error().code,
            Errc::kInvalidArgument);
  EXPECT_TRUE(log->Append(audit::SessionEnd("s", "logout")).ok());  // still usable
}

TEST_F(AuditLogTest, OversizedEventIsRefusedAndTheLogStaysUsable) {
  auto log = OpenAndAppend(path_, clock_, 0);
  auto big = log->Append(audit::LoginFailure(std::string(kMaxAuditLineBytes, 'u'), "src", "pw", "bad"));
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, Errc::kLimitExceeded);
  EXPECT_TRUE(log->Append(audit::SessionEnd("s", "logout")).ok());
  ASSERT_TRUE(log->Close().ok());
  EXPECT_TRUE(Verify(path_).ok);
}

TEST_F(AuditLogTest, ConcurrentAppendsAreAllPresentInOrder) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 150;
  auto log = OpenAndAppend(path_, clock_, 0, /*checkpoint_every=*/16);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        EXPECT_TRUE(log->Append(AuditEvent{"test.event", "", {{"thread", std::int64_t{t}}, {"i", std::int64_t{i}}}}).ok());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const AuditLog::Stats stats = log->stats();
  ASSERT_TRUE(log->Close().ok());
  EXPECT_TRUE(Verify(path_).ok);
  std::map<std::int64_t, std::int64_t> next;  // per thread: the i expected next
  for (const auto& record : Records(path_)) {
    if (record.type != "test.event") continue;
    const auto t = std::get<std::int64_t>(*record.Find("thread"));
    EXPECT_EQ(std::get<std::int64_t>(*record.Find("i")), next[t]++);
  }
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(next[t], kPerThread);
  EXPECT_LE(stats.syncs, stats.records);
}

// RLIMIT_FSIZE makes write() fail (EFBIG) the way a full disk would, at a chosen size.
TEST_F(AuditLogTest, WriteFailureFailsClosedForGood) {
  auto log = OpenAndAppend(path_, clock_, 0);
  std::signal(SIGXFSZ, SIG_IGN);
  rlimit saved{};
  ::getrlimit(RLIMIT_FSIZE, &saved);
  rlimit small = saved;
  small.rlim_cur = std::filesystem::file_size(path_) + 300;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  Result<void> result = Ok();
  for (int i = 0; i < 10 && result.ok(); ++i) result = log->Append(audit::SessionEnd("s", "logout"));
  ::setrlimit(RLIMIT_FSIZE, &saved);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, Errc::kIo);
  EXPECT_FALSE(log->Append(audit::SessionEnd("s", "logout")).ok());
}

TEST_F(AuditLogTest, InvalidIntervalIsRejected) {
  AuditLogOptions options;
  options.checkpoint_every = 0;
  EXPECT_FALSE(AuditLog::Open(path_, TestKey(1), options, clock_).ok());
}

}  // namespace
}  // namespace safedesk::testing
