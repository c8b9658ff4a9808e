// The pool over the real sandbox with the real safedesk-agent inside each desktop: the
// broker issues every desktop its own certificate (CN agent-<desktop id>) from the test
// CA, a warm spare is handed out only after its agent registered over mutual TLS with
// every lockdown check passed, and a live session whose agent falls silent (the test
// stops the agent it finds in that desktop, by PID) is reported lost.

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "broker/agent_certs.h"
#include "broker/desktop_pool.h"
#include "broker/projects.h"
#include "broker/provider_sandbox.h"
#include "broker/store/sqlite_store.h"
#include "common/random.h"
#include "tests/integration/sandbox/agent_registrar.h"
#include "tests/integration/sandbox/sandbox_test_setup.h"
#include "tests/testing/child_process.h"
#include "tests/testing/test_support.h"

namespace safedesk::broker {
namespace {

namespace fs = std::filesystem;

constexpr const char* kProject = "claims";

// The agent processes on this host, run as the desktop user (pids in the host's view).
std::vector<pid_t> AgentPids() {
  std::vector<pid_t> out;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    struct stat st {};
    if (::stat(entry.path().c_str(), &st) != 0 || st.st_uid != 65534) continue;
    std::ifstream comm(entry.path() / "comm");
    std::string command;
    std::getline(comm, command);
    if (command == "safedesk-agent") out.push_back(std::stoi(name));
  }
  return out;
}

class DesktopPoolAgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u);
    const fs::path dataset = testing::DatasetIn(dir_);
    pki_ = testing::MakeTestPki();
    std::ofstream(dir_.path() / "ca.crt") << pki_.ca.certificate_pem;
    std::ofstream(dir_.path() / "ca.key") << pki_.ca.private_key_pem;
    registrar_ = std::make_unique<testing::AgentRegistrar>(pki_);
    config::ProjectConfig& project = testing::UseResearchPool(config_, kProject, dataset);
    project.mask_rules = {{"^XTerm$", "patient \\d+"}};  // the agent must get the project's rules
    auto store = SqliteStore::Open(dir_.path() / "state.sqlite");
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
    ASSERT_TRUE(store_->PutProject(ProjectFromConfig(project), 0).ok());
    config_.broker.component_listen.port = registrar_->port();
    auto issuer = AgentCertIssuer::Load(dir_.path() / "ca.crt", dir_.path() / "ca.key", SystemClock(),
                                        std::chrono::hours(1));
    ASSERT_TRUE(issuer.ok()) << issuer.error().message;
    issuer_ = std::move(*issuer);
    auto client = sandbox::SandboxClient::Start(
        {testing::ExecutablePath("safedesk-sandbox-helper"),
         {"--runtime-dir", (dir_.path() / "run").string(), "--agent", testing::ExecutablePath("safedesk-agent"),
          "--registration-port", std::to_string(registrar_->port())}});
    ASSERT_TRUE(client.ok()) << client.error().message;
    SandboxProviderOptions options;
    options.agent_config_template = SandboxAgentConfigTemplate(config_, options.net_prefix);
    options.agent_issuer = issuer_.get();
    options.agent_ca_pem = pki_.ca.certificate_pem;
    provider_ = std::make_unique<SandboxProvider>(std::move(*client), options, SystemRandom(),
                                                  [this](const std::string& id) { return registrar_->Status(id); });
    pool_ = std::make_unique<DesktopPool>(*provider_, config_, *store_, SystemClock(), audit_);
  }

  void TearDown() override {
    for (pid_t pid : stopped_) ::kill(pid, SIGCONT);
    pool_.reset();
    provider_.reset();
    if (HasFailure()) {
      for (const auto& entry : fs::recursive_directory_iterator(dir_.path() / "run")) {
        if (entry.path().filename() == "desktop.log") {
          std::ifstream in(entry.path());
          std::cerr << entry.path() << ":\n" << in.rdbuf() << "\n";
        }
      }
    }
  }

  bool MaintainUntil(const std::function<bool()>& done) {
    for (int i = 0; i < 600; ++i) {  // 30 s
      pool_->Maintain();
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  testing::TempDir dir_;
  testing::TestPki pki_;
  config::Config config_;
  MemoryAuditSink audit_;
  std::unique_ptr<testing::AgentRegistrar> registrar_;
  std::unique_ptr<AgentCertIssuer> issuer_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<SandboxProvider> provider_;
  std::unique_ptr<DesktopPool> pool_;
  std::vector<pid_t> stopped_;
};

TEST_F(DesktopPoolAgentTest, SpareIsReadyOnceItsOwnAgentRegisteredWithLockdownPassed) {
  pool_->Maintain();
  ASSERT_EQ(pool_->SpareIds(kProject).size(), 1u);
  const std::string spare = pool_->SpareIds(kProject).front();
  EXPECT_EQ(registrar_->Status(spare), AgentStatus::kUnknown);
  ASSERT_TRUE(MaintainUntil([&] { return !pool_->ReadySpareIds(kProject).empty(); }));
  EXPECT_EQ(pool_->ReadySpareIds(kProject).front(), spare);
  EXPECT_EQ(registrar_->Status(spare), AgentStatus::kReady);  // its CN was agent-<spare>
  EXPECT_TRUE(registrar_->Mismatches().empty());
  auto handle = pool_->Start(DesktopSpecFor(config_, ProjectFromConfig(config_.projects.front()), "s-1"));
  ASSERT_TRUE(handle.ok()) << handle.error().message;
  EXPECT_EQ(handle->id, spare);
}

TEST_F(DesktopPoolAgentTest, AgentGetsTheProjectsMaskRulesAndItsOwnCertificate) {
  pool_->Maintain();
  ASSERT_EQ(pool_->SpareIds(kProject).size(), 1u);
  const fs::path priv = dir_.path() / "run" / "sd-1" / "private";
  std::ifstream in(priv / "agent.toml");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("wm_class = \"^XTerm$\"\ntitle = \"patient \\\\d+\""), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("desktop_id = \"" + pool_->SpareIds(kProject).front() + "\""), std::string::npos);
  struct stat key {};
  ASSERT_EQ(::stat((priv / "agent.key").c_str(), &key), 0);
  EXPECT_EQ(key.st_mode & 0777, 0400u);
  EXPECT_EQ(key.st_uid, 65534u);  // the desktop user's, nobody else's
  // It parses: the agent registers with it.
  ASSERT_TRUE(MaintainUntil([&] { return !pool_->ReadySpareIds(kProject).empty(); }));
}

TEST_F(DesktopPoolAgentTest, SilentAgentEndsTheSession) {
  std::vector<std::string> lost;
  pool_->SetSessionHooks([](const std::string&) { return SessionLiveness::kLive; },
                         [&lost](const std::string&, const std::string& desktop) { lost.push_back(desktop); });
  ASSERT_TRUE(MaintainUntil([&] { return !pool_->ReadySpareIds(kProject).empty(); }));
  auto handle = pool_->Start(DesktopSpecFor(config_, ProjectFromConfig(config_.projects.front()), "s-1"));
  ASSERT_TRUE(handle.ok());
  // Only this desktop's agent runs yet (the replacement spare starts on the next pass).
  const std::vector<pid_t> agents = AgentPids();
  ASSERT_EQ(agents.size(), 1u);
  ASSERT_EQ(::kill(agents[0], SIGSTOP), 0);
  stopped_ = agents;
  ASSERT_TRUE(MaintainUntil([&] { return !lost.empty(); }));
  EXPECT_EQ(lost, std::vector<std::string>{handle->id});
  for (const DesktopInfo& info : pool_->List()) EXPECT_NE(info.id, handle->id);
}

}  // namespace
}  // namespace safedesk::broker
