#include "sandbox/sandbox_helper.h"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <thread>
#include <vector>

#include "auth/privsep_protocol.h"

namespace safedesk::sandbox {
namespace {

namespace fs = std::filesystem;

constexpr const char* kGatewayLabel = "lo:sdgw";
constexpr const char* kNftTable = "safedesk";
constexpr auto kCommandTimeout = std::chrono::seconds(10);
constexpr auto kKillTimeout = std::chrono::seconds(5);

std::string Netns(std::uint16_t n) { return "sd-" + std::to_string(n); }
std::string HostLink(std::uint16_t n) { return "sdv" + std::to_string(n); }

bool WaitPid(pid_t pid, std::chrono::steady_clock::duration timeout, int* status) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (::waitpid(pid, status, WNOHANG) == pid) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

// Runs a fixed tool (ip, nft) without a shell; its output goes to /dev/null.
Result<void> Run(std::vector<std::string> argv) {
  const pid_t pid = ::fork();
  if (pid < 0) return MakeError(Errc::kUnavailable, "fork failed");
  if (pid == 0) {
    const int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::close_range(3, ~0U, 0);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    char* env[] = {const_cast<char*>("PATH=/usr/sbin:/usr/bin"), nullptr};
    ::execve(args[0], args.data(), env);
    ::_exit(127);
  }
  int status = 0;
  if (!WaitPid(pid, kCommandTimeout, &status)) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    return MakeError(Errc::kUnavailable, argv[0] + " timed out");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string cmd;
    for (const auto& a : argv) cmd += a + " ";
    return MakeError(Errc::kUnavailable, "failed: " + cmd);
  }
  return Ok();
}

// The desktop's init, run by bash inside the sandbox as the desktop user. Arguments:
// $1 width $2 height $3 RDP address $4 RDP port $5 agent path or "". Any of its
// children exiting ends the desktop (wait -n), which the provider sees as a crash.
constexpr const char* kDesktopInit = R"(
w=$1; h=$2; addr=$3; port=$4; agent=$5
export XDG_CONFIG_HOME=$HOME/.config XDG_RUNTIME_DIR=/tmp/run
mkdir -p "$XDG_CONFIG_HOME" "$XDG_RUNTIME_DIR"
mkdir -m 1777 /tmp/.X11-unix
Xvfb :0 -screen 0 "${w}x${h}x24" -nolisten tcp -noreset &
i=0
while [ ! -S /tmp/.X11-unix/X0 ] && [ $i -lt 400 ]; do sleep 0.025; i=$((i+1)); done
export DISPLAY=:0
openbox &
# INFO: the server's log names the channels each client asked for.
WLOG_LEVEL=INFO stdbuf -oL freerdp-shadow-cli "/bind-address:$addr" "/port:$port" /sec:nla /sam-file:/run/safedesk/sam &
if [ -n "$agent" ]; then "$agent" --config /run/safedesk/agent.toml & fi
wait -n
echo "desktop: a child exited; ending the desktop"
)";

bool WriteFile(const fs::path& path, std::string_view content, mode_t mode, uid_t uid, gid_t gid) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return false;
  const bool ok = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) &&
                  ::fchown(fd, uid, gid) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

SandboxHelper::SandboxHelper(HelperOptions options) : options_(std::move(options)) {}

SandboxHelper::~SandboxHelper() {
  while (!desktops_.empty()) Destroy(desktops_.begin()->first);
  Sweep();
}

std::string SandboxHelper::Address(std::uint16_t n, int host) const {
  return options_.net_prefix + "." + std::to_string(n) + "." + std::to_string(host);
}

Result<void> SandboxHelper::EnsureHost() {
  if (host_ready_) return Ok();
  std::error_code ec;
  fs::create_directories(options_.runtime_dir, ec);
  // 0711: the unprivileged bwrap must traverse it to bind a sandbox's private directory.
  fs::permissions(options_.runtime_dir, fs::perms(0711), ec);
  const std::string gateway = Address(0, 1);
  // On loopback, labelled: a dummy link would do as well, but not every kernel has the
  // module (this test machine's does not).
  SAFEDESK_TRY(Run({"/usr/sbin/ip", "addr", "add", gateway + "/32", "dev", "lo", "label", kGatewayLabel}));
  const std::string ports =
      std::to_string(options_.agent_feed_port) + ", " + std::to_string(options_.registration_port);
  const std::string rules =
      "table inet " + std::string(kNftTable) +
      " {\n"
      " chain input { type filter hook input priority -10; policy accept;\n"
      "  iifname \"sdv*\" ct state established,related accept\n"
      "  iifname \"sdv*\" ip daddr " + gateway + " tcp dport { " + ports + " } ct state new accept\n"
      "  iifname \"sdv*\" drop\n }\n"
      " chain forward { type filter hook forward priority -10; policy accept;\n"
      "  iifname \"sdv*\" drop\n  oifname \"sdv*\" drop\n }\n}\n";
  const fs::path file = options_.runtime_dir / "nft.rules";
  fs::remove(file, ec);
  if (!WriteFile(file, rules, 0600, 0, 0)) return MakeError(Errc::kIo, "cannot write " + file.string());
  auto loaded = Run({"/usr/sbin/nft", "-f", file.string()});
  fs::remove(file, ec);
  SAFEDESK_TRY(loaded);
  host_ready_ = true;
  return Ok();
}

Result<void> SandboxHelper::CreateNetwork(std::uint16_t n) {
  if (n == 0) return MakeError(Errc::kInvalidArgument, "sandbox 0 is the gateway's");
  SAFEDESK_TRY(EnsureHost());
  const std::string ns = Netns(n), link = HostLink(n);
  auto made = [&]() -> Result<void> {
    SAFEDESK_TRY(Run({"/usr/sbin/ip", "netns", "add", ns}));
    SAFEDESK_TRY(Run({"/usr/sbin/ip", "link", "add", link, "type", "veth", "peer", "name", "eth0", "netns", ns}));
    SAFEDESK_TRY(Run({"/usr/sbin/ip", "addr", "add", Address(n, 1) + "/30", "dev", link}));
    SAFEDESK_TRY(Run({"/usr/sbin/ip", "link", "set", link, "up"}));
    SAFEDESK_TRY(Run({"/usr/sbin/ip", "-n", ns, "link", "set", "lo", "up"}));
    SAFEDESK_TRY(Run({"/usr/sbin/ip", "-n", ns, "addr", "add", Address(n, 2) + "/30", "dev", "eth0"}));
    SAFEDESK_TRY(Run({"/usr/sbin/ip", "-n", ns, "link", "set", "eth0", "up"}));
    // The one route out: the gateway's address. No default route.
    return Run({"/usr/sbin/ip", "-n", ns, "route", "add", Address(0, 1) + "/32", "via", Address(n, 1), "dev", "eth0"});
  }();
  if (!made) Destroy(n);
  return made;
}

Result<pid_t> SandboxHelper::Launch(std::uint16_t n, const LaunchParams& params) {
  if (desktops_.count(n) != 0) return MakeError(Errc::kAlreadyExists, "sandbox already launched");
  if (params.width < 64 || params.width > 8192 || params.height < 64 || params.height > 8192) {
    return MakeError(Errc::kInvalidArgument, "desktop size out of range");
  }
  const fs::path dataset = params.dataset_path;
  std::error_code ec;
  if (!dataset.is_absolute() || !fs::is_directory(dataset, ec)) {
    return MakeError(Errc::kInvalidArgument, "dataset path must be an existing absolute directory");
  }
  const fs::path dir = options_.runtime_dir / Netns(n);
  const fs::path priv = dir / "private";
  const uid_t uid = options_.desktop_uid;
  const gid_t gid = options_.desktop_gid;
  fs::remove_all(dir, ec);
  if (!fs::create_directories(priv, ec)) return MakeError(Errc::kIo, "cannot create " + priv.string());
  fs::permissions(dir, fs::perms(0711), ec);
  if (::chown(priv.c_str(), uid, gid) != 0 || ::chmod(priv.c_str(), 0500) != 0 ||
      !WriteFile(priv / "sam", params.sam_line.reveal(), 0400, uid, gid) ||
      (!params.agent_config.empty() && !WriteFile(priv / "agent.toml", params.agent_config, 0400, uid, gid)) ||
      (!params.agent_cert.empty() && !WriteFile(priv / "agent.crt", params.agent_cert, 0400, uid, gid)) ||
      (!params.agent_key.empty() && !WriteFile(priv / "agent.key", params.agent_key.reveal(), 0400, uid, gid)) ||
      (!params.agent_ca.empty() && !WriteFile(priv / "ca.crt", params.agent_ca, 0400, uid, gid))) {
    return MakeError(Errc::kIo, "cannot write the desktop's private files");
  }
  const int netns = ::open(("/run/netns/" + Netns(n)).c_str(), O_RDONLY | O_CLOEXEC);
  if (netns < 0) return MakeError(Errc::kNotFound, "no network for sandbox " + std::to_string(n));
  const int log = ::open((dir / "desktop.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  const std::string agent = options_.agent.empty() || params.agent_config.empty() ? "" : options_.agent.string();
  std::vector<std::string> argv = {
      "/usr/bin/bwrap", "--unshare-user", "--uid", "1000", "--gid", "1000", "--unshare-pid", "--unshare-ipc",
      "--unshare-uts", "--unshare-cgroup-try", "--hostname", "desktop", "--die-with-parent", "--new-session",
      "--cap-drop", "ALL", "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin",
      "/sbin", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--ro-bind", "/etc", "/etc",
      "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/home", "--dir", "/home/researcher",
      "--ro-bind", dataset.string(), "/data", "--ro-bind", priv.string(), "/run/safedesk", "--chdir",
      "/home/researcher", "/usr/bin/bash", "-c", kDesktopInit, "desktop-init", std::to_string(params.width),
      std::to_string(params.height), Address(n, 2), std::to_string(options_.rdp_port), agent};
  if (!agent.empty()) {
    // The agent binary sits outside /usr in a build tree: bind it read-only where it is,
    // after the tmpfs mounts (a build tree under /tmp would be hidden by them).
    const auto chdir = std::find(argv.begin(), argv.end(), std::string("--chdir"));
    argv.insert(chdir, {"--ro-bind", agent, agent});
  }
  const pid_t pid = ::fork();
  if (pid < 0) return MakeError(Errc::kUnavailable, "fork failed");
  if (pid == 0) {
    const int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    ::dup2(log, 1);
    ::dup2(log, 2);
    if (::setns(netns, CLONE_NEWNET) != 0) ::_exit(126);
    // Lets the unprivileged RDP server bind 3389 in this namespace only.
    if (int f = ::open("/proc/sys/net/ipv4/ip_unprivileged_port_start", O_WRONLY); f >= 0) {
      (void)!::write(f, "0", 1);
      ::close(f);
    }
    ::close_range(3, ~0U, 0);
    if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) ::_exit(126);
    ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    char* env[] = {const_cast<char*>("PATH=/usr/bin:/bin"), const_cast<char*>("HOME=/home/researcher"),
                   const_cast<char*>("LANG=C.UTF-8"), nullptr};
    ::execve(args[0], args.data(), env);
    ::_exit(127);
  }
  ::close(netns);
  if (log >= 0) ::close(log);
  desktops_[n] = pid;
  return pid;
}

bool SandboxHelper::Running(std::uint16_t n) {
  const auto found = desktops_.find(n);
  if (found == desktops_.end() || found->second <= 0) return false;
  int status = 0;
  if (::waitpid(found->second, &status, WNOHANG) == found->second) found->second = 0;
  return found->second > 0;
}

void SandboxHelper::Destroy(std::uint16_t n) {
  if (const auto found = desktops_.find(n); found != desktops_.end()) {
    // Killing the outer bwrap kills its pid 1 (--die-with-parent), and with it every
    // process of the sandbox's PID namespace.
    if (found->second > 0) {
      // Its pid 1 too, directly, and wait until it is gone: after that the kernel has
      // killed the whole namespace, so Destroy answers only once nothing is left.
      std::vector<pid_t> inner;
      std::ifstream children("/proc/" + std::to_string(found->second) + "/task/" + std::to_string(found->second) +
                             "/children");
      for (pid_t child; children >> child;) inner.push_back(child);
      for (const pid_t child : inner) ::kill(child, SIGKILL);
      ::kill(found->second, SIGKILL);
      int status = 0;
      WaitPid(found->second, kKillTimeout, &status);
      const auto deadline = std::chrono::steady_clock::now() + kKillTimeout;
      for (const pid_t child : inner) {
        while (::kill(child, 0) == 0 && std::chrono::steady_clock::now() < deadline) {
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
      }
    }
    desktops_.erase(found);
  }
  (void)Run({"/usr/sbin/ip", "netns", "del", Netns(n)});
  (void)Run({"/usr/sbin/ip", "link", "del", HostLink(n)});
  std::error_code ec;
  fs::remove_all(options_.runtime_dir / Netns(n), ec);
}

void SandboxHelper::Sweep() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/run/netns", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("sd-", 0) == 0) (void)Run({"/usr/sbin/ip", "netns", "del", name});
  }
  for (const auto& entry : fs::directory_iterator("/sys/class/net", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("sdv", 0) == 0) (void)Run({"/usr/sbin/ip", "link", "del", name});
  }
  for (const auto& entry : fs::directory_iterator(options_.runtime_dir, ec)) {
    if (entry.path().filename().string().rfind("sd-", 0) == 0) fs::remove_all(entry.path(), ec);
  }
  (void)Run({"/usr/sbin/ip", "addr", "del", Address(0, 1) + "/32", "dev", "lo"});
  (void)Run({"/usr/sbin/nft", "delete", "table", "inet", kNftTable});
  host_ready_ = false;
}

Answer SandboxHelper::Handle(DecodedRequest& request) {
  auto from = [](const Result<void>& r) {
    return r ? Answer{} : Answer{static_cast<std::uint8_t>(r.error().code), 0, r.error().message};
  };
  switch (request.type) {
    case Request::kCreateNetwork:
      return from(CreateNetwork(request.sandbox));
    case Request::kLaunch: {
      auto pid = Launch(request.sandbox, request.launch);
      request.launch.sam_line.Wipe();
      request.launch.agent_key.Wipe();
      if (!pid) return {static_cast<std::uint8_t>(pid.error().code), 0, pid.error().message};
      return {0, static_cast<std::uint32_t>(*pid), ""};
    }
    case Request::kStatus:
      return {0, Running(request.sandbox) ? 1u : 0u, ""};
    case Request::kDestroy:
      Destroy(request.sandbox);
      return {};
    case Request::kSweep:
      while (!desktops_.empty()) Destroy(desktops_.begin()->first);
      Sweep();
      return {};
  }
  return {static_cast<std::uint8_t>(Errc::kInvalidArgument), 0, "unknown request"};
}

int SandboxHelper::Serve(int fd) {
  while (true) {
    auto frame = auth::privsep::ReadFrame(fd, kMaxRequestBody, std::nullopt);
    if (!frame) return frame.error().code == Errc::kUnavailable ? 0 : 1;
    auto request = DecodeRequest(frame->bytes());
    frame->Wipe();
    if (!request) return 1;
    const std::string answer = EncodeAnswer(Handle(*request));
    if (!auth::privsep::WriteAll(fd, {reinterpret_cast<const std::uint8_t*>(answer.data()), answer.size()}, std::nullopt)) {
      return 0;
    }
  }
}

}  // namespace safedesk::sandbox
