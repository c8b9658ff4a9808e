// agent/lockdown.h against fixture /proc trees (the proc root is injectable).
#include "agent/lockdown.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/testing/test_support.h"

namespace safedesk::agent {
namespace {

namespace fs = std::filesystem;

constexpr const char* kRouteHeader =
    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";

class FakeProc {
 public:
  const fs::path& root() const { return dir_.path(); }
  void Process(int pid, const std::string& comm, const std::vector<std::string>& argv) {
    std::string cmdline;
    for (const std::string& arg : argv) cmdline += arg + '\0';
    File(std::to_string(pid) + "/comm", comm + "\n");
    File(std::to_string(pid) + "/cmdline", cmdline);
  }
  void File(const std::string& name, const std::string& content) {
    const fs::path path = dir_.path() / name;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
  }
  void Routes(const std::string& lines) { File("net/route", std::string(kRouteHeader) + lines); }

 private:
  testing::TempDir dir_;
};

std::vector<config::Cidr> Peers(std::initializer_list<const char*> texts) {
  std::vector<config::Cidr> out;
  for (const char* text : texts) out.push_back(*config::ParseCidr(text));
  return out;
}

TEST(LockdownClipboardTest, NoBridgeProcessPasses) {
  FakeProc proc;
  proc.Process(1, "init", {"/sbin/init"});
  proc.Process(42, "xterm", {"xterm", "-T", "notes"});
  EXPECT_TRUE(CheckClipboardBridge(proc.root()).empty());
}

TEST(LockdownClipboardTest, XclipByPathFails) {
  FakeProc proc;
  proc.Process(42, "xclip", {"/usr/bin/xclip", "-selection", "clipboard"});
  const auto failures = CheckClipboardBridge(proc.root());
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].check, kCheckClipboardBridge);
}

TEST(LockdownClipboardTest, TruncatedCommOfALongBridgeNameFails) {
  FakeProc proc;
  proc.Process(7, "vmware-user-sui", {});  // no cmdline readable: comm alone decides
  EXPECT_EQ(CheckClipboardBridge(proc.root()).size(), 1u);
}

TEST(LockdownClipboardTest, NameThatOnlyContainsABridgeNamePasses) {
  FakeProc proc;
  proc.Process(9, "my-xclip-notes", {"/opt/my-xclip-notes"});
  EXPECT_TRUE(CheckClipboardBridge(proc.root()).empty());
}

TEST(LockdownRdpTest, ShadowServerAsTheProviderStartsItPasses) {
  FakeProc proc;
  proc.Process(30, "freerdp-shadow-", {"/usr/bin/freerdp-shadow-cli", "/bind-address:127.0.0.1", "/port:3390",
                                       "/sec:nla", "/sam-file:/run/d/sam"});
  EXPECT_TRUE(CheckRdpChannels(proc.root()).empty());
}

TEST(LockdownRdpTest, ShadowServerWithClipboardOptionFails) {
  FakeProc proc;
  proc.Process(30, "freerdp-shadow-", {"freerdp-shadow-cli", "/port:3390", "+clipboard"});
  const auto failures = CheckRdpChannels(proc.root());
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].check, kCheckRdpChannels);
}

TEST(LockdownRdpTest, ShadowServerWithDriveRedirectionFails) {
  FakeProc proc;
  proc.Process(30, "freerdp-shadow-", {"freerdp-shadow-cli", "/drive:home,/home"});
  EXPECT_EQ(CheckRdpChannels(proc.root()).size(), 1u);
}

TEST(LockdownRdpTest, XrdpChannelServerFails) {
  FakeProc proc;
  proc.Process(31, "xrdp-chansrv", {"/usr/sbin/xrdp-chansrv"});
  EXPECT_EQ(CheckRdpChannels(proc.root()).size(), 1u);
}

TEST(LockdownRoutesTest, OnLinkRouteOnlyPasses) {
  FakeProc proc;
  // 10.200.0.0/24 dev veth0, no gateway.
  proc.Routes("veth0\t0000C80A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n");
  EXPECT_TRUE(CheckRoutes(proc.root(), {}).empty());
}

TEST(LockdownRoutesTest, DefaultRouteFails) {
  FakeProc proc;
  proc.Routes("eth0\t00000000\t0100A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n");
  const auto failures = CheckRoutes(proc.root(), Peers({"192.168.0.0/16"}));
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].check, kCheckRoutes);
}

TEST(LockdownRoutesTest, GatewayRouteInsideAllowedPeersPasses) {
  FakeProc proc;
  // 10.9.0.0/16 via 10.200.0.1.
  proc.Routes("veth0\t0000090A\t0100C80A\t0003\t0\t0\t0\t0000FFFF\t0\t0\t0\n");
  EXPECT_TRUE(CheckRoutes(proc.root(), Peers({"10.9.0.0/16"})).empty());
}

TEST(LockdownRoutesTest, GatewayRouteWiderThanAllowedPeersFails) {
  FakeProc proc;
  // 10.0.0.0/8 via 10.200.0.1, but only 10.9.0.0/16 is allowed.
  proc.Routes("veth0\t0000000A\t0100C80A\t0003\t0\t0\t0\t000000FF\t0\t0\t0\n");
  EXPECT_EQ(CheckRoutes(proc.root(), Peers({"10.9.0.0/16"})).size(), 1u);
}

TEST(LockdownRoutesTest, Ipv6DefaultRouteFails) {
  FakeProc proc;
  proc.Routes("");
  proc.File("net/ipv6_route",
            "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
            "fe800000000000000000000000000001 00000400 00000001 00000000 00000003 eth0\n");
  EXPECT_EQ(CheckRoutes(proc.root(), {}).size(), 1u);
}

TEST(LockdownRoutesTest, Ipv6LoopbackRejectRoutesPass) {
  FakeProc proc;
  proc.Routes("");
  proc.File("net/ipv6_route",
            "00000000000000000000000000000001 80 00000000000000000000000000000000 00 "
            "00000000000000000000000000000000 00000000 00000002 00000000 80200001       lo\n"
            "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
            "00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n");
  EXPECT_TRUE(CheckRoutes(proc.root(), {}).empty());
}

TEST(LockdownRoutesTest, MissingRouteTableFails) {
  FakeProc proc;
  EXPECT_EQ(CheckRoutes(proc.root(), {}).size(), 1u);
}

constexpr const char* kMounts =
    "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
    "40 22 8:2 / /data rw,relatime shared:2 - ext4 /dev/sda2 rw\n"
    "41 40 8:3 / /data/set\\040one ro,nosuid,relatime shared:3 - ext4 /dev/sda3 ro\n";

TEST(LockdownDatasetTest, ReadOnlyMountPasses) {
  FakeProc proc;
  proc.File("self/mountinfo", kMounts);
  EXPECT_TRUE(CheckDatasetReadOnly(proc.root(), "/data/set one").empty());
}

TEST(LockdownDatasetTest, PathBelowAReadOnlyMountPasses) {
  FakeProc proc;
  proc.File("self/mountinfo", kMounts);
  EXPECT_TRUE(CheckDatasetReadOnly(proc.root(), "/data/set one/cases/").empty());
}

TEST(LockdownDatasetTest, WritableMountFails) {
  FakeProc proc;
  proc.File("self/mountinfo", kMounts);
  const auto failures = CheckDatasetReadOnly(proc.root(), "/data/other");
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].check, kCheckDatasetReadOnly);
}

TEST(LockdownDatasetTest, SiblingWithCommonPrefixIsNotCoveredByTheReadOnlyMount) {
  FakeProc proc;
  proc.File("self/mountinfo", kMounts);
  EXPECT_EQ(CheckDatasetReadOnly(proc.root(), "/data/set onex").size(), 1u);
}

TEST(LockdownDatasetTest, LaterOvermountDecides) {
  FakeProc proc;
  proc.File("self/mountinfo", std::string(kMounts) + "50 41 0:5 / /data/set\\040one rw - tmpfs tmpfs rw\n");
  EXPECT_EQ(CheckDatasetReadOnly(proc.root(), "/data/set one").size(), 1u);
}

TEST(LockdownDatasetTest, NoDatasetPathSkipsTheCheck) {
  FakeProc proc;
  EXPECT_TRUE(CheckDatasetReadOnly(proc.root(), "").empty());
}

TEST(LockdownTest, RunCollectsEveryCheck) {
  FakeProc proc;
  proc.Process(5, "xsel", {"xsel"});
  proc.Routes("eth0\t00000000\t0100A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n");
  proc.File("self/mountinfo", kMounts);
  const auto failures = RunLockdownChecks({proc.root(), "/data/other", {}});
  ASSERT_EQ(failures.size(), 3u);
  EXPECT_EQ(failures[0].check, kCheckClipboardBridge);
  EXPECT_EQ(failures[1].check, kCheckRoutes);
  EXPECT_EQ(failures[2].check, kCheckDatasetReadOnly);
}

}  // namespace
}  // namespace safedesk::agent
