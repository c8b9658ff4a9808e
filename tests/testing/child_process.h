#pragma once
// Runs one of the project's executables as a child process for a test: no shell, output
// into files, stopped by PID only.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace safedesk::testing {

class ChildProcess {
 public:
  // Starts `program` with `args`; standard output and error go to files in `dir`.
  // `env` entries ("NAME=value") are added to the inherited environment.
  ChildProcess(const std::filesystem::path& program, std::vector<std::string> args,
               const std::filesystem::path& dir, const std::vector<std::string>& env = {});
  ~ChildProcess();  // SIGKILLs the child if it still runs
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int signal) const;
  // The exit status, or -1 if the child did not exit normally within `timeout`.
  int Wait(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  std::string Stdout() const;
  std::string Stderr() const;

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  std::filesystem::path out_;
  std::filesystem::path err_;
};

// The path of a built executable under <build>/bin.
std::filesystem::path ExecutablePath(const std::string& name);
// Reads a whole file ("" if absent).
std::string ReadFileText(const std::filesystem::path& file);
// Polls `file` until it contains `needle` or `timeout` passes (bounded); true if found.
bool WaitForText(const std::filesystem::path& file, const std::string& needle,
                 std::chrono::milliseconds timeout = std::chrono::seconds(20));

}  // namespace safedesk::testing
