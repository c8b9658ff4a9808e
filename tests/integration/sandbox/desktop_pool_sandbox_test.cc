// The broker's DesktopPool over the real SandboxProvider and helper: a warm spare is
// started ahead, a session takes it, a new spare replaces it, the used one is gone
// (network namespace, veth, directory) after Stop, and max_desktops holds for sessions
// and spares together. Agent readiness comes from a status function the test sets (the
// broker's AgentRegistry in production): a spare is not handed out before it says ready.

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "broker/desktop_pool.h"
#include "broker/projects.h"
#include "broker/provider_sandbox.h"
#include "broker/store/sqlite_store.h"
#include "common/random.h"
#include "tests/integration/sandbox/sandbox_test_setup.h"
#include "tests/testing/child_process.h"
#include "tests/testing/test_support.h"

namespace safedesk::broker {
namespace {

namespace fs = std::filesystem;

constexpr const char* kProject = "claims";

class DesktopPoolSandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u);
    const config::ProjectConfig& project = testing::UseResearchPool(config_, kProject, testing::DatasetIn(dir_));
    auto store = SqliteStore::Open(dir_.path() / "state.sqlite");
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
    ASSERT_TRUE(store_->PutProject(ProjectFromConfig(project), 0).ok());
    auto client = sandbox::SandboxClient::Start(
        {testing::ExecutablePath("safedesk-sandbox-helper"), {"--runtime-dir", (dir_.path() / "run").string()}});
    ASSERT_TRUE(client.ok()) << client.error().message;
    SandboxProviderOptions options;
    // Readiness waits for the agent's status (no agent runs: the helper has no --agent).
    options.agent_config_template = "[agent]\ndesktop_id = \"{desktop_id}\"\n";
    provider_ = std::make_unique<SandboxProvider>(std::move(*client), options, SystemRandom(),
                                                  [this](const std::string& id) { return AgentOf(id); });
    pool_ = std::make_unique<DesktopPool>(*provider_, config_, *store_, SystemClock(), audit_);
  }

  void TearDown() override {
    pool_.reset();
    provider_.reset();  // closes the helper: it removes everything
  }

  AgentStatus AgentOf(const std::string& id) {
    std::lock_guard lock(mu_);
    const auto found = agents_.find(id);
    return found == agents_.end() ? AgentStatus::kUnknown : found->second;
  }
  void SetAgent(const std::string& id, AgentStatus status) {
    std::lock_guard lock(mu_);
    agents_[id] = status;
  }
  // Every desktop's agent reports ready as soon as the desktop exists.
  void AgentsReady() {
    for (const DesktopInfo& info : provider_->List()) SetAgent(info.id, AgentStatus::kReady);
  }

  bool MaintainUntil(const std::function<bool()>& done) {
    for (int i = 0; i < 600; ++i) {  // 30 s: a sandbox takes about 2 s
      pool_->Maintain();
      AgentsReady();
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  bool OneReadySpare() {
    return MaintainUntil([&] { return pool_->ReadySpareIds(kProject).size() == 1; });
  }

  DesktopSpec SessionSpec(const std::string& session) {
    return DesktopSpecFor(config_, ProjectFromConfig(config_.projects.front()), session);
  }

  // The sandbox's network namespace, from its address 10.77.N.2.
  fs::path NetnsOf(const std::string& id) {
    for (const DesktopInfo& info : provider_->List()) {
      if (info.id != id) continue;
      const std::string& host = info.endpoint.host;
      const auto a = host.find('.', host.find('.') + 1) + 1;
      return "/run/netns/sd-" + host.substr(a, host.rfind('.') - a);
    }
    return {};
  }

  testing::TempDir dir_;
  config::Config config_;
  MemoryAuditSink audit_;
  std::mutex mu_;
  std::map<std::string, AgentStatus> agents_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<SandboxProvider> provider_;
  std::unique_ptr<DesktopPool> pool_;
};

TEST_F(DesktopPoolSandboxTest, SpareIsTakenReplacedAndGoneAfterStop) {
  ASSERT_TRUE(OneReadySpare());
  const std::string spare = pool_->ReadySpareIds(kProject).front();
  const fs::path netns = NetnsOf(spare);
  ASSERT_TRUE(fs::exists(netns)) << netns;
  auto handle = pool_->Start(SessionSpec("s-1"));
  ASSERT_TRUE(handle.ok()) << handle.error().message;
  EXPECT_EQ(handle->id, spare);
  EXPECT_EQ(*pool_->Probe(spare), DesktopState::kReady);
  ASSERT_TRUE(OneReadySpare());
  const std::string replacement = pool_->ReadySpareIds(kProject).front();
  EXPECT_NE(replacement, spare);
  EXPECT_NE(NetnsOf(replacement), netns);
  ASSERT_TRUE(pool_->Stop(spare).ok());
  EXPECT_FALSE(fs::exists(netns));
  EXPECT_EQ(pool_->List().size(), 1u);
  EXPECT_EQ(pool_->List()[0].id, replacement);
}

TEST_F(DesktopPoolSandboxTest, SpareIsNotHandedOutBeforeItsAgentIsReady) {
  pool_->Maintain();
  ASSERT_EQ(pool_->SpareIds(kProject).size(), 1u);
  const std::string spare = pool_->SpareIds(kProject).front();
  // RDP comes up within about 2 s; without its agent the spare stays unready.
  for (int i = 0; i < 100; ++i) {
    pool_->Maintain();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(pool_->ReadySpareIds(kProject).empty());
  auto handle = pool_->Start(SessionSpec("s-1"));  // a cold desktop instead
  ASSERT_TRUE(handle.ok()) << handle.error().message;
  EXPECT_NE(handle->id, spare);
  SetAgent(spare, AgentStatus::kReady);
  pool_->Maintain();
  EXPECT_EQ(pool_->ReadySpareIds(kProject), std::vector<std::string>{spare});
}

TEST_F(DesktopPoolSandboxTest, MaxDesktopsHoldsForSessionsAndSpares) {
  ASSERT_TRUE(OneReadySpare());
  ASSERT_TRUE(pool_->Start(SessionSpec("s-1")).ok());
  ASSERT_TRUE(OneReadySpare());
  ASSERT_TRUE(pool_->Start(SessionSpec("s-2")).ok());
  pool_->Maintain();
  EXPECT_TRUE(pool_->SpareIds(kProject).empty());  // full: no spare beyond two desktops
  EXPECT_EQ(provider_->List().size(), 2u);
  auto third = pool_->Start(SessionSpec("s-3"));
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().code, Errc::kLimitExceeded);
  EXPECT_EQ(provider_->List().size(), 2u);
}

}  // namespace
}  // namespace safedesk::broker
