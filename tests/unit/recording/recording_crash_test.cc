// A writer SIGKILLed mid-recording leaves intact chunks that verify; recovery seals them
// and marks the recording recovered.
#include <csignal>
#include <thread>

#include <gtest/gtest.h>

#include "tests/testing/child_process.h"
#include "tests/testing/test_support.h"
#include "tests/unit/recording/recorder_test_util.h"

namespace safedesk::gateway {
namespace {

TEST(RecordingCrashTest, KilledWriterLeavesVerifiableChunksThatRecover) {
  testing::TempDir dir;
  const std::string path = (dir.path() / "rec").string();
  testing::ChildProcess child(testing::ExecutablePath("recording_crash_helper"), {path}, dir.path());
  ASSERT_TRUE(testing::WaitForText(dir.path() / "child.stdout", "frame 60")) << child.Stderr();
  child.Signal(SIGKILL);
  child.Wait(std::chrono::seconds(10));

  Ed25519PrivateKey key = testutil::SealKey();
  recording::VerifyReport before = recording::VerifyRecording(path, &key.public_key());
  EXPECT_FALSE(before.ok);
  EXPECT_GE(before.chunks_ok, 3u) << before.problem;
  EXPECT_TRUE(before.status == "unsealed" || before.problem.find("truncated") != std::string::npos)
      << before.status << ": " << before.problem;

  auto recovered = recording::RecoverRecording(path, key);
  ASSERT_TRUE(recovered.ok()) << recovered.error().message;
  EXPECT_TRUE(recovered->ok) << recovered->problem;
  EXPECT_EQ(recovered->status, "recovered");
  EXPECT_EQ(recovered->chunks_ok, before.chunks_ok);
  int frames = 0;
  testutil::DecodeAll(path, [&](const recording::DecodedFrame&) { ++frames; }, nullptr);
  EXPECT_EQ(std::uint64_t(frames), recovered->frames);
}

}  // namespace
}  // namespace safedesk::gateway
