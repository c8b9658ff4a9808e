#include "tests/testing/test_xvfb.h"

#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

namespace safedesk::testing {

TestXvfb StartTestXvfb(const std::filesystem::path& dir, const std::string& screen) {
  TestXvfb xvfb;
  for (int attempt = 0; attempt < 20 && xvfb.process == nullptr; ++attempt) {
    const int number = 200 + static_cast<int>((getpid() + attempt * 7) % 700);
    const std::string socket = "/tmp/.X11-unix/X" + std::to_string(number);
    if (std::filesystem::exists(socket) || std::filesystem::exists("/tmp/.X" + std::to_string(number) + "-lock")) {
      continue;
    }
    auto process = std::make_unique<ChildProcess>(
        "/usr/bin/Xvfb", std::vector<std::string>{":" + std::to_string(number), "-screen", "0", screen, "-nolisten", "tcp"},
        dir);
    for (int i = 0; i < 100 && !std::filesystem::exists(socket); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (std::filesystem::exists(socket)) {
      xvfb.process = std::move(process);
      xvfb.display = ":" + std::to_string(number);
    }
  }
  return xvfb;
}

}  // namespace safedesk::testing
