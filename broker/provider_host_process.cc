#include "broker/provider_host_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "common/encoding.h"
#include "common/log.h"

namespace safedesk::broker {
namespace {

namespace fs = std::filesystem;

// 24 random bytes: 192 bits, beyond any online or offline guessing of an NT hash.
constexpr std::size_t kPasswordBytes = 24;
// Displays are picked at random from a range above the ones desktops and CI tools
// usually take (:0, :99), so that side-by-side starters rarely meet; when they do, the
// X lock file makes one Xvfb exit and Probe tries another number.
constexpr int kFirstDisplay = 200;
constexpr int kDisplayRange = 800;
constexpr int kMaxXvfbLaunches = 4;

// OpenSSL 3 keeps MD4 in the legacy provider; a private library context loads it without
// making legacy algorithms available to the rest of the process.
const EVP_MD* Md4() {
  static const EVP_MD* md = [] {
    OSSL_LIB_CTX* ctx = OSSL_LIB_CTX_new();
    if (ctx == nullptr || OSSL_PROVIDER_load(ctx, "legacy") == nullptr) return static_cast<EVP_MD*>(nullptr);
    return EVP_MD_fetch(ctx, "MD4", nullptr);
  }();
  return md;
}

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int Release() { return std::exchange(fd_, -1); }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

sockaddr_in LoopbackAddress(const std::string& host, std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  ::inet_pton(AF_INET, host.c_str(), &address.sin_addr);
  return address;
}

// A port nobody listens on now. The RDP server binds it a moment later; if someone else
// got there first, the server exits and Probe reports the desktop failed.
Result<std::uint16_t> FreePort(const std::string& host) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address = LoopbackAddress(host, 0);
  socklen_t length = sizeof(address);
  if (fd.get() < 0 || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return MakeError(Errc::kUnavailable, "no free port on " + host);
  }
  return ntohs(address.sin_port);
}

// Loopback connects complete or fail at once, so this does not block.
bool PortAccepts(const RdpEndpoint& endpoint) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const sockaddr_in address = LoopbackAddress(endpoint.host, endpoint.port);
  return fd.get() >= 0 && ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
}

fs::path DisplaySocket(int display) { return "/tmp/.X11-unix/X" + std::to_string(display); }

bool DisplayTaken(int display) {
  std::error_code ec;
  return fs::exists("/tmp/.X" + std::to_string(display) + "-lock", ec) || fs::exists(DisplaySocket(display), ec);
}

// True once an X server accepts connections on the display's socket (local: immediate).
bool DisplayAccepts(int display) {
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string path = DisplaySocket(display).string();
  std::memcpy(address.sun_path, path.c_str(), std::min(path.size(), sizeof(address.sun_path) - 1));
  return fd.get() >= 0 && ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
}

struct SpawnRequest {
  std::vector<std::string> argv;
  std::vector<std::string> env;
  fs::path log_file;
};

// posix_spawn, not fork: the broker is multi-threaded. The child gets only stdio,
// default signal handling (the broker blocks SIGTERM for its waiter) and its own
// process group.
Result<pid_t> Spawn(const SpawnRequest& request) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, request.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  std::vector<char*> argv, env;
  for (const auto& a : request.argv) argv.push_back(const_cast<char*>(a.c_str()));
  for (const auto& e : request.env) env.push_back(const_cast<char*>(e.c_str()));
  argv.push_back(nullptr);
  env.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return MakeError(Errc::kUnavailable, "cannot start " + request.argv[0] + ": " + std::strerror(rc));
  return pid;
}

// True once `pid` has exited (and reaps it).
bool Exited(pid_t pid) {
  int status = 0;
  return pid > 0 && ::waitpid(pid, &status, WNOHANG) == pid;
}

void KillAndReap(pid_t pid, std::chrono::milliseconds grace) {
  if (pid <= 0) return;
  ::kill(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (Exited(pid)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  log::Main()->warn("pid {} ignored SIGTERM for {} ms; killing it", pid, grace.count());
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
}

Result<void> WritePrivateFile(const fs::path& path, std::string_view content) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (fd.get() < 0 || ::write(fd.get(), content.data(), content.size()) != static_cast<ssize_t>(content.size())) {
    return MakeError(Errc::kIo, "cannot write " + path.string());
  }
  return Ok();
}

// The last lines a failed child wrote (its own diagnostics; no secret is ever passed to it
// but the SAM file's path).
std::string LogTail(const fs::path& file) {
  constexpr std::size_t kTailBytes = 600;
  Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return "(no log)";
  const off_t size = ::lseek(fd.get(), 0, SEEK_END);
  const off_t from = size > static_cast<off_t>(kTailBytes) ? size - static_cast<off_t>(kTailBytes) : 0;
  std::string tail(static_cast<std::size_t>(size - from), '\0');
  const ssize_t n = ::pread(fd.get(), tail.data(), tail.size(), from);
  tail.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  for (char& c : tail) {
    if (c == '\n') c = '|';
  }
  return tail;
}

}  // namespace

struct HostProcessProvider::Desktop {
  DesktopInfo info;
  fs::path dir;
  pid_t xvfb = 0;
  pid_t rdp = 0;
  int width = 0;
  int height = 0;
  int display = -1;
  bool display_ready = false;
  int xvfb_launches = 0;
  bool failed = false;
};

Result<Secret> SamFileLine(std::string_view user, const Secret& password) {
  const EVP_MD* md4 = Md4();
  if (md4 == nullptr) return MakeError(Errc::kUnavailable, "MD4 unavailable (OpenSSL legacy provider)");
  Secret utf16 = Secret::OfSize(password.size() * 2);
  for (std::size_t i = 0; i < password.size(); ++i) {
    if (password.bytes()[i] >= 0x80) return MakeError(Errc::kInvalidArgument, "password must be ASCII");
    utf16.mutable_bytes()[2 * i] = password.bytes()[i];
  }
  Secret hash = Secret::OfSize(16);
  unsigned int length = 0;
  if (EVP_Digest(utf16.bytes().data(), utf16.size(), hash.mutable_bytes().data(), &length, md4, nullptr) != 1) {
    return MakeError(Errc::kInternal, "MD4 failed");
  }
  std::string line = std::string(user) + ":::" + HexEncode(hash.bytes()) + ":::\n";
  Secret out(line);
  WipeBytes(line.data(), line.size());
  return out;
}

HostProcessProvider::HostProcessProvider(HostProcessOptions options, Random& random)
    : options_(std::move(options)), random_(random) {}

HostProcessProvider::~HostProcessProvider() {
  std::lock_guard lock(mu_);
  for (auto& [id, desktop] : desktops_) Destroy(*desktop);
}

Result<DesktopHandle> HostProcessProvider::Start(const DesktopSpec& spec) {
  {
    std::lock_guard lock(mu_);
    if (desktops_.size() >= options_.max_desktops) return MakeError(Errc::kLimitExceeded, "host desktop limit reached");
  }
  auto id_bytes = random_.Bytes(8);
  auto password_bytes = random_.Bytes(kPasswordBytes);
  auto port = FreePort(options_.bind_host);
  if (!id_bytes || !password_bytes) return MakeError(Errc::kUnavailable, "no randomness for a desktop");
  if (!port) return port.error();
  auto desktop = std::make_unique<Desktop>();
  desktop->info = {"host-" + HexEncode(*id_bytes), spec.session_id, spec.project, {options_.bind_host, *port}, {}};
  desktop->dir = options_.runtime_dir / ("desktop-" + desktop->info.id);
  DesktopHandle handle{desktop->info.id, desktop->info.endpoint, options_.username,
                       Secret(Base64UrlEncode(*password_bytes))};
  WipeBytes(password_bytes->data(), password_bytes->size());
  if (auto prepared = PrepareDirectory(*desktop, handle.password); !prepared) return prepared.error();
  desktop->width = spec.width;
  desktop->height = spec.height;
  if (auto launched = LaunchXvfb(*desktop); !launched) {
    Destroy(*desktop);
    return launched.error();
  }
  log::Main()->info("desktop {}: Xvfb pid {} for session {}", desktop->info.id, desktop->xvfb, spec.session_id);
  std::lock_guard lock(mu_);
  desktops_[desktop->info.id] = std::move(desktop);
  return handle;
}

Result<void> HostProcessProvider::PrepareDirectory(Desktop& desktop, const Secret& password) {
  std::error_code ec;
  fs::create_directories(options_.runtime_dir, ec);
  if (!fs::create_directory(desktop.dir, ec) || ec) return MakeError(Errc::kIo, "cannot create " + desktop.dir.string());
  fs::permissions(desktop.dir, fs::perms::owner_all, ec);
  auto sam = SamFileLine(options_.username, password);
  Result<void> written = sam ? WritePrivateFile(desktop.dir / "sam", sam->reveal()) : Result<void>(sam.error());
  if (!written) fs::remove_all(desktop.dir, ec);
  return written;
}

Result<void> HostProcessProvider::LaunchXvfb(Desktop& desktop) {
  ++desktop.xvfb_launches;
  auto draw = random_.Bytes(4);
  if (!draw) return draw.error();
  int display = kFirstDisplay + static_cast<int>(((*draw)[0] << 8 | (*draw)[1]) % kDisplayRange);
  for (int tries = 0; DisplayTaken(display) && tries < kDisplayRange; ++tries) {
    display = kFirstDisplay + (display - kFirstDisplay + 1) % kDisplayRange;
  }
  const std::string screen = std::to_string(desktop.width) + "x" + std::to_string(desktop.height) + "x24";
  auto xvfb = Spawn({{options_.xvfb.string(), ":" + std::to_string(display), "-screen", "0", screen, "-nolisten", "tcp",
                      // An X server resets when its last client leaves; Probe's connect is
                      // such a client, and a reset drops the RDP server's connection.
                      "-noreset"},
                     {"PATH=/usr/bin:/bin", "HOME=" + desktop.dir.string()},
                     desktop.dir / "xvfb.log"});
  if (!xvfb) return xvfb.error();
  desktop.xvfb = *xvfb;
  desktop.display = display;
  return Ok();
}

Result<void> HostProcessProvider::LaunchRdpServer(Desktop& desktop) {
  const std::string dir = desktop.dir.string();
  // stdbuf -oL: the server logs through stdio, which a file would hold back until exit.
  auto rdp = Spawn({{"/usr/bin/stdbuf", "-oL", options_.rdp_server.string(), "/bind-address:" + options_.bind_host,
                     "/port:" + std::to_string(desktop.info.endpoint.port), "/sec:nla", "/sam-file:" + dir + "/sam"},
                    // The server makes its TLS certificate under XDG_CONFIG_HOME: keep it in
                    // the desktop's directory so Stop wipes it. At INFO its log names the
                    // channels each client asked for ("Accepted channels:"), which is how an
                    // operator (and the gateway's tests) see that no clipboard or drive
                    // channel was ever requested.
                    {"PATH=/usr/bin:/bin", "HOME=" + dir, "XDG_CONFIG_HOME=" + dir, "WLOG_LEVEL=INFO",
                     "DISPLAY=:" + std::to_string(desktop.display)},
                    desktop.dir / "rdp.log"});
  if (!rdp) return rdp.error();
  desktop.rdp = *rdp;
  log::Main()->info("desktop {}: RDP server pid {} on {}", desktop.info.id, desktop.rdp,
                    desktop.info.endpoint.ToString());
  return Ok();
}

Result<DesktopState> HostProcessProvider::Probe(const std::string& id) {
  std::lock_guard lock(mu_);
  const auto found = desktops_.find(id);
  if (found == desktops_.end()) return MakeError(Errc::kNotFound, "no desktop " + id);
  Desktop& desktop = *found->second;
  if (!desktop.failed && Exited(desktop.xvfb)) OnXvfbExit(desktop);
  if (!desktop.failed && Exited(desktop.rdp)) {
    // The directory goes with Stop: keep the reason in the broker's log.
    log::Main()->warn("desktop {}: the RDP server exited early: {}", id, LogTail(desktop.dir / "rdp.log"));
    desktop.rdp = 0;  // reaped
    desktop.failed = true;
  }
  if (!desktop.failed && !desktop.display_ready && DisplayAccepts(desktop.display)) {
    desktop.display_ready = true;
    if (!LaunchRdpServer(desktop).ok()) desktop.failed = true;
  }
  if (desktop.failed) return DesktopState::kFailed;
  if (desktop.rdp == 0) return DesktopState::kStarting;
  return PortAccepts(desktop.info.endpoint) ? DesktopState::kReady : DesktopState::kStarting;
}

// Before its display is up, an exiting Xvfb most likely lost the display to another
// starter: try another number, a few times. After, the desktop has failed.
void HostProcessProvider::OnXvfbExit(Desktop& desktop) {
  log::Main()->warn("desktop {}: Xvfb on :{} exited: {}", desktop.info.id, desktop.display,
                    LogTail(desktop.dir / "xvfb.log"));
  desktop.xvfb = 0;  // reaped
  if (desktop.display_ready || desktop.xvfb_launches >= kMaxXvfbLaunches || !LaunchXvfb(desktop).ok()) {
    desktop.failed = true;
  }
}

Result<void> HostProcessProvider::Stop(const std::string& id) {
  std::unique_ptr<Desktop> desktop;
  {
    std::lock_guard lock(mu_);
    const auto found = desktops_.find(id);
    if (found == desktops_.end()) return MakeError(Errc::kNotFound, "no desktop " + id);
    desktop = std::move(found->second);
    desktops_.erase(found);
  }
  Destroy(*desktop);
  log::Main()->info("desktop {}: stopped and wiped", id);
  return Ok();
}

// The RDP server first: it is the X client, and must not outlive its display.
void HostProcessProvider::Destroy(Desktop& desktop) {
  KillAndReap(desktop.rdp, options_.stop_grace);
  KillAndReap(desktop.xvfb, options_.stop_grace);
  desktop.rdp = desktop.xvfb = 0;
  std::error_code ec;
  fs::remove_all(desktop.dir, ec);
  if (ec) log::Main()->warn("desktop {}: cannot remove {}: {}", desktop.info.id, desktop.dir.string(), ec.message());
}

std::vector<DesktopInfo> HostProcessProvider::List() const {
  std::lock_guard lock(mu_);
  std::vector<DesktopInfo> out;
  for (const auto& [id, desktop] : desktops_) {
    out.push_back(desktop->info);
    if (desktop->display >= 0) out.back().display = ":" + std::to_string(desktop->display);
  }
  return out;
}

}  // namespace safedesk::broker
