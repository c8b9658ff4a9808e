// The gateway killed mid-session (SIGKILL, frames flowing): the chunks written before the
// kill verify, and the next start over the same recording directory seals them as
// recovered and tells the broker the session ended with "gateway_crashed", which the
// broker records and audits (gateway/DESIGN.md, "After a crash").
#include <gtest/gtest.h>
#include <signal.h>

#include <thread>

#include "common/recording_reader.h"
#include "tests/integration/gateway/gateway_fixture.h"

namespace safedesk::testing {
namespace {

using namespace std::chrono_literals;

class GatewayCrashTest : public GatewayTest {
 protected:
  std::string RecordingPath(const std::string& session_id) const {
    return (dir_.path() / "recordings" / (session_id + ".sdrec")).string();
  }

  recording::VerifyReport Verify(const std::string& path) {
    auto key = Ed25519PublicKey::FromPem(ReadFileText(dir_.path() / "keys/seal.pub"));
    EXPECT_TRUE(key.ok());
    return recording::VerifyRecording(path, key.ok() ? &*key : nullptr);
  }

  // The same configuration, directory and ports; the log goes to `log_file` so that its
  // "listening on" is this start's.
  void RestartGateway(const std::string& log_file) {
    std::string text = ReadFileText(config_);
    text.replace(text.find("gateway.log"), std::string("gateway.log").size(), log_file);
    const std::string config = dir_.Write("gateway-restarted.toml", text, 0644);
    gateway_ = std::make_unique<ChildProcess>(ExecutablePath("safedesk-gateway"),
                                              std::vector<std::string>{"--config", config}, dir_.path(),
                                              std::vector<std::string>{AsanOptionsWithSmallQuarantine()});
    ASSERT_TRUE(WaitForText(dir_.path() / log_file, "listening on")) << gateway_->Stderr();
  }

  std::optional<broker::SessionRecord> BrokerSession(const std::string& session_id) {
    auto record = harness().store().GetSession(session_id);
    if (!record.ok() || !record->has_value()) return std::nullopt;
    return **record;
  }
};

TEST_F(GatewayCrashTest, KilledGatewaysChunksVerifyAndTheNextStartRecoversAndReportsTheSession) {
  const ApiResponse started = Started();
  const std::string session_id = started.String("sessionId");
  ChildProcess ico("/usr/bin/ico", {"-display", DisplayOf(session_id), "-geometry", "500x400+0+0", "-r"}, dir_.path());
  auto view = View();
  ASSERT_TRUE(view->Connect());
  view->Hello(started.String("ticket"));
  ASSERT_TRUE(view->WaitFor("ready", 20s)) << GatewayLog();
  const std::string path = RecordingPath(session_id);
  // Frames keep flowing while at least two chunks (4 s each) reach the disk.
  std::uint32_t chunks_before_kill = 0;
  ASSERT_TRUE(view->PumpUntil(
      [&](const DesktopView&) {
        chunks_before_kill = Verify(path).chunks_ok;
        return chunks_before_kill >= 2;
      },
      30s))
      << GatewayLog();

  gateway_->Signal(SIGKILL);
  gateway_->Wait(10s);
  gateway_.reset();

  const recording::VerifyReport killed = Verify(path);
  EXPECT_FALSE(killed.ok);
  EXPECT_GE(killed.chunks_ok, chunks_before_kill) << killed.problem;
  // No seal; at most a torn last record after the whole chunks.
  EXPECT_TRUE(killed.status == "unsealed" || killed.problem.rfind("truncated record", 0) == 0)
      << killed.status << ": " << killed.problem;
  auto reader = recording::RecordingReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  for (std::size_t i = 0; i < killed.chunks_ok; ++i) EXPECT_TRUE((*reader)->ReadChunk(i).ok()) << "chunk " << i;
  ASSERT_TRUE(BrokerSession(session_id).has_value());
  EXPECT_EQ(BrokerSession(session_id)->ended_at, 0) << "only the restarted gateway can tell the broker";

  RestartGateway("gateway-restarted.log");
  const recording::VerifyReport recovered = Verify(path);
  EXPECT_TRUE(recovered.ok) << recovered.problem;
  EXPECT_EQ(recovered.status, "recovered");
  EXPECT_EQ(recovered.chunks_ok, killed.chunks_ok);
  std::string printed;
  EXPECT_EQ(VerifyRecording(session_id, printed), 0) << printed;
  EXPECT_NE(printed.find("OK (recovered)"), std::string::npos) << printed;

  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline && BrokerSession(session_id)->ended_at == 0) {
    std::this_thread::sleep_for(100ms);
  }
  const auto session = BrokerSession(session_id);
  EXPECT_NE(session->ended_at, 0) << ReadFileText(dir_.path() / "gateway-restarted.log");
  EXPECT_EQ(session->end_reason.rfind("gateway: gateway_crashed: recording recovered", 0), 0u) << session->end_reason;
  // The broker ends the session in its store before it appends the audit record.
  auto ends = harness().AuditOfType("session.end");
  for (int i = 0; i < 100 && ends.empty(); ++i) {
    std::this_thread::sleep_for(100ms);
    ends = harness().AuditOfType("session.end");
  }
  ASSERT_EQ(ends.size(), 1u);
  EXPECT_EQ(ends[0].session, session_id);
  const auto* reason = ends[0].Find("reason");
  ASSERT_NE(reason, nullptr);
  EXPECT_EQ(std::get<std::string>(*reason),
            "gateway_crashed: recording recovered, " + std::to_string(killed.chunks_ok) + " chunks sealed");
}

}  // namespace
}  // namespace safedesk::testing
