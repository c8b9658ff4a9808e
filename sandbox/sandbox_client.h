#pragma once
// The unprivileged side of SANDBOX_PROTOCOL.md: starts safedesk-sandbox-helper (while
// root) on a socketpair and sends it requests, one at a time.

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.h"
#include "sandbox/sandbox_protocol.h"

namespace safedesk::sandbox {

struct ClientOptions {
  std::filesystem::path helper;       // the safedesk-sandbox-helper executable
  std::vector<std::string> arguments; // its options after --fd (see sandbox_helper_main.cc)
  std::chrono::milliseconds timeout{30'000};
};

class SandboxClient {
 public:
  static Result<std::unique_ptr<SandboxClient>> Start(const ClientOptions& options);
  ~SandboxClient();  // closes the socket: the helper removes everything and exits
  SandboxClient(const SandboxClient&) = delete;
  SandboxClient& operator=(const SandboxClient&) = delete;

  Result<void> CreateNetwork(std::uint16_t n);
  Result<pid_t> Launch(std::uint16_t n, const LaunchParams& params);  // the outer bwrap pid
  Result<bool> Running(std::uint16_t n);
  Result<void> Destroy(std::uint16_t n);
  Result<void> Sweep();
  pid_t helper_pid() const { return pid_; }

 private:
  SandboxClient(int fd, pid_t pid, std::chrono::milliseconds timeout) : fd_(fd), pid_(pid), timeout_(timeout) {}
  Result<Answer> Call(const Secret& frame);

  std::mutex mu_;
  int fd_;
  pid_t pid_;
  std::chrono::milliseconds timeout_;
};

}  // namespace safedesk::sandbox
