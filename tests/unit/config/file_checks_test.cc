#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <string>

#include "config/loader.h"
#include "tests/testing/test_support.h"

namespace safedesk::config {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// A config file in `dir` whose [audit] names `key_file`; loaded, so positions are real.
Config LoadWithAuditKey(const testing::TempDir& dir, const std::string& key_file) {
  const std::string file =
      dir.Write("safedesk.toml", "[audit]\nsigning_key = \"" + key_file + "\"\n");
  LoadResult result = Load(file);
  EXPECT_TRUE(result.ok());
  return result.config.value_or(Config{});
}

TEST(CheckFilesTest, KeyReadableByOthersNamesTheModeAndChmod) {
  testing::TempDir dir;
  dir.Write("audit.pem", "key", 0644);
  const auto diagnostics = CheckFiles(LoadWithAuditKey(dir, "audit.pem"), Component::kBroker);
  ASSERT_THAT(diagnostics, SizeIs(1));
  const std::string text = diagnostics[0].ToString();
  EXPECT_THAT(text, HasSubstr("safedesk.toml:2:15: audit.signing_key: "));
  EXPECT_THAT(text, HasSubstr("mode 0644"));
  EXPECT_THAT(text, HasSubstr("chmod 600"));
}

TEST(CheckFilesTest, KeyReadableByGroupIsAnErrorToo) {
  testing::TempDir dir;
  dir.Write("audit.pem", "key", 0640);
  EXPECT_THAT(CheckFiles(LoadWithAuditKey(dir, "audit.pem"), Component::kBroker), SizeIs(1));
}

TEST(CheckFilesTest, PrivateKeyWithMode600Passes) {
  testing::TempDir dir;
  dir.Write("audit.pem", "key", 0600);
  EXPECT_THAT(CheckFiles(LoadWithAuditKey(dir, "audit.pem"), Component::kBroker), IsEmpty());
}

TEST(CheckFilesTest, MissingKeyFileIsAnError) {
  testing::TempDir dir;
  const auto diagnostics = CheckFiles(LoadWithAuditKey(dir, "absent.pem"), Component::kBroker);
  ASSERT_THAT(diagnostics, SizeIs(1));
  EXPECT_THAT(diagnostics[0].ToString(),
              HasSubstr("safedesk.toml:2:15: audit.signing_key: expected an existing file, found "
                        "none at"));
}

TEST(CheckFilesTest, DirectoryIsNotAKeyFile) {
  testing::TempDir dir;
  std::filesystem::create_directory(dir.path() / "keys");
  const auto diagnostics = CheckFiles(LoadWithAuditKey(dir, "keys"), Component::kBroker);
  ASSERT_THAT(diagnostics, SizeIs(1));
  EXPECT_THAT(diagnostics[0].message, HasSubstr("expected a regular file, found a directory"));
}

TEST(CheckFilesTest, OnlyTheFilesOfTheStartingComponentAreChecked) {
  testing::TempDir dir;
  const Config config = LoadWithAuditKey(dir, "absent.pem");
  EXPECT_THAT(CheckFiles(config, Component::kGateway), IsEmpty());
  EXPECT_THAT(CheckFiles(config, Component::kAgent), IsEmpty());
  EXPECT_THAT(CheckFiles(config, Component::kCtl), SizeIs(1));
}

TEST(CheckFilesTest, CertificatesMustExistButMayBeReadable) {
  testing::TempDir dir;
  dir.Write("gw.crt", "cert", 0644);
  const std::string file =
      dir.Write("safedesk.toml", "[gateway]\ntls_cert = \"gw.crt\"\nca_cert = \"ca.crt\"\n");
  LoadResult result = Load(file);
  ASSERT_TRUE(result.ok());
  const auto diagnostics = CheckFiles(*result.config, Component::kGateway);
  ASSERT_THAT(diagnostics, SizeIs(1));
  EXPECT_EQ(diagnostics[0].key, "gateway.ca_cert");
}

TEST(CheckFilesTest, UnconfiguredFilesAreNotChecked) {
  const Config config = Defaults("/nonexistent");
  for (Component c :
       {Component::kBroker, Component::kGateway, Component::kAgent, Component::kCtl}) {
    EXPECT_THAT(CheckFiles(config, c), IsEmpty()) << ComponentName(c);
  }
}

TEST(CheckFilesTest, ViciSocketIsCheckedOnlyWhenTheVpnIsRequired) {
  testing::TempDir dir;
  const std::string off = dir.Write("off.toml", "[auth]\nvici_socket = \"charon.vici\"\n");
  EXPECT_THAT(CheckFiles(*Load(off).config, Component::kBroker), IsEmpty());
  const std::string on = dir.Write(
      "on.toml",
      "[auth]\nvici_socket = \"charon.vici\"\nvpn_required = true\nvpn_pool = [\"10.9.0.0/16\"]\n");
  const auto diagnostics = CheckFiles(*Load(on).config, Component::kBroker);
  ASSERT_THAT(diagnostics, SizeIs(1));
  EXPECT_EQ(diagnostics[0].key, "auth.vici_socket");
}

TEST(CheckFilesTest, ViciSocketThatExistsPasses) {
  testing::TempDir dir;
  const std::string socket_path = (dir.path() / "charon.vici").string();
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  ASSERT_LT(socket_path.size(), sizeof(address.sun_path));
  socket_path.copy(address.sun_path, socket_path.size());
  ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0);
  const std::string file = dir.Write(
      "on.toml",
      "[auth]\nvici_socket = \"charon.vici\"\nvpn_required = true\nvpn_pool = [\"10.9.0.0/16\"]\n");
  EXPECT_THAT(CheckFiles(*Load(file).config, Component::kBroker), IsEmpty());
  ::close(fd);
}

}  // namespace
}  // namespace safedesk::config
