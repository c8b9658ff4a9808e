// The built `safedeskctl recording verify`: what an auditor's script sees.
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "common/random.h"
#include "common/recording_writer.h"
#include "tests/testing/test_support.h"
#include "tests/unit/recording/recorder_test_util.h"

namespace safedesk::recording {
namespace {

struct Outcome {
  int exit_code = -1;
  std::string output;
};

Outcome RunCtl(const std::string& args) {
#ifdef SAFEDESK_CTL_BINARY
  const std::string binary = SAFEDESK_CTL_BINARY;
#else
  const std::string binary = (testing::BinaryDir() / "bin" / "safedeskctl").string();
#endif
  Outcome outcome;
  FILE* pipe = ::popen((binary + " " + args + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return outcome;
  char block[4096];
  for (std::size_t n; (n = std::fread(block, 1, sizeof block, pipe)) > 0;) outcome.output.append(block, n);
  const int status = ::pclose(pipe);
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return outcome;
}

class RecordingCtlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SeededRandom random(1);
    Header h;
    h.session_id = "s-ctl";
    h.width = 10;
    h.height = 10;
    auto w = RecordingWriter::Create(path_, h, gateway::testutil::SealKey(), std::nullopt, random);
    ASSERT_TRUE(w.ok());
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE((*w)->AppendChunk(ChunkStats{i * 4000, i * 4000 + 3000, 50, 5000, 1250},
                                    std::vector<std::uint8_t>(64, std::uint8_t(i)))
                      .ok());
    }
    ASSERT_TRUE((*w)->Seal(12'000).ok());
    key_ = dir_.Write("seal.pub.pem", gateway::testutil::SealKey().public_key().ToPem(), 0644);
  }
  testing::TempDir dir_;
  std::string path_ = (dir_.path() / "r.rec").string();
  std::string key_;
};

TEST_F(RecordingCtlTest, GoodRecordingPrintsOkWithDurationFramesAndMaskedShare) {
  Outcome o = RunCtl("recording verify --public-key " + key_ + " " + path_);
  EXPECT_EQ(o.exit_code, 0) << o.output;
  EXPECT_EQ(o.output, "OK (sealed): session s-ctl, duration 0:00:12.000, 150 frames, 3 chunks, masked 25.0%\n");
}

TEST_F(RecordingCtlTest, ChangedChunkPrintsBrokenChunkAndExitsOne) {
  std::fstream f(path_, std::ios::in | std::ios::out | std::ios::binary);
  std::vector<char> b((std::istreambuf_iterator<char>(f)), {});
  b[b.size() - 226 - 81 - 50] ^= 1;  // before the seal (226) and index (81): the last chunk
  f.seekp(0);
  f.write(b.data(), static_cast<std::streamsize>(b.size()));
  f.close();
  Outcome o = RunCtl("recording verify --public-key " + key_ + " " + path_);
  EXPECT_EQ(o.exit_code, 1) << o.output;
  EXPECT_TRUE(o.output.starts_with("BROKEN at chunk 2:")) << o.output;
}

}  // namespace
}  // namespace safedesk::recording
