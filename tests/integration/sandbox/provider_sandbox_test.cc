// The broker's SandboxProvider over the real helper: start → ready → list → stop, a
// crashed desktop reported failed, the desktop limit, and agent readiness gating.

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "broker/provider_sandbox.h"
#include "common/random.h"
#include "tests/testing/child_process.h"
#include "tests/integration/sandbox/sandbox_test_setup.h"
#include "tests/testing/test_support.h"

namespace safedesk::broker {
namespace {

namespace fs = std::filesystem;

class ProviderSandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u);
    const fs::path dataset = testing::DatasetIn(dir_);
    spec_.session_id = "session-1";
    spec_.project = "claims";
    spec_.dataset_path = dataset;
  }

  std::unique_ptr<SandboxProvider> Make(SandboxProviderOptions options = {}, AgentStatusFn status = {}) {
    auto client = sandbox::SandboxClient::Start(
        {testing::ExecutablePath("safedesk-sandbox-helper"), {"--runtime-dir", (dir_.path() / "run").string()}});
    EXPECT_TRUE(client.ok());
    return std::make_unique<SandboxProvider>(std::move(*client), std::move(options), SystemRandom(), std::move(status));
  }

  // Polls Probe until it leaves kStarting (bounded: 20 s).
  DesktopState Settle(DesktopProvider& provider, const std::string& id) {
    for (int i = 0; i < 400; ++i) {
      auto state = provider.Probe(id);
      if (!state.ok()) return DesktopState::kFailed;
      if (*state != DesktopState::kStarting) return *state;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return DesktopState::kStarting;
  }

  testing::TempDir dir_;
  DesktopSpec spec_;
};

TEST_F(ProviderSandboxTest, StartsADesktopThatBecomesReadyAndStops) {
  auto provider = Make();
  auto handle = provider->Start(spec_);
  ASSERT_TRUE(handle.ok()) << handle.error().message;
  EXPECT_EQ(handle->endpoint.ToString(), "10.77.1.2:3389");
  EXPECT_FALSE(handle->password.empty());
  EXPECT_EQ(Settle(*provider, handle->id), DesktopState::kReady);
  ASSERT_EQ(provider->List().size(), 1u);
  EXPECT_EQ(provider->List()[0].session_id, "session-1");
  EXPECT_TRUE(provider->Stop(handle->id).ok());
  EXPECT_TRUE(provider->List().empty());
  EXPECT_FALSE(fs::exists("/run/netns/sd-1"));
  EXPECT_EQ(provider->Stop(handle->id).error().code, Errc::kNotFound);
}

TEST_F(ProviderSandboxTest, RefusesDesktopsBeyondTheLimit) {
  SandboxProviderOptions options;
  options.max_desktops = 1;
  auto provider = Make(options);
  ASSERT_TRUE(provider->Start(spec_).ok());
  auto second = provider->Start(spec_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, Errc::kLimitExceeded);
}

TEST_F(ProviderSandboxTest, WaitsForTheAgentAndFailsClosedOnLockdownFailure) {
  SandboxProviderOptions options;
  options.agent_config_template = "[agent]\ndesktop_id = \"{desktop_id}\"\nsession_id = \"{session_id}\"\n";
  AgentStatus status = AgentStatus::kUnknown;
  auto provider = Make(options, [&status](const std::string&) { return status; });
  auto handle = provider->Start(spec_);
  ASSERT_TRUE(handle.ok());
  // RDP comes up, but without an agent report the desktop is not ready.
  for (int i = 0; i < 100; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(*provider->Probe(handle->id), DesktopState::kStarting);
  status = AgentStatus::kReady;
  EXPECT_EQ(Settle(*provider, handle->id), DesktopState::kReady);
  status = AgentStatus::kLockdownFailed;
  EXPECT_EQ(*provider->Probe(handle->id), DesktopState::kFailed);
}

}  // namespace
}  // namespace safedesk::broker
