// Fail closed on the recording's disk, at the gateway's level: a session whose recording
// cannot be created, or can no longer be written, ends; the browser is told why and the
// broker records and audits the reason. Root writes through any mode bits, so the tests
// use what root cannot write through: a regular file where the directory should be, and a
// full tmpfs mounted over the directory in the gateway's own mount namespace.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <thread>

#include "tests/integration/gateway/gateway_fixture.h"

namespace safedesk::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kCannotCreate = "recording_failed: cannot create the recording";

class GatewayRecordingFailTest : public GatewayTest {
 protected:
  std::optional<broker::SessionRecord> EndedBrokerSession(const std::string& session_id) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto record = harness().store().GetSession(session_id);
      if (record.ok() && record->has_value() && (*record)->ended_at != 0) return **record;
      std::this_thread::sleep_for(100ms);
    }
    return std::nullopt;
  }

  // The broker ends the session in its store before it appends the audit record.
  std::string AuditedEndReason(const std::string& session_id) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      for (const AuditRecord& record : harness().AuditOfType("session.end")) {
        const auto* reason = record.Find("reason");
        if (record.session == session_id && reason != nullptr) return std::get<std::string>(*reason);
      }
      std::this_thread::sleep_for(100ms);
    }
    return {};
  }
};

TEST_F(GatewayRecordingFailTest, RecordingThatCannotBeCreatedEndsTheSessionWithAnAuditedReason) {
  std::filesystem::remove_all(dir_.path() / "recordings");
  dir_.Write("recordings", "a file where the recording directory should be\n", 0644);
  const ApiResponse started = Started();
  const std::string session_id = started.String("sessionId");
  auto view = View();
  ASSERT_TRUE(view->Connect());
  view->Hello(started.String("ticket"));

  const auto end = view->WaitFor("end", 30s);
  ASSERT_TRUE(end.has_value()) << GatewayLog();
  EXPECT_EQ(std::string(end->at("reason").as_string()), kCannotCreate);
  const auto session = EndedBrokerSession(session_id);
  ASSERT_TRUE(session.has_value()) << GatewayLog();
  EXPECT_EQ(session->end_reason, std::string("gateway: ") + kCannotCreate);
  EXPECT_EQ(AuditedEndReason(session_id), kCannotCreate);
}

TEST_F(GatewayRecordingFailTest, RecordingDiskThatFillsUpEndsTheRunningSessionWithAnAuditedReason) {
  // Restart the gateway with its recording directory on an 8 KiB tmpfs that only it sees.
  gateway_->Signal(SIGTERM);
  ASSERT_EQ(gateway_->Wait(20s), 0);
  std::filesystem::create_directories(dir_.path() / "recordings");
  std::string text = ReadFileText(config_);
  text.replace(text.find("gateway.log"), std::string("gateway.log").size(), "gateway-full-disk.log");
  const std::string config = dir_.Write("gateway-full-disk.toml", text, 0644);
  gateway_ = std::make_unique<ChildProcess>(
      "/usr/bin/unshare",
      std::vector<std::string>{"--mount", "--propagation", "private", "--", "/bin/sh", "-c",
                               "mount -t tmpfs -o size=8k safedesk-test-full \"$2\" && exec \"$0\" --config \"$1\"",
                               ExecutablePath("safedesk-gateway").string(), config,
                               (dir_.path() / "recordings").string()},
      dir_.path(), std::vector<std::string>{AsanOptionsWithSmallQuarantine()});
  ASSERT_TRUE(WaitForText(dir_.path() / "gateway-full-disk.log", "listening on")) << gateway_->Stderr();

  const ApiResponse started = Started();
  const std::string session_id = started.String("sessionId");
  ChildProcess ico("/usr/bin/ico", {"-display", DisplayOf(session_id), "-geometry", "500x400+0+0", "-r"}, dir_.path());
  auto view = View();
  ASSERT_TRUE(view->Connect());
  view->Hello(started.String("ticket"));
  ASSERT_TRUE(view->WaitFor("ready", 20s)) << ReadFileText(dir_.path() / "gateway-full-disk.log");

  // The first chunk (4 s of frames) does not fit.
  const auto end = view->WaitFor("end", 40s);
  ASSERT_TRUE(end.has_value()) << ReadFileText(dir_.path() / "gateway-full-disk.log");
  EXPECT_EQ(std::string(end->at("reason").as_string()), "recording_failed");
  const auto session = EndedBrokerSession(session_id);
  ASSERT_TRUE(session.has_value());
  EXPECT_EQ(session->end_reason, "gateway: recording_failed");
  EXPECT_EQ(AuditedEndReason(session_id), "recording_failed");
}

}  // namespace
}  // namespace safedesk::testing
