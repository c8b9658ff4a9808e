#include "sandbox/sandbox_client.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "auth/privsep_protocol.h"

namespace safedesk::sandbox {

Result<std::unique_ptr<SandboxClient>> SandboxClient::Start(const ClientOptions& options) {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    return MakeError(Errc::kUnavailable, "socketpair failed");
  }
  // The child's end loses CLOEXEC through dup2 onto fd 3.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pair[1], 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<std::string> args = {options.helper.string(), "--fd", "3"};
  args.insert(args.end(), options.arguments.begin(), options.arguments.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  char* env[] = {const_cast<char*>("PATH=/usr/sbin:/usr/bin:/sbin:/bin"), nullptr};
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), env);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(pair[1]);
  if (rc != 0) {
    ::close(pair[0]);
    return MakeError(Errc::kUnavailable, "cannot start the sandbox helper: " + std::string(std::strerror(rc)));
  }
  return std::unique_ptr<SandboxClient>(new SandboxClient(pair[0], pid, options.timeout));
}

SandboxClient::~SandboxClient() {
  ::close(fd_);
  // The helper tears down every sandbox on EOF; give it time, then make sure.
  for (int i = 0; i < 3000; ++i) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) return;
    ::usleep(10'000);
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

Result<Answer> SandboxClient::Call(const Secret& frame) {
  std::lock_guard lock(mu_);
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  SAFEDESK_TRY(auth::privsep::WriteAll(fd_, frame.bytes(), deadline));
  auto body = auth::privsep::ReadFrame(fd_, kMaxAnswerBody, deadline);
  if (!body) return body.error();
  auto answer = DecodeAnswer(body->bytes());
  if (!answer) return answer.error();
  if (answer->code != 0) {
    const int code = answer->code;
    const Errc errc = code >= 1 && code <= static_cast<int>(Errc::kInternal) ? static_cast<Errc>(code) : Errc::kInternal;
    return MakeError(errc, "sandbox helper: " + answer->message);
  }
  return answer;
}

Result<void> SandboxClient::CreateNetwork(std::uint16_t n) {
  auto frame = EncodeRequest(Request::kCreateNetwork, n);
  if (!frame) return frame.error();
  SAFEDESK_TRY(Call(*frame));
  return Ok();
}

Result<pid_t> SandboxClient::Launch(std::uint16_t n, const LaunchParams& params) {
  auto frame = EncodeRequest(Request::kLaunch, n, &params);
  if (!frame) return frame.error();
  auto answer = Call(*frame);
  if (!answer) return answer.error();
  return static_cast<pid_t>(answer->value);
}

Result<bool> SandboxClient::Running(std::uint16_t n) {
  auto frame = EncodeRequest(Request::kStatus, n);
  if (!frame) return frame.error();
  auto answer = Call(*frame);
  if (!answer) return answer.error();
  return answer->value == 1;
}

Result<void> SandboxClient::Destroy(std::uint16_t n) {
  auto frame = EncodeRequest(Request::kDestroy, n);
  if (!frame) return frame.error();
  SAFEDESK_TRY(Call(*frame));
  return Ok();
}

Result<void> SandboxClient::Sweep() {
  auto frame = EncodeRequest(Request::kSweep, 0);
  if (!frame) return frame.error();
  SAFEDESK_TRY(Call(*frame));
  return Ok();
}

}  // namespace safedesk::sandbox
