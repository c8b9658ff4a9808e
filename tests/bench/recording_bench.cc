// Recording cost on the reference desktop workload (Xvfb 1280x800, scrolling xterm, ico,
// xclock; /work/shared/bench/reference-desktop.sh): frames are read from Xvfb's -fbdir
// XWD framebuffer at ~16 fps and fed to a real Recorder with one sensitive rectangle.
//   BM_RecordReferenceDesktop: bytes per minute, recorder CPU per frame and per session-second
//   BM_SeekOneHour: open + seek + decode to a random point of a one-hour recording built
//                   by repeating the captured chunks (each chunk starts with a key frame)
// Env: SAFEDESK_BENCH_SECONDS (default 30), SAFEDESK_BENCH_WORKLOAD (the scroll script).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <benchmark/benchmark.h>

#include <cstring>
#include <filesystem>
#include <random>
#include <thread>

#include "common/recording_reader.h"
#include "common/recording_writer.h"
#include "gateway/recorder.h"
#include "recording/frame_codec.h"

extern char** environ;

namespace safedesk {
namespace {

namespace fs = std::filesystem;
constexpr int kW = 1280, kH = 800;

pid_t Spawn(std::vector<std::string> args, const std::string& display) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_store;
  for (char** e = environ; *e; ++e) {
    if (std::strncmp(*e, "DISPLAY=", 8) != 0) env_store.emplace_back(*e);
  }
  env_store.push_back("DISPLAY=" + display);
  std::vector<char*> envp;
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  if (posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), envp.data()) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

std::uint32_t Be32(const std::uint8_t* p) { return std::uint32_t(p[0]) << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

// Dirty rectangles between two frames: per 16-row band, the changed column span.
std::vector<gateway::Rect> Diff(const std::uint8_t* a, const std::uint8_t* b) {
  std::vector<gateway::Rect> out;
  for (int y0 = 0; y0 < kH; y0 += 16) {
    int x0 = kW, x1 = 0;
    for (int y = y0; y < y0 + 16; ++y) {
      const auto* pa = reinterpret_cast<const std::uint32_t*>(a + std::size_t(y) * kW * 4);
      const auto* pb = reinterpret_cast<const std::uint32_t*>(b + std::size_t(y) * kW * 4);
      if (std::memcmp(pa, pb, kW * 4) == 0) continue;
      int l = 0, h = kW;
      while (pa[l] == pb[l]) ++l;
      while (pa[h - 1] == pb[h - 1]) --h;
      x0 = std::min(x0, l), x1 = std::max(x1, h);
    }
    if (x1 > x0) out.push_back(gateway::Rect{x0, y0, x1 - x0, 16});
  }
  return out;
}

double ProcessCpuMs() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}
double ThreadCpuMs() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

std::string g_recording;  // made by BM_RecordReferenceDesktop, used by BM_SeekOneHour
fs::path g_dir;

Ed25519PrivateKey Key() {
  std::array<std::uint8_t, 32> seed{};
  seed.fill(3);
  return Ed25519PrivateKey::FromSeed(seed).value();
}

void BM_RecordReferenceDesktop(benchmark::State& state) {
  const char* s = std::getenv("SAFEDESK_BENCH_SECONDS");
  const int seconds = s ? std::atoi(s) : 30;
  const char* w = std::getenv("SAFEDESK_BENCH_WORKLOAD");
  const std::string workload = w ? w : "/work/shared/bench/workload-scroll.pl";
  g_dir = fs::temp_directory_path() / ("recording_bench." + std::to_string(getpid()));
  fs::create_directories(g_dir);
  const std::string display = ":" + std::to_string(90 + getpid() % 9);
  std::vector<pid_t> pids;
  pids.push_back(Spawn({"Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp", "-fbdir", g_dir.string()},
                       display));
  const std::string fb_path = (g_dir / "Xvfb_screen0").string();
  for (int i = 0; i < 100 && !fs::exists(fb_path); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  pids.push_back(Spawn({"xterm", "-geometry", "120x45+5+5", "-e", "perl", workload}, display));
  pids.push_back(Spawn({"ico", "-faces", "-sleep", "0.02", "-geometry", "400x300+860+460"}, display));
  pids.push_back(Spawn({"xclock", "-update", "1", "-geometry", "250x250+1010+10"}, display));
  std::this_thread::sleep_for(std::chrono::seconds(2));
  int fd = ::open(fb_path.c_str(), O_RDONLY);
  struct stat st {};
  const std::uint8_t* map = nullptr;
  if (fd >= 0 && fstat(fd, &st) == 0) {
    map = static_cast<const std::uint8_t*>(mmap(nullptr, std::size_t(st.st_size), PROT_READ, MAP_SHARED, fd, 0));
  }
  auto stop = [&] {
    for (pid_t p : pids) {
      if (p > 0) kill(p, SIGTERM);
    }
    for (pid_t p : pids) {
      if (p > 0) waitpid(p, nullptr, 0);
    }
  };
  if (!map || map == MAP_FAILED || Be32(map + 4 * 4) != kW || Be32(map + 5 * 4) != kH || Be32(map + 11 * 4) != 32) {
    stop();
    state.SkipWithError("no 1280x800x32 Xvfb framebuffer (is Xvfb installed?)");
    return;
  }
  const std::size_t pix_off = Be32(map) + Be32(map + 19 * 4) * 12;
  const std::uint8_t* live = map + pix_off;
  for (auto _ : state) {
    g_recording = (g_dir / "desktop.rec").string();
    fs::remove(g_recording);
    gateway::RecorderOptions o;
    o.path = g_recording;
    o.session_id = "bench";
    o.width = kW;
    o.height = kH;
    auto rec = gateway::Recorder::Start(o, Key(), std::nullopt, SystemClock(), SystemRandom(), nullptr);
    if (!rec) {
      state.SkipWithError(rec.error().message.c_str());
      break;
    }
    std::vector<std::uint8_t> cur(std::size_t(kW) * kH * 4), prev(cur.size());
    const int frames = seconds * 16;
    double on_frame_ms = 0, main_other_ms = 0;
    const double cpu0 = ProcessCpuMs();
    const double main0 = ThreadCpuMs();
    auto next = std::chrono::steady_clock::now();
    for (int i = 0; i < frames; ++i) {
      std::memcpy(cur.data(), live, cur.size());
      std::vector<gateway::Rect> dirty = i == 0 ? std::vector<gateway::Rect>{{0, 0, kW, kH}} : Diff(prev.data(), cur.data());
      gateway::MaskSnapshot m;
      m.received = SystemClock().Monotonic();
      m.sampled = m.received;
      m.screen_width = kW;
      m.screen_height = kH;
      m.rects = {gateway::Rect{1010, 10, 250, 250}};  // the clock counts as sensitive
      const double t0 = ThreadCpuMs();
      (*rec)->OnMasks(m);
      auto ok = (*rec)->OnFrame(gateway::FrameView{SystemClock().Now(), kW, kH, kW * 4, cur, dirty});
      on_frame_ms += ThreadCpuMs() - t0;
      if (!ok.ok()) {
        state.SkipWithError(ok.error().message.c_str());
        break;
      }
      std::swap(cur, prev);
      next += std::chrono::milliseconds(62);
      std::this_thread::sleep_until(next);
    }
    auto done = (*rec)->Finish();
    main_other_ms = ThreadCpuMs() - main0 - on_frame_ms;
    const double recorder_ms = ProcessCpuMs() - cpu0 - main_other_ms;
    recording::VerifyReport r = recording::VerifyRecording(g_recording, nullptr);
    const double minutes = double(r.duration_ms) / 60000.0;
    state.counters["MB_per_min"] = double(fs::file_size(g_recording)) / 1e6 / minutes;
    state.counters["cpu_ms_per_frame"] = recorder_ms / frames;
    state.counters["cpu_ms_per_session_s"] = recorder_ms / (double(r.duration_ms) / 1000.0);
    state.counters["frames"] = double(r.frames);
    state.counters["masked_share"] = r.masked_share();
    state.counters["chunks"] = r.chunks_ok;
  }
  munmap(const_cast<std::uint8_t*>(map), std::size_t(st.st_size));
  ::close(fd);
  stop();
}
BENCHMARK(BM_RecordReferenceDesktop)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

void BM_SeekOneHour(benchmark::State& state) {
  if (g_recording.empty()) {
    state.SkipWithError("needs BM_RecordReferenceDesktop first");
    return;
  }
  auto src = recording::RecordingReader::Open(g_recording);
  if (!src || (*src)->index().size() < 2) {
    state.SkipWithError("no source chunks");
    return;
  }
  // Build the hour from the captured chunks (all but the last, which may be short).
  const std::string hour = (g_dir / "hour.rec").string();
  fs::remove(hour);
  recording::Header h = (*src)->header();
  auto writer = recording::RecordingWriter::Create(hour, h, Key(), std::nullopt, SystemRandom());
  const std::size_t n = (*src)->index().size() - 1;
  std::vector<std::vector<std::uint8_t>> payloads;
  std::vector<recording::ChunkStats> stats;
  for (std::size_t i = 0; i < n; ++i) {
    recording::ChunkStats cs;
    payloads.push_back((*src)->ReadChunk(i, &cs).value());
    stats.push_back(cs);
  }
  std::int64_t t = 0;
  while (t < 3'600'000) {
    for (std::size_t i = 0; i < n && t < 3'600'000; ++i) {
      recording::ChunkStats cs = stats[i];
      const std::int64_t len = cs.end_ms - cs.start_ms + 62;
      cs.start_ms = t, cs.end_ms = t + len - 62;
      (void)(*writer)->AppendChunk(cs, payloads[i]);
      t += len;
    }
  }
  (void)(*writer)->Seal(t);
  writer->reset();
  std::mt19937_64 rng(7);
  std::size_t decoded = 0;
  for (auto _ : state) {
    const std::int64_t target = std::int64_t(rng() % 3'600'000);
    auto rd = recording::RecordingReader::Open(hour);
    const std::size_t c = (*rd)->FindChunk(target);
    auto payload = (*rd)->ReadChunk(c);
    recording::FrameDecoder dec(kW, kH);
    // Decode the chunk up to the target (a seek shows the frame at that time).
    (void)dec.DecodeChunk(*payload, [&](const recording::DecodedFrame& f) { decoded += f.t_ms <= target; }, nullptr);
  }
  state.counters["hour_file_MB"] = double(fs::file_size(hour)) / 1e6;
  benchmark::DoNotOptimize(decoded);
  fs::remove_all(g_dir);
}
BENCHMARK(BM_SeekOneHour)->Iterations(50)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace safedesk
