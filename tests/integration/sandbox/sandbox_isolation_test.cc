// Isolation of a sandbox desktop, checked from inside (nsenter as the desktop user) and
// from the host, through the real safedesk-sandbox-helper.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "tests/integration/sandbox/sam_line.h"
#include "tests/integration/sandbox/sandbox_test_setup.h"
#include "sandbox/sandbox_client.h"
#include "tests/testing/child_process.h"
#include "tests/testing/test_support.h"

namespace safedesk::sandbox {
namespace {

namespace fs = std::filesystem;
using safedesk::testing::ExecutablePath;
using safedesk::testing::TempDir;

constexpr std::uint16_t kRdpPort = 3389;
constexpr const char* kUser = "researcher";
constexpr const char* kPassword = "Sandbox-test-credential-7f3a9c";  // a test-only value

struct Outcome {
  int status = -1;
  std::string output;
};

// Runs argv (no shell) with `input` on stdin; output and error merged; bounded by timeout.
Outcome RunCommand(std::vector<std::string> argv, const std::string& input = "",
                   std::chrono::seconds timeout = std::chrono::seconds(20), std::vector<std::string> env = {}) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) return {};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(out[1], 2);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    for (auto& e : env) ::putenv(e.data());
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  if (!input.empty()) (void)!::write(in[1], input.data(), input.size());
  ::close(in[1]);
  ::fcntl(out[0], F_SETFL, O_NONBLOCK);
  Outcome outcome;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  bool done = false;
  while (!done) {
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(out[0], buffer, sizeof(buffer))) > 0) outcome.output.append(buffer, n);
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      done = true;
      while ((n = ::read(out[0], buffer, sizeof(buffer))) > 0) outcome.output.append(buffer, n);
    } else if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      outcome.output += "(timed out)";
      ::close(out[0]);
      return outcome;
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ::close(out[0]);
  outcome.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return outcome;
}

bool TcpConnects(const std::string& host, std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  ::inet_pton(AF_INET, host.c_str(), &address.sin_addr);
  timeval tv{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return ok;
}

// A TCP listener on the host, on all addresses, for reachability checks.
class Listener {
 public:
  Listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    socklen_t length = sizeof(address);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    ::listen(fd_, 16);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~Listener() { ::close(fd_); }
  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

std::vector<pid_t> Children(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  std::vector<pid_t> out;
  pid_t child;
  while (in >> child) out.push_back(child);
  return out;
}

std::string HostAddress() {
  // The host's own address on its uplink, from the kernel's view of its routes.
  const Outcome route = RunCommand({"/usr/sbin/ip", "-4", "-o", "addr", "show", "scope", "global"});
  std::istringstream lines(route.output);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.find("sd") != std::string::npos) continue;  // the sandboxes' own addresses
    const auto inet = line.find("inet ");
    if (inet == std::string::npos) continue;
    const auto start = inet + 5;
    return line.substr(start, line.find('/', start) - start);
  }
  return "";
}

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "the sandbox helper needs root";
    dataset_ = testing::DatasetIn(dir_);
    std::ofstream(dataset_ / "table.csv") << "a,b\n1,2\n";
    ::chmod((dataset_ / "table.csv").c_str(), 0644);
    auto client = SandboxClient::Start({ExecutablePath("safedesk-sandbox-helper"),
                                        {"--runtime-dir", (dir_.path() / "run").string(), "--agent-feed-port",
                                         std::to_string(feed_.port()), "--registration-port",
                                         std::to_string(registration_.port())}});
    ASSERT_TRUE(client.ok()) << client.error().message;
    client_ = std::move(*client);
  }

  // Starts sandbox n and waits until its RDP port accepts from the host.
  pid_t StartDesktop(std::uint16_t n) {
    // Without the sandbox's veth, 10.77.n.2 would follow the host's default route: never
    // probe a sandbox whose network is not there.
    const bool network = client_->CreateNetwork(n).ok();
    EXPECT_TRUE(network);
    if (!network) return -1;
    LaunchParams params;
    params.width = 1024;
    params.height = 768;
    auto sam = safedesk::sandbox::TestSamLine(kUser, Secret(std::string(kPassword)));
    EXPECT_TRUE(sam.ok());
    params.sam_line = std::move(*sam);
    params.dataset_path = dataset_.string();
    auto pid = client_->Launch(n, params);
    EXPECT_TRUE(pid.ok()) << (pid.ok() ? "" : pid.error().message);
    if (!pid.ok()) return -1;
    for (int i = 0; i < 400 && !TcpConnects(Address(n), kRdpPort); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_TRUE(TcpConnects(Address(n), kRdpPort)) << ReadLog(n);
    return pid.ok() ? *pid : -1;
  }

  static std::string Address(std::uint16_t n) { return "10.77." + std::to_string(n) + ".2"; }
  std::string ReadLog(std::uint16_t n) const {
    return safedesk::testing::ReadFileText(dir_.path() / "run" / ("sd-" + std::to_string(n)) / "desktop.log");
  }

  // Runs a bash command inside the sandbox whose outer bwrap is `outer`, in all its
  // namespaces but the user one, as the desktop's unprivileged host uid.
  Outcome InSandbox(pid_t outer, const std::string& command) {
    const auto inner = Children(outer);
    if (inner.empty()) return {-1, "no sandbox init"};
    return RunCommand({"/usr/bin/nsenter", "-t", std::to_string(inner.front()), "-n", "-m", "-p", "-i", "-u",
                       "-S", "65534", "-G", "65534", "/usr/bin/timeout", "5", "/usr/bin/bash", "-c", command});
  }

  TempDir dir_;
  fs::path dataset_;
  Listener feed_;
  Listener registration_;
  std::unique_ptr<SandboxClient> client_;
};

TEST_F(SandboxTest, RdpLoginFromTheHostWorksWithTheCredential) {
  StartDesktop(1);
  // xfreerdp needs an X display even to authenticate only.
  // A display number from this process's id, away from the ones CI and desktops take.
  const std::string display = ":" + std::to_string(1000 + ::getpid() % 1000);
  testing::ChildProcess xvfb("/usr/bin/Xvfb", {display, "-screen", "0", "640x480x24", "-nolisten", "tcp"}, dir_.path());
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const std::vector<std::string> env = {"DISPLAY=" + display, "HOME=" + dir_.path().string()};
  const auto login = [&](const std::string& password) {
    return RunCommand({"/usr/bin/xfreerdp", "/v:" + Address(1) + ":3389", std::string("/u:") + kUser,
                       "/from-stdin:force", "/sec:nla", "/cert:ignore", "/auth-only"},
                      password + "\n", std::chrono::seconds(20), env);
  };
  const Outcome good = login(kPassword);
  EXPECT_EQ(good.status, 0) << good.output;
  const Outcome bad = login("wrong-password");
  EXPECT_NE(bad.status, 0) << bad.output;
}

TEST_F(SandboxTest, HasNoRouteToHostAddressesButTheGateway) {
  const pid_t pid = StartDesktop(1);
  const Outcome routes = InSandbox(pid, "ip route");
  EXPECT_EQ(routes.output.find("default"), std::string::npos) << routes.output;
  const std::string host = HostAddress();
  ASSERT_FALSE(host.empty());
  const Outcome uplink = InSandbox(pid, "exec 3<>/dev/tcp/" + host + "/" + std::to_string(feed_.port()));
  EXPECT_NE(uplink.status, 0);
  EXPECT_NE(uplink.output.find("unreachable"), std::string::npos) << uplink.output;
  // The host end of the veth pair is routed but filtered.
  const Outcome veth = InSandbox(pid, "exec 3<>/dev/tcp/10.77.1.1/" + std::to_string(feed_.port()));
  EXPECT_NE(veth.status, 0) << veth.output;
  // The gateway address on the agent feed and registration ports is the one way out.
  EXPECT_EQ(InSandbox(pid, "exec 3<>/dev/tcp/10.77.0.1/" + std::to_string(feed_.port())).status, 0);
  EXPECT_EQ(InSandbox(pid, "exec 3<>/dev/tcp/10.77.0.1/" + std::to_string(registration_.port())).status, 0);
  Listener other;
  EXPECT_NE(InSandbox(pid, "exec 3<>/dev/tcp/10.77.0.1/" + std::to_string(other.port())).status, 0);
}

TEST_F(SandboxTest, HasNoDns) {
  const pid_t pid = StartDesktop(1);
  const Outcome lookup = InSandbox(pid, "getent ahosts debian.org");
  EXPECT_NE(lookup.status, 0) << lookup.output;
}

TEST_F(SandboxTest, CannotWriteTheDataset) {
  const pid_t pid = StartDesktop(1);
  EXPECT_EQ(InSandbox(pid, "cat /data/table.csv").output, "a,b\n1,2\n");
  const Outcome write = InSandbox(pid, "echo x > /data/new.csv");
  EXPECT_NE(write.status, 0);
  EXPECT_NE(write.output.find("Read-only"), std::string::npos) << write.output;
  EXPECT_FALSE(fs::exists(dataset_ / "new.csv"));
}

TEST_F(SandboxTest, HasOnlyAMinimalDev) {
  const pid_t pid = StartDesktop(1);
  const Outcome dev = InSandbox(pid, "ls /dev");
  EXPECT_EQ(dev.output.find("fuse"), std::string::npos) << dev.output;
  EXPECT_EQ(dev.output.find("vda"), std::string::npos) << dev.output;
  EXPECT_EQ(dev.output.find("loop"), std::string::npos) << dev.output;
}

TEST_F(SandboxTest, HomeIsGoneAfterStop) {
  pid_t pid = StartDesktop(1);
  ASSERT_EQ(InSandbox(pid, "echo notes > /home/researcher/notes.txt && cat /home/researcher/notes.txt").output,
            "notes\n");
  ASSERT_TRUE(client_->Destroy(1).ok());
  EXPECT_NE(::kill(pid, 0), 0);
  EXPECT_FALSE(fs::exists(dir_.path() / "run" / "sd-1"));
  pid = StartDesktop(1);
  EXPECT_NE(InSandbox(pid, "cat /home/researcher/notes.txt").status, 0);
}

TEST_F(SandboxTest, AnotherSandboxCannotReachTheRdpPort) {
  StartDesktop(1);
  const pid_t other = StartDesktop(2);
  const Outcome reach = InSandbox(other, "exec 3<>/dev/tcp/10.77.1.2/3389");
  EXPECT_NE(reach.status, 0) << reach.output;
}

TEST_F(SandboxTest, ACrashedDesktopIsReportedStopped) {
  const pid_t pid = StartDesktop(1);
  ASSERT_TRUE(client_->Running(1).ok());
  EXPECT_TRUE(*client_->Running(1));
  InSandbox(pid, "pkill -KILL -x Xvfb");
  bool running = true;
  for (int i = 0; i < 200 && running; ++i) {
    running = *client_->Running(1);
    if (running) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_FALSE(running);
}

}  // namespace
}  // namespace safedesk::sandbox
