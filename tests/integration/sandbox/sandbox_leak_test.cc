// Ten start/stop cycles through the real helper leave no process, mount, veth, network
// namespace or file behind, checked from the host; closing the helper removes the rest.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
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

bool RdpAccepts(std::uint16_t n) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(3389);
  ::inet_pton(AF_INET, ("10.77." + std::to_string(n) + ".2").c_str(), &address.sin_addr);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return ok;
}

// Processes of the desktop user (every sandbox process runs as it on the host) in a PID
// namespace other than the host's: sandbox processes, not other users of uid 65534.
int DesktopProcesses() {
  std::error_code ec;
  const auto host_ns = fs::read_symlink("/proc/self/ns/pid", ec);
  int count = 0;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    struct stat st{};
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    if (::stat(entry.path().c_str(), &st) != 0 || st.st_uid != 65534) continue;
    if (fs::read_symlink(entry.path() / "ns" / "pid", ec) != host_ns) ++count;
  }
  return count;
}

int Matching(const fs::path& dir, const std::string& prefix) {
  int count = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().filename().string().rfind(prefix, 0) == 0) ++count;
  }
  return count;
}

int MountsUnder(const fs::path& dir) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  int count = 0;
  while (std::getline(in, line)) count += line.find(dir.string()) != std::string::npos;
  return count;
}

std::string LoopbackAddresses() {
  const testing::TempDir out;
  testing::ChildProcess ip("/usr/sbin/ip", {"-o", "addr", "show", "dev", "lo"}, out.path());
  ip.Wait();
  return ip.Stdout();
}

TEST(SandboxLeakTest, TenStartStopCyclesLeaveNothingBehind) {
  ASSERT_EQ(::geteuid(), 0u);
  testing::TempDir dir;
  const fs::path dataset = testing::DatasetIn(dir);
  const int processes_before = DesktopProcesses();
  {
    auto client = SandboxClient::Start(
        {testing::ExecutablePath("safedesk-sandbox-helper"), {"--runtime-dir", (dir.path() / "run").string()}});
    ASSERT_TRUE(client.ok());
    for (int cycle = 0; cycle < 10; ++cycle) {
      const std::uint16_t n = static_cast<std::uint16_t>(1 + cycle % 3);
      ASSERT_TRUE((*client)->CreateNetwork(n).ok()) << cycle;
      LaunchParams params;
      auto sam = safedesk::sandbox::TestSamLine("u", Secret(std::string("leak-test-password")));
      params.sam_line = std::move(*sam);
      params.dataset_path = dataset.string();
      ASSERT_TRUE((*client)->Launch(n, params).ok());
      bool ready = false;
      for (int i = 0; i < 400 && !ready; ++i) {
        ready = RdpAccepts(n);
        if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      EXPECT_TRUE(ready) << "cycle " << cycle;
      ASSERT_TRUE((*client)->Destroy(n).ok());
      // At most as many as before: other sandboxes (another test winding down) may end meanwhile.
      EXPECT_LE(DesktopProcesses(), processes_before) << "cycle " << cycle;
      EXPECT_EQ(Matching("/run/netns", "sd-"), 0) << "cycle " << cycle;
      EXPECT_EQ(Matching("/sys/class/net", "sdv"), 0) << "cycle " << cycle;
      EXPECT_EQ(Matching(dir.path() / "run", "sd-"), 0) << "cycle " << cycle;
      EXPECT_EQ(MountsUnder(dir.path()), 0) << "cycle " << cycle;
    }
    EXPECT_NE(LoopbackAddresses().find("10.77.0.1/32"), std::string::npos);
  }
  // The helper, on EOF, removes the host-side setup too.
  EXPECT_EQ(LoopbackAddresses().find("10.77.0.1/32"), std::string::npos);
  const testing::TempDir out;
  testing::ChildProcess nft("/usr/sbin/nft", {"list", "tables"}, out.path());
  EXPECT_EQ(nft.Wait(), 0);
  EXPECT_EQ(nft.Stdout().find("safedesk"), std::string::npos);
}

// Ctrl-C on `make demo`, or a service manager's SIGTERM to the broker's process group,
// reaches the helper too: it must outlive the signal and still tear every sandbox down
// once the broker's socket closes, instead of dying with namespaces and veths left behind.
TEST(SandboxLeakTest, SignalsToTheHelpersGroupLeaveNothingBehindOnceTheBrokerGoes) {
  ASSERT_EQ(::geteuid(), 0u);
  testing::TempDir dir;
  const fs::path dataset = testing::DatasetIn(dir);
  {
    auto client = SandboxClient::Start(
        {testing::ExecutablePath("safedesk-sandbox-helper"), {"--runtime-dir", (dir.path() / "run").string()}});
    ASSERT_TRUE(client.ok());
    ASSERT_TRUE((*client)->CreateNetwork(1).ok());
    LaunchParams params;
    auto sam = safedesk::sandbox::TestSamLine("u", Secret(std::string("signal-test-password")));
    ASSERT_TRUE(sam.ok());
    params.sam_line = std::move(*sam);
    params.dataset_path = dataset.string();
    ASSERT_TRUE((*client)->Launch(1, params).ok());
    for (int signal : {SIGINT, SIGTERM, SIGHUP}) ASSERT_EQ(::kill((*client)->helper_pid(), signal), 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    auto running = (*client)->Running(1);
    ASSERT_TRUE(running.ok()) << "the helper died of a signal: " << running.error().message;
    EXPECT_EQ(Matching("/run/netns", "sd-"), 1);
  }  // the broker's end of the socket closes
  EXPECT_EQ(Matching("/run/netns", "sd-"), 0);
  EXPECT_EQ(Matching("/sys/class/net", "sdv"), 0);
  EXPECT_EQ(MountsUnder(dir.path()), 0);
  EXPECT_EQ(LoopbackAddresses().find("10.77.0.1/32"), std::string::npos);
}

}  // namespace
}  // namespace safedesk::sandbox
