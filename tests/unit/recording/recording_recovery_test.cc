// The gateway's start-up scan of its recording directory (gateway/recording_recovery.h):
// what a crash left is sealed as recovered or marked unsealable, and reported once.
#include <filesystem>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "common/random.h"
#include "common/recording_reader.h"
#include "common/recording_writer.h"
#include "gateway/recording_recovery.h"
#include "tests/testing/test_support.h"
#include "tests/unit/recording/recorder_test_util.h"

namespace safedesk::gateway {
namespace {

using Bytes = std::vector<std::uint8_t>;
namespace fs = std::filesystem;

Bytes ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}
void WriteAll(const fs::path& path, const Bytes& b) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

class RecordingRecoveryTest : public ::testing::Test {
 protected:
  // <session>.sdrec with `chunks` chunks, sealed or left as a killed writer leaves it.
  fs::path Make(const std::string& session, int chunks, bool seal) {
    SeededRandom random(3);
    recording::Header h;
    h.session_id = session;
    h.recording_id.fill(9);
    h.start_unix_ms = 1'700'000'000'000;
    h.width = 64;
    h.height = 32;
    const fs::path path = dir_.path() / (session + ".sdrec");
    auto w = recording::RecordingWriter::Create(path.string(), h, testutil::SealKey(), std::nullopt, random);
    EXPECT_TRUE(w.ok());
    for (int i = 0; i < chunks; ++i) {
      recording::ChunkStats s{i * 4000, i * 4000 + 3999, 10, 10 * 64 * 32, 0};
      EXPECT_TRUE((*w)->AppendChunk(s, Bytes(100 + i, static_cast<std::uint8_t>(i))).ok());
    }
    if (seal) {
      EXPECT_TRUE((*w)->Seal(chunks * 4000).ok());
    }
    return path;
  }
  recording::VerifyReport Verify(const fs::path& path) { return recording::VerifyRecording(path.string(), &key_.public_key()); }

  Ed25519PrivateKey key_ = testutil::SealKey();
  testing::TempDir dir_;
};

TEST_F(RecordingRecoveryTest, TornTailIsCutSealedAsRecoveredAndReported) {
  const fs::path path = Make("s1", 3, false);
  Bytes bytes = ReadAll(path);
  bytes.insert(bytes.end(), {'C', 200, 0, 0, 0, 1, 2});  // a chunk record the kill cut short
  WriteAll(path, bytes);

  const auto owed = RecoverCrashedRecordings(dir_.path(), key_);
  ASSERT_EQ(owed.size(), 1u);
  EXPECT_EQ(owed[0].session_id, "s1");
  EXPECT_TRUE(owed[0].recovered);
  EXPECT_EQ(owed[0].EndReason(), "gateway_crashed: recording recovered, 3 chunks sealed");
  const recording::VerifyReport report = Verify(path);
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.status, "recovered");
  EXPECT_EQ(report.chunks_ok, 3u);
}

TEST_F(RecordingRecoveryTest, SealedRecordingIsNeitherTouchedNorReported) {
  const fs::path path = Make("s1", 2, true);
  const Bytes before = ReadAll(path);
  EXPECT_TRUE(RecoverCrashedRecordings(dir_.path(), key_).empty());
  EXPECT_EQ(ReadAll(path), before);
}

TEST_F(RecordingRecoveryTest, ReportedRecordingIsNotReportedAgain) {
  Make("s1", 2, false);
  const auto owed = RecoverCrashedRecordings(dir_.path(), key_);
  ASSERT_EQ(owed.size(), 1u);
  MarkCrashReported(owed[0]);
  EXPECT_TRUE(RecoverCrashedRecordings(dir_.path(), key_).empty());
}

TEST_F(RecordingRecoveryTest, UnreportedRecoveryIsReportedAtTheNextStart) {
  Make("s1", 2, false);
  ASSERT_EQ(RecoverCrashedRecordings(dir_.path(), key_).size(), 1u);  // the broker never heard
  const auto again = RecoverCrashedRecordings(dir_.path(), key_);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_TRUE(again[0].recovered);
  EXPECT_EQ(again[0].chunks, 2u);
}

TEST_F(RecordingRecoveryTest, ChangedChunkIsLeftUntouchedAndReportedUnsealed) {
  const fs::path path = Make("s1", 3, false);
  Bytes bytes = ReadAll(path);
  bytes[bytes.size() - 40] ^= 1;  // inside the last chunk's payload: a change, not a crash
  WriteAll(path, bytes);

  const auto owed = RecoverCrashedRecordings(dir_.path(), key_);
  ASSERT_EQ(owed.size(), 1u);
  EXPECT_FALSE(owed[0].recovered);
  EXPECT_EQ(owed[0].EndReason().rfind("gateway_crashed: recording unsealed: recovery refused: ", 0), 0u)
      << owed[0].EndReason();
  EXPECT_EQ(ReadAll(path), bytes);
  EXPECT_TRUE(fs::exists(path.string() + kUnsealableSuffix));
  MarkCrashReported(owed[0]);
  EXPECT_TRUE(RecoverCrashedRecordings(dir_.path(), key_).empty());
}

TEST_F(RecordingRecoveryTest, FileWithoutAHeaderIsReportedUnsealedUnderItsFileName) {
  WriteAll(dir_.path() / "s9.sdrec", Bytes{'S', 'D'});
  const auto owed = RecoverCrashedRecordings(dir_.path(), key_);
  ASSERT_EQ(owed.size(), 1u);
  EXPECT_EQ(owed[0].session_id, "s9");
  EXPECT_FALSE(owed[0].recovered);
}

}  // namespace
}  // namespace safedesk::gateway
