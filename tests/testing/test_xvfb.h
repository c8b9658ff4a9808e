#pragma once
// An Xvfb for a test, on a display number no other test (or parallel test process) holds.

#include <filesystem>
#include <memory>
#include <string>

#include "tests/testing/child_process.h"

namespace safedesk::testing {

struct TestXvfb {
  std::unique_ptr<ChildProcess> process;  // null when no Xvfb came up
  std::string display;                    // ":N"
};

// Starts Xvfb with `screen` (WxHxD) on a free display between :200 and :899 and waits
// (bounded, 5 s per try, 20 tries) until its socket accepts clients. Stop it with SIGTERM
// so it removes its lock file and socket.
TestXvfb StartTestXvfb(const std::filesystem::path& dir, const std::string& screen = "1024x768x24");

}  // namespace safedesk::testing
