// HostProcessProvider against the real Xvfb and freerdp-shadow-cli: a desktop comes up,
// accepts TCP on its RDP port, and is gone (processes, port, files) after Stop.
#include "broker/provider_host_process.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <fstream>
#include <sstream>

#include "common/random.h"
#include "tests/testing/test_support.h"

namespace safedesk::broker {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;

bool Connects(const RdpEndpoint& endpoint) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(endpoint.port);
  ::inet_pton(AF_INET, endpoint.host.c_str(), &address.sin_addr);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return ok;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class HostProcessProviderTest : public ::testing::Test {
 protected:
  HostProcessOptions Options() {
    HostProcessOptions options;
    options.runtime_dir = dir_.path() / "desktops";
    return options;
  }
  DesktopSpec Spec() {
    DesktopSpec spec;
    spec.session_id = "s-test";
    spec.project = "genomics";
    spec.width = 800;
    spec.height = 600;
    spec.gateway_address = "127.0.0.1:8444";
    return spec;
  }
  Result<void> WaitReady(DesktopProvider& provider, const std::string& id) {
    asio::io_context io;
    auto done = asio::co_spawn(io, WaitUntilReady(provider, id), asio::use_future);
    io.run();
    return done.get();
  }

  testing::TempDir dir_;
  OsRandom random_;
};

TEST_F(HostProcessProviderTest, StartsARealRdpDesktopAndWipesItOnStop) {
  HostProcessProvider provider(Options(), random_);
  auto handle = provider.Start(Spec());
  ASSERT_TRUE(handle.ok()) << handle.error().message;
  ASSERT_TRUE(WaitReady(provider, handle->id).ok());
  EXPECT_TRUE(Connects(handle->endpoint));
  EXPECT_EQ(handle->endpoint.host, "127.0.0.1");
  ASSERT_EQ(provider.List().size(), 1u);
  EXPECT_EQ(provider.List()[0].session_id, "s-test");

  const fs::path desktop_dir = Options().runtime_dir / ("desktop-" + handle->id);
  ASSERT_TRUE(fs::is_directory(desktop_dir));
  struct stat info {};
  ASSERT_EQ(::stat((desktop_dir / "sam").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  const std::string sam = ReadFile(desktop_dir / "sam");
  EXPECT_EQ(sam.rfind(handle->username + ":::", 0), 0u);
  EXPECT_EQ(sam.find(handle->password.reveal()), std::string::npos) << "the SAM file holds only the hash";

  ASSERT_TRUE(provider.Stop(handle->id).ok());
  EXPECT_FALSE(Connects(handle->endpoint));
  EXPECT_FALSE(fs::exists(desktop_dir));
  EXPECT_TRUE(provider.List().empty());
}

TEST_F(HostProcessProviderTest, EachDesktopHasItsOwnPortAndPassword) {
  HostProcessProvider provider(Options(), random_);
  auto first = provider.Start(Spec());
  auto second = provider.Start(Spec());
  ASSERT_TRUE(first.ok() && second.ok());
  ASSERT_TRUE(WaitReady(provider, first->id).ok());
  ASSERT_TRUE(WaitReady(provider, second->id).ok());
  EXPECT_NE(first->endpoint.port, second->endpoint.port);
  EXPECT_FALSE(first->password.Equals(second->password.bytes()));
  EXPECT_GE(first->password.size(), 32u);
  ASSERT_TRUE(provider.Stop(first->id).ok());
  EXPECT_TRUE(Connects(second->endpoint)) << "stopping one desktop leaves the other running";
  ASSERT_TRUE(provider.Stop(second->id).ok());
}

TEST_F(HostProcessProviderTest, DestructorStopsWhatIsLeft) {
  RdpEndpoint endpoint;
  {
    HostProcessProvider provider(Options(), random_);
    auto handle = provider.Start(Spec());
    ASSERT_TRUE(handle.ok());
    ASSERT_TRUE(WaitReady(provider, handle->id).ok());
    endpoint = handle->endpoint;
  }
  EXPECT_FALSE(Connects(endpoint));
  EXPECT_TRUE(fs::is_empty(Options().runtime_dir));
}

TEST_F(HostProcessProviderTest, AMissingServerBinaryFailsInsteadOfPretending) {
  HostProcessOptions options = Options();
  options.rdp_server = dir_.path() / "no-such-rdp-server";
  HostProcessProvider provider(options, random_);
  auto handle = provider.Start(Spec());
  ASSERT_TRUE(handle.ok()) << "Xvfb starts; the RDP server is launched once the display is up";
  auto ready = WaitReady(provider, handle->id);
  ASSERT_FALSE(ready.ok());
  EXPECT_EQ(ready.error().code, Errc::kUnavailable);
  ASSERT_TRUE(provider.Stop(handle->id).ok());
  EXPECT_TRUE(fs::is_empty(options.runtime_dir));
}

TEST_F(HostProcessProviderTest, StopOfAnUnknownDesktopIsNotFound) {
  HostProcessProvider provider(Options(), random_);
  auto stopped = provider.Stop("host-0000");
  ASSERT_FALSE(stopped.ok());
  EXPECT_EQ(stopped.error().code, Errc::kNotFound);
}

TEST_F(HostProcessProviderTest, RefusesDesktopsBeyondItsCap) {
  HostProcessOptions options = Options();
  options.max_desktops = 1;
  HostProcessProvider provider(options, random_);
  auto first = provider.Start(Spec());
  ASSERT_TRUE(first.ok());
  auto second = provider.Start(Spec());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, Errc::kLimitExceeded);
}

// The same line `winpr-hash -u alice -p 'Secr3t!' -f sam` prints.
TEST(SamFileLineTest, MatchesWinprHash) {
  auto line = SamFileLine("alice", Secret(std::string_view("Secr3t!")));
  ASSERT_TRUE(line.ok()) << line.error().message;
  EXPECT_EQ(line->reveal(), "alice:::50a0bac757f5dc5faec745d20c01be08:::\n");
}

}  // namespace
}  // namespace safedesk::broker
