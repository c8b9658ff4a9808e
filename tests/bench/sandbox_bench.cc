// Sandbox desktops through the real helper (needs root): time from request to ready, cold
// and from a warm spare, and the memory (PSS sum) of one idle desktop. Run by hand:
//   sudo build/tests/bench/sandbox_bench
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <benchmark/benchmark.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/integration/sandbox/sam_line.h"
#include "sandbox/sandbox_client.h"
#include "tests/testing/child_process.h"

namespace {

namespace fs = std::filesystem;
using safedesk::sandbox::LaunchParams;
using safedesk::sandbox::SandboxClient;

bool RdpAccepts(std::uint16_t n) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(3389);
  ::inet_pton(AF_INET, ("10.77." + std::to_string(n) + ".2").c_str(), &address.sin_addr);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return ok;
}

struct Fixture {
  fs::path dir = fs::temp_directory_path() / ("sandbox-bench-" + std::to_string(::getpid()));
  std::unique_ptr<SandboxClient> client;
  Fixture() {
    fs::create_directories(dir / "dataset");
    ::chmod(dir.c_str(), 0755);
    ::chmod((dir / "dataset").c_str(), 0755);
    auto started = SandboxClient::Start(
        {safedesk::testing::ExecutablePath("safedesk-sandbox-helper"), {"--runtime-dir", (dir / "run").string()}});
    if (started.ok()) client = std::move(*started);
  }
  ~Fixture() {
    client.reset();
    fs::remove_all(dir);
  }
  // Request → RDP accepting; false if not ready within 20 s.
  pid_t StartAndWait(std::uint16_t n) {
    if (!client->CreateNetwork(n).ok()) return -1;
    LaunchParams params;
    auto sam = safedesk::sandbox::TestSamLine("u", safedesk::Secret(std::string("bench-password")));
    params.sam_line = std::move(*sam);
    params.dataset_path = (dir / "dataset").string();
    auto pid = client->Launch(n, params);
    if (!pid.ok()) return -1;
    for (int i = 0; i < 4000 && !RdpAccepts(n); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return RdpAccepts(n) ? *pid : -1;
  }
};

void BM_ColdStartToReady(benchmark::State& state) {
  Fixture f;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    if (f.StartAndWait(1) < 0) state.SkipWithError("desktop not ready");
    state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    (void)f.client->Destroy(1);
  }
}
BENCHMARK(BM_ColdStartToReady)->UseManualTime()->Iterations(5)->Unit(benchmark::kMillisecond);

// A warm spare was started ahead: handing it out is a liveness check and an RDP probe.
void BM_WarmSpareToReady(benchmark::State& state) {
  Fixture f;
  for (auto _ : state) {
    state.PauseTiming();
    const bool started = f.StartAndWait(1) > 0;
    state.ResumeTiming();
    const auto start = std::chrono::steady_clock::now();
    if (!started || !*f.client->Running(1) || !RdpAccepts(1)) state.SkipWithError("spare not ready");
    state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    state.PauseTiming();
    (void)f.client->Destroy(1);
    state.ResumeTiming();
  }
}
BENCHMARK(BM_WarmSpareToReady)->UseManualTime()->Iterations(5)->Unit(benchmark::kMicrosecond);

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

std::uint64_t TreePssKb(pid_t pid) {
  std::uint64_t total = PssKb(pid);
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  pid_t child;
  while (in >> child) total += TreePssKb(child);
  return total;
}

void BM_IdleDesktopMemory(benchmark::State& state) {
  Fixture f;
  std::uint64_t pss = 0;
  for (auto _ : state) {
    const pid_t pid = f.StartAndWait(1);
    std::this_thread::sleep_for(std::chrono::seconds(2));  // settle: idle, nobody connected
    pss = pid > 0 ? TreePssKb(pid) : 0;
    (void)f.client->Destroy(1);
  }
  state.counters["pss_mib"] = static_cast<double>(pss) / 1024.0;
}
BENCHMARK(BM_IdleDesktopMemory)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
