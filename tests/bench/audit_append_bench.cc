// Audit log appends per second with 1, 4 and 16 threads, and group_commit_delay 0 or
// 2 ms (config's default). Each Append waits for its fdatasync, so one thread is bound by
// the disk's sync latency; with more threads, group commit shares a sync between whoever
// is waiting ("records_per_sync" shows how many), and the delay gathers more per sync at
// the cost of latency.
// Run: build/tests/bench/audit_append_bench (the log goes to $TMPDIR, default /tmp).

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>

#include "common/audit_events.h"
#include "common/audit_log.h"
#include "common/clock.h"
#include "common/random.h"

namespace safedesk {
namespace {

std::unique_ptr<AuditLog> g_log;  // shared by the threads of one benchmark run
std::filesystem::path g_path;

void OpenSharedLog(std::int64_t delay_us) {
  const char* base = std::getenv("TMPDIR");
  g_path = std::filesystem::path(base != nullptr ? base : "/tmp") /
           ("safedesk-audit-bench-" + std::to_string(::getpid()) + ".log");
  std::filesystem::remove(g_path);
  SeededRandom random(1);
  auto key = Ed25519PrivateKey::Generate(random);
  AuditLogOptions options;
  options.group_commit_delay = std::chrono::microseconds(delay_us);
  auto log = AuditLog::Open(g_path, std::move(*key), options, SystemClock());
  if (!log) std::abort();
  g_log = std::move(*log);
}

void BM_AuditAppend(benchmark::State& state) {
  // Thread 0 sets up before the loop; Google Benchmark starts every thread's loop together.
  if (state.thread_index() == 0) OpenSharedLog(state.range(0));
  const AuditEvent event = audit::LoginSuccess("researcher", "10.8.0.2", "password+totp");
  for (auto _ : state) {
    if (!g_log->Append(event).ok()) state.SkipWithError("append failed");
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    const AuditLog::Stats stats = g_log->stats();
    state.counters["records_per_sync"] =
        stats.syncs == 0 ? 0.0 : static_cast<double>(stats.records) / static_cast<double>(stats.syncs);
    g_log.reset();
    std::filesystem::remove(g_path);
  }
}
BENCHMARK(BM_AuditAppend)
    ->ArgName("delay_us")->Arg(0)->Arg(2000)
    ->Threads(1)->Threads(4)->Threads(16)
    ->UseRealTime()->MinTime(1.0);

}  // namespace
}  // namespace safedesk
