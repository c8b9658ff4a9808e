#include "tests/testing/test_xvfb.h"

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>
#include <vector>

namespace safedesk::testing {
namespace {

// The pid an X server wrote into its lock file (-1 if none).
pid_t LockOwner(int number) {
  std::ifstream lock("/tmp/.X" + std::to_string(number) + "-lock");
  long pid = -1;
  lock >> pid;
  return lock ? static_cast<pid_t>(pid) : -1;
}

}  // namespace

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
    // Ours only when the lock names our child: another test may have taken the same
    // number a moment earlier, and then the socket is its server's.
    auto ours = [&] { return std::filesystem::exists(socket) && LockOwner(number) == process->pid(); };
    for (int i = 0; i < 100 && !ours(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (ours()) {
      xvfb.process = std::move(process);
      xvfb.display = ":" + std::to_string(number);
    }
  }
  return xvfb;
}

}  // namespace safedesk::testing
