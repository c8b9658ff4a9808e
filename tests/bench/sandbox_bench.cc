// Sandbox desktops through the broker's DesktopPool over the real helper, each with the
// real safedesk-agent holding its own certificate (needs root): time from a session's
// request to "agent ready" (RDP accepts and the desktop's agent registered over mutual
// TLS with lockdown passed), cold and from a warm spare, and the memory (PSS summed over
// the sandbox's processes) of one idle desktop. Run by hand:
//   sudo build/default/tests/bench/sandbox_bench
#include <sys/stat.h>
#include <unistd.h>

#include <benchmark/benchmark.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "broker/agent_certs.h"
#include "broker/desktop_pool.h"
#include "broker/projects.h"
#include "broker/provider_sandbox.h"
#include "broker/store/sqlite_store.h"
#include "common/random.h"
#include "tests/integration/sandbox/agent_registrar.h"
#include "tests/testing/child_process.h"

namespace {

namespace fs = std::filesystem;
using namespace safedesk;
using namespace safedesk::broker;

constexpr const char* kProject = "bench";

struct Fixture {
  fs::path dir = fs::temp_directory_path() / ("sandbox-bench-" + std::to_string(::getpid()));
  testing::TestPki pki = testing::MakeTestPki();
  std::unique_ptr<testing::AgentRegistrar> registrar;
  config::Config config;
  MemoryAuditSink audit;
  std::unique_ptr<SqliteStore> store;
  std::unique_ptr<AgentCertIssuer> issuer;
  std::unique_ptr<SandboxProvider> provider;
  std::unique_ptr<DesktopPool> pool;

  explicit Fixture(int warm_spares) {
    fs::create_directories(dir / "dataset");
    ::chmod(dir.c_str(), 0755);
    ::chmod((dir / "dataset").c_str(), 0755);
    std::ofstream(dir / "ca.crt") << pki.ca.certificate_pem;
    std::ofstream(dir / "ca.key") << pki.ca.private_key_pem;
    registrar = std::make_unique<testing::AgentRegistrar>(pki);
    config::PoolConfig pool_config;
    pool_config.name = "bench";
    pool_config.max_desktops = 2;
    pool_config.warm_spares = warm_spares;
    config.pools = {pool_config};
    config::ProjectConfig project;
    project.name = kProject;
    project.pool = "bench";
    project.dataset_path = dir / "dataset";
    config.projects = {project};
    if (auto opened = SqliteStore::Open(dir / "state.sqlite"); opened.ok()) store = std::move(*opened);
    if (!store || !store->PutProject(ProjectFromConfig(project), 0).ok()) return;
    config.broker.component_listen.port = registrar->port();
    auto loaded = AgentCertIssuer::Load(dir / "ca.crt", dir / "ca.key", SystemClock(), std::chrono::hours(1));
    auto client = sandbox::SandboxClient::Start(
        {testing::ExecutablePath("safedesk-sandbox-helper"),
         {"--runtime-dir", (dir / "run").string(), "--agent", testing::ExecutablePath("safedesk-agent"),
          "--registration-port", std::to_string(registrar->port())}});
    if (!loaded.ok() || !client.ok()) return;
    issuer = std::move(*loaded);
    SandboxProviderOptions options;
    options.agent_config_template = SandboxAgentConfigTemplate(config, options.net_prefix);
    options.agent_issuer = issuer.get();
    options.agent_ca_pem = pki.ca.certificate_pem;
    provider = std::make_unique<SandboxProvider>(std::move(*client), options, SystemRandom(),
                                                 [this](const std::string& id) { return registrar->Status(id); });
    pool = std::make_unique<DesktopPool>(*provider, config, *store, SystemClock(), audit);
  }
  ~Fixture() {
    pool.reset();
    provider.reset();
    fs::remove_all(dir);
  }
  DesktopSpec Spec() { return DesktopSpecFor(config, ProjectFromConfig(config.projects.front()), "bench-session"); }
  // Probe until ready; false if not within 30 s.
  bool WaitReady(const std::string& id) {
    for (int i = 0; i < 6000; ++i) {
      auto state = pool->Probe(id);
      if (!state.ok() || *state == DesktopState::kFailed) return false;
      if (*state == DesktopState::kReady) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }
  bool SpareReady() {
    for (int i = 0; i < 600; ++i) {
      pool->Maintain();
      if (!pool->ReadySpareIds(kProject).empty()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
};

// Request → agent ready: start, then probe until the agent has registered.
void BM_ColdStartToAgentReady(benchmark::State& state) {
  Fixture f(0);
  if (!f.pool) return state.SkipWithError("no sandbox helper or issuer");
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    auto handle = f.pool->Start(f.Spec());
    if (!handle.ok() || !f.WaitReady(handle->id)) state.SkipWithError("desktop not ready");
    state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    if (handle.ok()) (void)f.pool->Stop(handle->id);
  }
}
BENCHMARK(BM_ColdStartToAgentReady)->UseManualTime()->Iterations(5)->Unit(benchmark::kMillisecond);

// A warm spare's agent registered ahead: the session's start takes it (one more probe).
void BM_WarmSpareToAgentReady(benchmark::State& state) {
  Fixture f(1);
  if (!f.pool) return state.SkipWithError("no sandbox helper or issuer");
  for (auto _ : state) {
    state.PauseTiming();
    const bool spare = f.SpareReady();
    state.ResumeTiming();
    const auto start = std::chrono::steady_clock::now();
    auto handle = f.pool->Start(f.Spec());
    if (!spare || !handle.ok() || !f.WaitReady(handle->id)) state.SkipWithError("spare not ready");
    state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    state.PauseTiming();
    if (handle.ok()) (void)f.pool->Stop(handle->id);
    state.ResumeTiming();
  }
}
BENCHMARK(BM_WarmSpareToAgentReady)->UseManualTime()->Iterations(5)->Unit(benchmark::kMicrosecond);

std::uint64_t PssKb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/smaps_rollup");
  std::string key;
  std::uint64_t value = 0;
  while (in >> key) {
    if (key == "Pss:") {
      in >> value;
      return value;
    }
  }
  return 0;
}

std::string Comm(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
  std::string comm;
  std::getline(in, comm);
  return comm;
}

std::uint64_t TreePssKb(pid_t pid, std::uint64_t& agent_kb) {
  std::uint64_t total = PssKb(pid);
  if (Comm(pid) == "safedesk-agent") agent_kb += PssKb(pid);
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  pid_t child;
  while (in >> child) total += TreePssKb(child, agent_kb);
  return total;
}

// The outer bwrap of the one running sandbox: the helper's child running as the desktop user.
pid_t OuterBwrap() {
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    struct stat st {};
    if (::stat(entry.path().c_str(), &st) != 0 || st.st_uid != 65534 || Comm(std::stoi(name)) != "bwrap") continue;
    std::ifstream status(entry.path() / "status");
    std::string line;
    pid_t parent = 0;
    while (std::getline(status, line)) {
      if (line.rfind("PPid:", 0) == 0) parent = std::stoi(line.substr(5));
    }
    struct stat parent_st {};
    if (::stat(("/proc/" + std::to_string(parent)).c_str(), &parent_st) == 0 && parent_st.st_uid == 0) {
      return std::stoi(name);
    }
  }
  return -1;
}

void BM_IdleDesktopMemory(benchmark::State& state) {
  Fixture f(0);
  if (!f.pool) return state.SkipWithError("no sandbox helper or issuer");
  std::uint64_t pss = 0, agent = 0;
  for (auto _ : state) {
    auto handle = f.pool->Start(f.Spec());
    if (!handle.ok() || !f.WaitReady(handle->id)) state.SkipWithError("desktop not ready");
    std::this_thread::sleep_for(std::chrono::seconds(2));  // settle: idle, nobody connected
    const pid_t outer = OuterBwrap();
    pss = outer > 0 ? TreePssKb(outer, agent) : 0;
    if (handle.ok()) (void)f.pool->Stop(handle->id);
  }
  state.counters["pss_mib"] = static_cast<double>(pss) / 1024.0;
  state.counters["agent_pss_mib"] = static_cast<double>(agent) / 1024.0;
}
BENCHMARK(BM_IdleDesktopMemory)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
