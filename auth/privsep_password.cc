#include "auth/privsep_password.h"

#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "auth/privsep_protocol.h"
#include "common/log.h"

extern char** environ;

namespace safedesk::auth {
namespace {

using SteadyClock = std::chrono::steady_clock;

// The helper's end of the socketpair is always this fd in the child.
constexpr int kHelperFd = 3;

// Starts one helper on the child end of a fresh socketpair; the parent's end and the pid.
Result<std::pair<int, pid_t>> SpawnOne(const HelperOptions& options) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    return MakeError(Errc::kIo, std::string("socketpair: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // dup2 onto kHelperFd clears close-on-exec there; every other descriptor of ours is
  // close-on-exec or closed by the helper at start (close_range).
  posix_spawn_file_actions_adddup2(&actions, fds[1], kHelperFd);
  const std::string fd_arg = std::to_string(kHelperFd);
  std::vector<char*> argv = {const_cast<char*>(options.helper_path.c_str()),
                             const_cast<char*>("--service"),
                             const_cast<char*>(options.service.c_str()),
                             const_cast<char*>("--fd"),
                             const_cast<char*>(fd_arg.c_str()),
                             nullptr};
  pid_t pid = 0;
  const int rc =
      posix_spawn(&pid, options.helper_path.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    return MakeError(Errc::kUnavailable,
                     "cannot start " + options.helper_path + ": " + std::strerror(rc));
  }
  return std::pair{fds[0], pid};
}

// Ends a helper whose connection is no longer usable; its state is unknown.
void Reap(int fd, pid_t pid, bool kill_first) {
  if (fd >= 0) close(fd);
  if (pid <= 0) return;
  if (kill_first) kill(pid, SIGKILL);
  while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

Result<std::unique_ptr<HelperPasswordVerifier>> HelperPasswordVerifier::Spawn(
    const HelperOptions& options) {
  std::vector<Connection> connections;
  for (std::size_t i = 0; i < options.connections; ++i) {
    auto spawned = SpawnOne(options);
    if (!spawned.ok()) {
      for (auto& c : connections) Reap(c.fd, c.pid, true);
      return spawned.error();
    }
    connections.push_back(Connection{spawned->first, spawned->second, false});
  }
  return std::unique_ptr<HelperPasswordVerifier>(
      new HelperPasswordVerifier(std::move(connections), options.timeout));
}

HelperPasswordVerifier::HelperPasswordVerifier(std::vector<Connection> connections,
                                               std::chrono::milliseconds timeout)
    : timeout_(timeout), connections_(std::move(connections)) {}

HelperPasswordVerifier::~HelperPasswordVerifier() {
  // Closing first lets every helper see EOF and exit; a helper still inside PAM finishes
  // its call (bounded by PAM's own delays) before noticing.
  for (auto& c : connections_) {
    if (c.fd >= 0) close(c.fd);
    c.fd = -1;
  }
  for (auto& c : connections_) Reap(-1, c.pid, false);
}

std::vector<pid_t> HelperPasswordVerifier::helper_pids() const {
  std::lock_guard lock(mu_);
  std::vector<pid_t> pids;
  for (const auto& c : connections_) pids.push_back(c.pid);
  return pids;
}

PasswordOutcome HelperPasswordVerifier::Verify(std::string_view user, Secret password,
                                               std::string_view source_address) {
  if (auto refused = PrecheckPasswordRequest(user, password, source_address)) return *refused;
  const auto deadline = SteadyClock::now() + timeout_;
  const int index = Acquire(deadline);
  if (index < 0) {
    log::Main()->error("auth helper: no working helper connection");
    return PasswordOutcome::kUnavailable;
  }
  auto answer = Exchange(connections_[static_cast<std::size_t>(index)].fd, user, password,
                         source_address, deadline);
  password.Wipe();
  Release(index, !answer.ok());
  if (!answer.ok()) {
    log::Main()->error("auth helper: {}", answer.error().message);
    return PasswordOutcome::kUnavailable;
  }
  // The helper keeps no lockout state; a locked_out from it would be a protocol error.
  if (*answer == PasswordOutcome::kLockedOut) return PasswordOutcome::kUnavailable;
  return *answer;
}

int HelperPasswordVerifier::Acquire(SteadyClock::time_point deadline) {
  std::unique_lock lock(mu_);
  for (;;) {
    bool any_alive = false;
    for (std::size_t i = 0; i < connections_.size(); ++i) {
      if (connections_[i].fd < 0) continue;
      any_alive = true;
      if (!connections_[i].busy) {
        connections_[i].busy = true;
        return static_cast<int>(i);
      }
    }
    if (!any_alive) return -1;
    if (released_.wait_until(lock, deadline) == std::cv_status::timeout) return -1;
  }
}

void HelperPasswordVerifier::Release(int index, bool broken) {
  Connection dead;
  {
    std::lock_guard lock(mu_);
    Connection& c = connections_[static_cast<std::size_t>(index)];
    c.busy = false;
    if (broken) {
      dead = c;
      c.fd = -1;
      c.pid = 0;
    }
  }
  released_.notify_all();
  // After a timeout or garbage the stream is out of step: nothing on it can be trusted.
  if (broken) Reap(dead.fd, dead.pid, true);
}

Result<PasswordOutcome> HelperPasswordVerifier::Exchange(int fd, std::string_view user,
                                                         const Secret& password,
                                                         std::string_view source,
                                                         SteadyClock::time_point deadline) {
  auto frame = privsep::EncodeAuthPassword(user, password, source);
  if (!frame.ok()) return frame.error();
  SAFEDESK_TRY(privsep::WriteAll(fd, frame->bytes(), deadline));
  frame->Wipe();
  auto body = privsep::ReadFrame(fd, privsep::kAnswerBody, deadline);
  if (!body.ok()) return body.error();
  return privsep::DecodeAnswer(body->bytes());
}

}  // namespace safedesk::auth
