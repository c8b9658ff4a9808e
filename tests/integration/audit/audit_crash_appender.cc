// Appends to an audit log in a loop and, after each Append returns, writes
// "<seq> <run> <i>\n" to standard output: the parent (audit_crash_test.cc) kills this
// process at random moments and then checks that every line it read names a record that
// is in the file.
//
// Usage: audit_crash_appender LOG KEY_PEM CHECKPOINT_EVERY RUN
// Exit: 0 after the bounded loop and a clean close, 2 for bad use, 3 for a log error.

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/audit_log.h"
#include "common/clock.h"
#include "common/crypto.h"

namespace {

// Bounds a run that is never killed, so a broken parent cannot fill the disk.
constexpr std::int64_t kMaxAppends = 20000;

bool WriteLine(const std::string& line) {
  // One write() of less than PIPE_BUF bytes reaches the pipe whole or not at all.
  return ::write(STDOUT_FILENO, line.data(), line.size()) == static_cast<ssize_t>(line.size());
}

int Run(const char* path, const char* key_path, std::int64_t checkpoint_every, std::int64_t run) {
  auto key = safedesk::Ed25519PrivateKey::LoadPemFile(key_path);
  if (!key) {
    std::fprintf(stderr, "appender: %s\n", key.error().message.c_str());
    return 3;
  }
  safedesk::AuditLogOptions options;
  options.checkpoint_every = checkpoint_every;
  auto log = safedesk::AuditLog::Open(path, std::move(*key), options, safedesk::SystemClock());
  if (!log) {
    std::fprintf(stderr, "appender: %s\n", log.error().message.c_str());
    return 3;
  }
  for (std::int64_t i = 0; i < kMaxAppends; ++i) {
    auto seq = (*log)->AppendWithSeq(safedesk::AuditEvent{"test.append", "", {{"run", run}, {"i", i}}});
    if (!seq) {
      std::fprintf(stderr, "appender: %s\n", seq.error().message.c_str());
      return 3;
    }
    if (!WriteLine(std::to_string(*seq) + " " + std::to_string(run) + " " + std::to_string(i) + "\n")) return 3;
  }
  return (*log)->Close().ok() ? 0 : 3;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: audit_crash_appender LOG KEY_PEM CHECKPOINT_EVERY RUN\n");
    return 2;
  }
  return Run(argv[1], argv[2], std::atoll(argv[3]), std::atoll(argv[4]));
}
