#pragma once
// Reads processes from a /proc tree (injectable root, so tests feed fixture trees) and
// reports the ones that appeared since the last poll, with their arguments shaped by
// agent.process_args before they leave the desktop.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "config/config.h"

namespace safedesk::agent {

struct ProcessInfo {
  int pid = 0;
  std::string comm;               // /proc/<pid>/comm (the kernel truncates it to 15 bytes)
  std::vector<std::string> argv;  // /proc/<pid>/cmdline; empty for kernel threads
};

// Every process under `proc_root` whose cmdline is readable, by ascending pid. Processes
// that vanish while being read are skipped.
std::vector<ProcessInfo> ListProcesses(const std::filesystem::path& proc_root);

// A started process as the broker gets it (API.md: process.started).
struct ProcessReport {
  std::string exe;   // argv[0]
  bool has_args = false;
  std::string args;  // per mode: SHA-256 hex of the arguments joined by NUL, or the first
                     // kMaxTruncatedArgsBytes of them joined by spaces; absent when off
};

// Truncated arguments beyond this are cut: enough to tell commands apart.
inline constexpr std::size_t kMaxTruncatedArgsBytes = 256;

ProcessReport ShapeProcess(const ProcessInfo& process, config::ProcessArgs mode);

class ProcessWatch {
 public:
  explicit ProcessWatch(std::filesystem::path proc_root) : proc_root_(std::move(proc_root)) {}

  // The processes that appeared (or exec'd a new command line) since the previous poll. The first poll only records the
  // processes already running (the desktop's own start-up) and returns none.
  std::vector<ProcessInfo> Poll();

 private:
  std::filesystem::path proc_root_;
  bool primed_ = false;
  std::map<int, std::vector<std::string>> known_;  // pid → argv at the last poll
};

}  // namespace safedesk::agent
