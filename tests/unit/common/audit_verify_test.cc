#include "common/audit_verify.h"

#include <gtest/gtest.h>

#include "tests/testing/test_support.h"
#include "tests/unit/common/audit_test_util.h"

namespace safedesk::testing {
namespace {

// 25 events with a checkpoint every 10 records lay out as:
//   line 1 audit.opened | 2-11 events | 12 checkpoint | 13-22 events | 23 checkpoint |
//   24-28 events | 29 closing checkpoint
constexpr int kEvents = 25;

class AuditVerifyTest : public ::testing::Test {
 protected:
  void SetUp() override { WriteClosedLog(path_, kEvents); }

  void ExpectBroken(AuditBreak reason, std::uint64_t line, bool live = false) {
    const AuditVerifyReport report = Verify(path_, live);
    EXPECT_FALSE(report.ok) << FormatAuditVerifyReport(report);
    EXPECT_EQ(AuditBreakName(report.reason), AuditBreakName(reason)) << FormatAuditVerifyReport(report);
    EXPECT_EQ(report.line, line) << FormatAuditVerifyReport(report);
  }

  TempDir dir_;
  std::filesystem::path path_ = dir_.path() / "audit.log";
};

TEST_F(AuditVerifyTest, IntactLogIsOkWithCounts) {
  const AuditVerifyReport report = Verify(path_);
  ASSERT_TRUE(report.ok) << FormatAuditVerifyReport(report);
  EXPECT_EQ(FormatAuditVerifyReport(report), "OK: 29 records, 3 checkpoints, first seq 1, last seq 29, closed");
}

TEST_F(AuditVerifyTest, FlippedByteIsEdited) {
  std::string bytes = ReadAll(path_);
  const auto at = bytes.find("user4\"");  // line 6, inside a value: still valid JSON
  ASSERT_NE(at, std::string::npos);
  bytes[at] ^= 0x01;
  WriteAll(path_, bytes);
  ExpectBroken(AuditBreak::kEdited, 7);  // line 7's prev no longer matches line 6
}

TEST_F(AuditVerifyTest, WhitespaceEditIsEdited) {
  auto lines = ReadLines(path_);
  lines[4].insert(1, " ");
  WriteLines(path_, lines);
  ExpectBroken(AuditBreak::kEdited, 5);  // non-canonical bytes, caught on the line itself
}

TEST_F(AuditVerifyTest, DeletedRecordIsRemoved) {
  auto lines = ReadLines(path_);
  lines.erase(lines.begin() + 4);
  WriteLines(path_, lines);
  ExpectBroken(AuditBreak::kRemoved, 5);
}

TEST_F(AuditVerifyTest, SwappedRecordsAreReordered) {
  auto lines = ReadLines(path_);
  std::swap(lines[4], lines[5]);
  WriteLines(path_, lines);
  ExpectBroken(AuditBreak::kReordered, 5);
}

TEST_F(AuditVerifyTest, DistantSwapIsReorderedNotRemoved) {
  auto lines = ReadLines(path_);
  std::swap(lines[3], lines[8]);
  WriteLines(path_, lines);
  ExpectBroken(AuditBreak::kReordered, 4);
}

TEST_F(AuditVerifyTest, TailCutAfterCheckpointIsTruncated) {
  auto lines = ReadLines(path_);
  lines.resize(23);  // ends with the (non-closing) checkpoint at line 23
  WriteLines(path_, lines);
  ExpectBroken(AuditBreak::kTruncated, 23);
}

TEST_F(AuditVerifyTest, TailCutMidLineIsTornLine) {
  std::string bytes = ReadAll(path_);
  bytes.resize(bytes.size() - 20);
  WriteAll(path_, bytes);
  ExpectBroken(AuditBreak::kTornLine, 29);
}

TEST_F(AuditVerifyTest, RehashWithoutKeyFailsAtNextCheckpoint) {
  auto lines = ReadLines(path_);
  const auto at = lines[5].find("user4");
  lines[5].replace(at, 5, "alice");
  WriteLines(path_, Rehash(lines, nullptr));  // chain fixed, signatures left as they were
  ExpectBroken(AuditBreak::kBadCheckpointSignature, 12);
}

TEST_F(AuditVerifyTest, FullyForgedWithAnotherKeyFailsSignature) {
  auto lines = ReadLines(path_);
  lines.erase(lines.begin() + 4);
  const Ed25519PrivateKey forger = TestKey(99);
  WriteLines(path_, Rehash(lines, &forger));
  ExpectBroken(AuditBreak::kBadCheckpointSignature, 1);
}

TEST_F(AuditVerifyTest, ForgedWithCheckpointsRemovedIsMissingCheckpoint) {
  auto lines = ReadLines(path_);
  std::erase_if(lines, [](const std::string& l) { return l.find("\"audit.checkpoint\"") != std::string::npos; });
  WriteLines(path_, Rehash(lines, nullptr));
  ExpectBroken(AuditBreak::kMissingCheckpoint, 12, /*live=*/true);  // 11th unsigned record
}

TEST_F(AuditVerifyTest, ForgedWithEverySignedRecordRemovedIsMalformed) {
  auto lines = ReadLines(path_);
  std::erase_if(lines, [](const std::string& l) { return l.find("\"type\":\"audit.") != std::string::npos; });
  WriteLines(path_, Rehash(lines, nullptr));
  ExpectBroken(AuditBreak::kMalformed, 1, /*live=*/true);
}

TEST_F(AuditVerifyTest, UnsignedCheckpointIsBadSignature) {
  auto lines = ReadLines(path_);
  auto record = ParseAuditRecord(lines[11]);
  ASSERT_TRUE(record.ok());
  record->data.back().value = std::string("AAAA");
  lines[11] = SerializeAuditRecord(*record);
  WriteLines(path_, Rehash(lines, nullptr));
  ExpectBroken(AuditBreak::kBadCheckpointSignature, 12);
}

TEST_F(AuditVerifyTest, RecordAppendedAfterCloseIsMalformedEvenLive) {
  auto lines = ReadLines(path_);
  AuditRecord extra{30, "2026-01-01T00:00:00.000Z", "login.success", "", HashAuditLine(lines.back()), {}};
  lines.push_back(SerializeAuditRecord(extra));
  WriteLines(path_, lines);
  ExpectBroken(AuditBreak::kMalformed, 30, /*live=*/true);
}

TEST_F(AuditVerifyTest, NonJsonLineIsMalformed) {
  auto lines = ReadLines(path_);
  lines[2] = "not json";
  WriteLines(path_, lines);
  ExpectBroken(AuditBreak::kMalformed, 3);
}

// The line cap keeps a reader's memory bounded whatever the file holds.
TEST_F(AuditVerifyTest, OversizedLineIsMalformed) {
  auto lines = ReadLines(path_);
  lines[2] = std::string(kMaxAuditLineBytes + 1, 'x');
  WriteLines(path_, lines);
  ExpectBroken(AuditBreak::kMalformed, 3);
}

TEST_F(AuditVerifyTest, EmptyFileIsTruncated) {
  WriteAll(path_, "");
  ExpectBroken(AuditBreak::kTruncated, 0);
}

TEST_F(AuditVerifyTest, UntrustedKeyIsBadSignature) {
  const AuditVerifyReport report = Verify(path_, false, /*key_seed=*/2);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.reason, AuditBreak::kBadCheckpointSignature);
  EXPECT_EQ(report.line, 1u);
}

TEST_F(AuditVerifyTest, BrokenReportNamesLineSeqAndReason) {
  auto lines = ReadLines(path_);
  lines.erase(lines.begin() + 4);
  WriteLines(path_, lines);
  EXPECT_EQ(FormatAuditVerifyReport(Verify(path_)),
            "BROKEN at line 5 (seq 6): removed: expected seq 5; 1 record(s) missing");
}

TEST(AuditVerifyOptionsTest, NoTrustedKeyIsAnError) {
  TempDir dir;
  const auto path = dir.path() / "audit.log";
  WriteClosedLog(path, 1);
  EXPECT_FALSE(VerifyAuditLog(path, AuditVerifyOptions{}).ok());
}

TEST(AuditVerifyOptionsTest, MissingFileIsAnError) {
  TempDir dir;
  AuditVerifyOptions options;
  options.trusted_keys.push_back(TestKey(1).public_key());
  auto report = VerifyAuditLog(dir.path() / "absent.log", options);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().code, Errc::kIo);
}

TEST(AuditVerifyLiveTest, OpenLogPassesOnlyInLiveMode) {
  TempDir dir;
  const auto path = dir.path() / "audit.log";
  ManualClock clock;
  auto log = OpenAndAppend(path, clock, 15);
  const AuditVerifyReport live = Verify(path, /*live=*/true);
  EXPECT_TRUE(live.ok) << FormatAuditVerifyReport(live);
  EXPECT_EQ(FormatAuditVerifyReport(live), "OK: 17 records, 1 checkpoints, first seq 1, last seq 17, live");
  EXPECT_EQ(Verify(path).reason, AuditBreak::kTruncated);
}

TEST(AuditVerifyLiveTest, LiveModeToleratesIncompleteLastLine) {
  TempDir dir;
  const auto path = dir.path() / "audit.log";
  ManualClock clock;
  auto log = OpenAndAppend(path, clock, 3);
  WriteAll(path, ReadAll(path) + "{\"seq\":5,\"ts\"");
  const AuditVerifyReport report = Verify(path, /*live=*/true);
  EXPECT_TRUE(report.ok) << FormatAuditVerifyReport(report);
  EXPECT_EQ(report.torn_tail_bytes, 13u);
}

}  // namespace
}  // namespace safedesk::testing
