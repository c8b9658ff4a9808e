// Test helper for recording_crash_test: records frames on the system clock until killed
// (bounded at 60 s), printing "frame N" as it goes.
#include <cstdio>
#include <thread>

#include "gateway/recorder.h"

int main(int argc, char** argv) {
  using namespace safedesk;
  using namespace safedesk::gateway;
  if (argc != 2) return 2;
  std::array<std::uint8_t, 32> seed{};
  seed.fill(5);
  RecorderOptions o;
  o.path = argv[1];
  o.session_id = "s-crash";
  o.width = 128;
  o.height = 96;
  o.chunk_duration = std::chrono::milliseconds(100);
  auto r = Recorder::Start(o, Ed25519PrivateKey::FromSeed(seed).value(), std::nullopt, SystemClock(), SystemRandom(),
                           nullptr);
  if (!r) return 1;
  std::vector<std::uint8_t> fb(std::size_t(o.width) * o.height * 4);
  for (int i = 0; i < 3000; ++i) {
    MaskSnapshot m;
    m.received = SystemClock().Monotonic();
    m.sampled = m.received;
    m.screen_width = o.width;
    m.screen_height = o.height;
    m.rects = {Rect{i % 64, 10, 30, 20}};
    (*r)->OnMasks(m);
    for (std::size_t k = 0; k < fb.size(); ++k) fb[k] = std::uint8_t(k + i);
    FrameView f{SystemClock().Now(), o.width, o.height, o.width * 4, fb, {Rect{0, 0, o.width, o.height}}};
    if (!(*r)->OnFrame(f).ok()) return 1;
    std::printf("frame %d\n", i);
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return 0;
}
