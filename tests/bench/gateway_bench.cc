// The gateway end to end on the reference benchmark desktop (/work/shared/RECIPES.md):
// the real safedesk-gateway executable, the broker's component API in process (as
// tests/integration/gateway/gateway_relay_test.cc sets it up), a real desktop from the
// HostProcessProvider (Xvfb 1280x800x24 + freerdp-shadow-cli with NLA), the reference
// workload on its display (xterm scrolling 100 lines/s, ico, xclock) and a scripted WSS
// client (DesktopView: decodes and acknowledges every frame, like a browser).
//
// Three runs of SAFEDESK_BENCH_SECONDS (default 60) each, one fresh session per run;
// prints min/median/max of gateway CPU, CPU per delivered frame, frames/s, bytes/s,
// frame-to-send p50/p99 (from the gateway's /metrics) and RSS per session.
// Run by hand, never from CTest: build/default/tests/bench/gateway_bench
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <boost/beast/http.hpp>

#include "tests/integration/gateway/desktop_view.h"
#include "tests/integration/gateway/gateway_fixture.h"
#include "tests/testing/child_process.h"
#include "tests/testing/test_support.h"

namespace safedesk::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace json = boost::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kRuns = 3;
constexpr auto kWarmUp = 3s;
// workload-scroll.pl of /work/shared/bench, verbatim: 100 lines/s (10 ms sleep per line).
constexpr const char* kScrollScript =
    "$| = 1; my $i = 0; while (1) { printf(\"%08d %s\\n\", $i++, "
    "\"the quick brown fox jumps over the lazy dog 0123456789 \" x 2); select(undef, undef, undef, 0.010); }";

int BenchSeconds() {
  const char* value = std::getenv("SAFEDESK_BENCH_SECONDS");
  const int seconds = value != nullptr ? std::atoi(value) : 60;
  return seconds > 0 ? seconds : 60;
}

// utime+stime+cutime+cstime of `pid`, in seconds.
double CpuSeconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(text.substr(close + 2));
  std::vector<std::string> f;
  for (std::string field; fields >> field;) f.push_back(field);
  // After "pid (comm) ": state is field 3, utime 14 → index 11.
  if (f.size() < 15) return -1;
  const double ticks = std::stod(f[11]) + std::stod(f[12]) + std::stod(f[13]) + std::stod(f[14]);
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// GET http://127.0.0.1:port/metrics, as metric line (name{labels}) → value.
std::map<std::string, double> Scrape(int port) {
  std::map<std::string, double> out;
  asio::io_context io;
  beast::tcp_stream stream(io);
  boost::system::error_code ec;
  stream.expires_after(5s);
  stream.socket().connect({asio::ip::make_address("127.0.0.1"), static_cast<std::uint16_t>(port)}, ec);
  if (ec) return out;
  beast::http::request<beast::http::empty_body> request(beast::http::verb::get, "/metrics", 11);
  request.set(beast::http::field::host, "127.0.0.1");
  beast::http::write(stream, request, ec);
  beast::flat_buffer buffer;
  beast::http::response<beast::http::string_body> response;
  if (!ec) beast::http::read(stream, buffer, response, ec);
  if (ec) return out;
  std::istringstream lines(response.body());
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    if (space == std::string::npos) continue;
    out[line.substr(0, space)] = std::atof(line.c_str() + space + 1);
  }
  return out;
}

// The value of the only live session's `name` (optionally with `extra` label text).
double SessionMetric(const std::map<std::string, double>& metrics, const std::string& name, const std::string& extra = "") {
  for (const auto& [key, value] : metrics) {
    if (key.rfind(name + "{", 0) == 0 && (extra.empty() || key.find(extra) != std::string::npos)) return value;
  }
  return -1;
}

struct Figures {
  double seconds = 0;
  double cpu_seconds = 0;
  std::uint64_t frames = 0;
  double bytes = 0;
  double p50 = 0, p99 = 0;
  std::int64_t rss_delta_kib = 0;
  double encode_seconds = 0, mask_seconds = 0;
};

// The gateway, its broker and desktops as the gateway tests run them (gateway_fixture.h).
class GatewayBench : public GatewayTest {
 protected:
  // One session on a fresh desktop running the reference workload, measured for `seconds`.
  Figures Measure(int seconds) {
    Figures run;
    const std::string id = AskId(*rita_);
    EXPECT_EQ(StepUpAndDecide(*ada_, "ada", id).String("state"), "approved");
    const ApiResponse started = Start(*rita_, id);
    EXPECT_EQ(started.status, 200) << started.body;
    broker::DesktopInfo desktop;
    for (const auto& d : provider().List()) {
      if (d.session_id == started.String("sessionId")) desktop = d;
    }
    EXPECT_FALSE(desktop.display.empty());
    if (desktop.display.empty()) return run;
    {
      // Geometry as /work/shared/bench/reference-desktop.sh.
      ChildProcess xterm("/usr/bin/xterm", {"-display", desktop.display, "-geometry", "120x45+5+5", "-e", "perl", "-e", kScrollScript},
                         dir_.path());
      ChildProcess ico("/usr/bin/ico", {"-display", desktop.display, "-faces", "-sleep", "0.02", "-geometry", "400x300+860+460"},
                       dir_.path());
      ChildProcess xclock("/usr/bin/xclock", {"-display", desktop.display, "-update", "1", "-geometry", "250x250+1010+10"},
                          dir_.path());
      std::this_thread::sleep_for(1s);
      const std::int64_t rss_before = RssKiB(gateway_->pid());
      DesktopView view(static_cast<std::uint16_t>(port_), harness().pki().ca.certificate_pem, PageOrigin());
      std::string failure;
      EXPECT_TRUE(view.Connect(&failure)) << failure;
      view.Hello(started.String("ticket"));
      auto ready = view.WaitFor("ready", 20s);
      EXPECT_TRUE(ready && std::string((*ready)["type"].as_string()) == "ready") << GatewayLog();
      if (!ready) return run;
      const auto warm_until = Clock::now() + kWarmUp;
      while (Clock::now() < warm_until && !view.closed()) {
        if (auto message = view.ReadOne(200ms); message && !message->empty()) last_control_ = json::serialize(*message);
      }
      if (view.closed()) {  // the link to a just-started desktop sometimes fails: the caller retries
        std::printf("session closed during warm-up (last control message: %s); retrying\n", last_control_.c_str());
        (void)provider().Stop(desktop.id);
        return run;
      }

      const auto first = Scrape(metrics_port_);
      const double cpu0 = CpuSeconds(gateway_->pid());
      const std::uint64_t frames0 = view.frames();
      const auto t0 = Clock::now();
      const auto until = t0 + std::chrono::seconds(seconds);
      std::int64_t rss_peak = rss_before;
      auto next_sample = t0;
      while (Clock::now() < until && !view.closed()) {
        view.ReadOne(200ms);
        if (Clock::now() >= next_sample) {
          rss_peak = std::max(rss_peak, RssKiB(gateway_->pid()));
          next_sample += 1s;
        }
      }
      const auto t1 = Clock::now();
      const double cpu1 = CpuSeconds(gateway_->pid());
      const auto last = Scrape(metrics_port_);
      EXPECT_FALSE(view.closed()) << "gateway " << (::kill(gateway_->pid(), 0) == 0 ? "alive" : "gone") << "\n"
                                  << gateway_->Stderr() << GatewayLog();
      run.seconds = std::chrono::duration<double>(t1 - t0).count();
      run.cpu_seconds = cpu1 - cpu0;
      run.frames = view.frames() - frames0;
      run.bytes = SessionMetric(last, "safedesk_gateway_session_bytes_sent_total") -
                  SessionMetric(first, "safedesk_gateway_session_bytes_sent_total");
      run.p50 = SessionMetric(last, "safedesk_gateway_session_frame_to_send_seconds", "quantile=\"0.5\"");
      run.p99 = SessionMetric(last, "safedesk_gateway_session_frame_to_send_seconds", "quantile=\"0.99\"");
      run.encode_seconds = SessionMetric(last, "safedesk_gateway_session_encode_seconds_total") -
                           SessionMetric(first, "safedesk_gateway_session_encode_seconds_total");
      run.mask_seconds = SessionMetric(last, "safedesk_gateway_session_mask_seconds_total") -
                         SessionMetric(first, "safedesk_gateway_session_mask_seconds_total");
      run.rss_delta_kib = rss_peak - rss_before;
      view.Close();
    }
    (void)provider().Stop(desktop.id);
    std::this_thread::sleep_for(1s);  // the session winds down before the next one's baseline
    return run;
  }

  std::string last_control_;
};

void Row(const char* name, std::vector<double> values, int decimals) {
  std::sort(values.begin(), values.end());
  std::printf("%-34s %9.*f  %9.*f  %9.*f\n", name, decimals, values.front(), decimals, values[values.size() / 2], decimals,
              values.back());
}

TEST_F(GatewayBench, ReferenceDesktopThroughTheGateway) {
  const int seconds = BenchSeconds();
  std::vector<Figures> runs;
  for (int i = 0; i < kRuns && !HasFailure(); ++i) {
    Figures figures;
    for (int attempt = 0; attempt < 3 && figures.seconds == 0 && !HasFailure(); ++attempt) figures = Measure(seconds);
    runs.push_back(figures);
    const Figures& r = runs.back();
    std::printf("run %d: %.1f s, gateway CPU %.2f s, %llu frames, %.0f bytes, p50 %.2f ms, p99 %.2f ms, RSS +%lld KiB, "
                "encode %.2f s, mask %.2f s\n",
                i + 1, r.seconds, r.cpu_seconds, static_cast<unsigned long long>(r.frames), r.bytes, r.p50 * 1e3, r.p99 * 1e3,
                static_cast<long long>(r.rss_delta_kib), r.encode_seconds, r.mask_seconds);
    std::fflush(stdout);
  }
  ASSERT_EQ(runs.size(), static_cast<std::size_t>(kRuns)) << GatewayLog();
  auto column = [&](auto get) {
    std::vector<double> v;
    for (const Figures& r : runs) v.push_back(get(r));
    return v;
  };
  std::printf("\nreference desktop (Xvfb 1280x800x24, xterm scroll 100 lines/s, ico, xclock) via freerdp-shadow-cli NLA,\n"
              "RDP bitmap codec: legacy planar (32 bpp; RemoteFX/NSCodec/GFX disabled by RdpLink)\n"
              "%d runs x %d s, one session each\n\n", kRuns, seconds);
  std::printf("%-34s %9s  %9s  %9s\n", "", "min", "median", "max");
  Row("gateway CPU (core/session-second)", column([](const Figures& r) { return r.cpu_seconds / r.seconds; }), 3);
  Row("CPU per delivered frame (ms)", column([](const Figures& r) { return r.frames ? r.cpu_seconds * 1e3 / r.frames : 0.0; }), 2);
  Row("frames/s delivered", column([](const Figures& r) { return r.frames / r.seconds; }), 2);
  Row("bytes/s to client (KB/s)", column([](const Figures& r) { return r.bytes / r.seconds / 1e3; }), 1);
  Row("frame-to-send p50 (ms)", column([](const Figures& r) { return r.p50 * 1e3; }), 2);
  Row("frame-to-send p99 (ms)", column([](const Figures& r) { return r.p99 * 1e3; }), 2);
  Row("memory per session (MiB)", column([](const Figures& r) { return r.rss_delta_kib / 1024.0; }), 2);
  Row("encode share of gateway CPU (%)", column([](const Figures& r) { return r.cpu_seconds > 0 ? 100 * r.encode_seconds / r.cpu_seconds : 0.0; }), 1);
  Row("mask share of gateway CPU (%)", column([](const Figures& r) { return r.cpu_seconds > 0 ? 100 * r.mask_seconds / r.cpu_seconds : 0.0; }), 1);
}

}  // namespace
}  // namespace safedesk::testing

// Its own main: GoogleTest runs the fixture (the broker harness is a GoogleTest fixture);
// benchmark_main, which the folder links to every *_bench.cc, is not used.
int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
