#include "config/loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "tests/testing/test_support.h"

namespace safedesk::config {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

const std::filesystem::path kBase = "/etc/safedesk";

std::vector<Diagnostic> Errors(std::string_view toml) {
  return LoadString(toml, "test.toml", kBase).diagnostics;
}

// The one diagnostic for `toml`, formatted; fails the test when there is not exactly one.
std::string OnlyError(std::string_view toml) {
  const auto diagnostics = Errors(toml);
  EXPECT_THAT(diagnostics, SizeIs(1));
  return diagnostics.empty() ? "" : diagnostics.front().ToString();
}

Config LoadOk(std::string_view toml) {
  LoadResult result = LoadString(toml, "test.toml", kBase);
  for (const Diagnostic& d : result.diagnostics) ADD_FAILURE() << d.ToString();
  return result.config.value_or(Config{});
}

std::filesystem::path ExampleFile() {
  return testing::SourceDir() / "config" / "examples" / "safedesk.toml";
}

TEST(DiagnosticTest, FormatsFileLineColumnKeyAndMessage) {
  const Diagnostic d{"a.toml", 3, 7, "broker.listen", "expected x, found y"};
  EXPECT_EQ(d.ToString(), "a.toml:3:7: broker.listen: expected x, found y");
}

TEST(DiagnosticTest, LeavesOutUnknownParts) {
  EXPECT_EQ((Diagnostic{"a.toml", 0, 0, "", "cannot open"}).ToString(), "a.toml: cannot open");
}

TEST(LoadStringTest, EmptyFileGivesTheDefaults) {
  const Config config = LoadOk("");
  EXPECT_EQ(config.broker, Defaults(kBase).broker);
  EXPECT_EQ(config.roles, Defaults(kBase).roles);
}

TEST(LoadStringTest, UnknownKeyNamesFileLineKeyAndSuggestion) {
  EXPECT_EQ(OnlyError("[broker]\nlisen = \"127.0.0.1:1\"\n"),
            "test.toml:2:9: broker.lisen: unknown key; did you mean \"listen\"?");
}

TEST(LoadStringTest, UnknownSectionListsTheKnownOnes) {
  EXPECT_THAT(OnlyError("[sessions]\n"),
              HasSubstr("test.toml:1:1: sessions: unknown key; expected one of"));
}

TEST(LoadStringTest, WrongTypeSaysWhatWasExpectedAndFound) {
  EXPECT_EQ(OnlyError("[gateway]\njpeg_quality = \"75\"\n"),
            "test.toml:2:16: gateway.jpeg_quality: expected an integer from 1 to 100, found string "
            "\"75\"");
}

TEST(LoadStringTest, DurationGivenAsIntegerIsAWrongType) {
  EXPECT_THAT(
      OnlyError("[broker]\nread_timeout = 15\n"),
      HasSubstr(
          "broker.read_timeout: expected a duration string such as \"15m\", found integer 15"));
}

TEST(LoadStringTest, SectionThatIsNotATableIsAWrongType) {
  EXPECT_THAT(OnlyError("broker = 1\n"), HasSubstr("test.toml:1:10: broker: expected a table"));
}

TEST(LoadStringTest, MissingRequiredKeyPointsAtItsTable) {
  EXPECT_EQ(OnlyError("\n[[projects]]\nname = \"p\"\n"),
            "test.toml:2:1: projects[0].pool: required key is missing; expected the name of a "
            "[[pools]] entry");
}

TEST(LoadStringTest, BadPort) {
  EXPECT_THAT(OnlyError("[broker]\nlisten = \"127.0.0.1:70000\"\n"),
              HasSubstr("test.toml:2:10: broker.listen: expected host:port"));
}

TEST(LoadStringTest, BadDuration) {
  EXPECT_THAT(OnlyError("[auth]\nlockout_window = \"15\"\n"),
              HasSubstr("test.toml:2:18: auth.lockout_window: expected a duration such as"));
}

TEST(LoadStringTest, DurationOutOfRange) {
  EXPECT_THAT(OnlyError("[auth]\nticket_ttl = \"1h\"\n"),
              HasSubstr("auth.ticket_ttl: expected a duration from 1s to 5m, found \"1h\""));
}

TEST(LoadStringTest, BadCidrNamesTheElement) {
  EXPECT_THAT(OnlyError("[broker]\nallowed_sources = [\"127.0.0.0/8\", \"10.0.0.0/33\"]\n"),
              HasSubstr("test.toml:2:35: broker.allowed_sources[1]: expected a CIDR range"));
}

TEST(LoadStringTest, BadSize) {
  EXPECT_THAT(OnlyError("[broker]\nmax_body_bytes = \"1MB\"\n"),
              HasSubstr("broker.max_body_bytes: expected a size such as"));
}

TEST(LoadStringTest, UnknownPoolReference) {
  EXPECT_EQ(OnlyError("[[projects]]\nname = \"p\"\npool = \"gpu\"\n"),
            "test.toml:3:8: projects[0].pool: expected the name of a [[pools]] entry "
            "(\"default\"), found \"gpu\"");
}

TEST(LoadStringTest, DuplicatePoolName) {
  EXPECT_EQ(OnlyError("[[pools]]\nname = \"a\"\n[[pools]]\nname = \"a\"\n"),
            "test.toml:4:8: pools[1].name: expected a name unique among [[pools]], found \"a\" "
            "again (first at pools[0])");
}

TEST(LoadStringTest, DuplicateRoleAndProjectNames) {
  EXPECT_THAT(OnlyError("[[roles]]\nname = \"r\"\n[[roles]]\nname = \"r\"\n"),
              HasSubstr("roles[1].name: expected a name unique"));
  EXPECT_THAT(OnlyError("[[projects]]\nname = \"p\"\npool = \"default\"\n"
                        "[[projects]]\nname = \"p\"\npool = \"default\"\n"),
              HasSubstr("projects[1].name: expected a name unique"));
}

TEST(LoadStringTest, BadRegexInMaskRule) {
  EXPECT_THAT(OnlyError("[[projects]]\nname = \"p\"\npool = \"default\"\n"
                        "[[projects.mask_rules]]\ntitle = \"(x\"\n"),
              HasSubstr("test.toml:5:9: projects[0].mask_rules[0].title: expected an ECMAScript "
                        "regular expression, found \"(x\""));
}

TEST(LoadStringTest, MaskRuleNeedsClassOrTitle) {
  EXPECT_THAT(
      OnlyError("[[projects]]\nname = \"p\"\npool = \"default\"\n"
                "[[projects.mask_rules]]\ntitle = \"\"\n"),
      HasSubstr("projects[0].mask_rules[0].wm_class: expected a non-empty wm_class or title"));
}

TEST(LoadStringTest, BadEnumListsTheChoices) {
  EXPECT_THAT(OnlyError("[auth]\ntotp_algorithm = \"MD5\"\n"),
              HasSubstr("auth.totp_algorithm: expected one of \"SHA1\", \"SHA256\" or \"SHA512\", "
                        "found \"MD5\""));
}

TEST(LoadStringTest, SyntaxErrorHasItsLine) {
  const auto diagnostics = Errors("[broker]\nlisten = \n");
  ASSERT_THAT(diagnostics, SizeIs(1));
  EXPECT_EQ(diagnostics[0].line, 2);
  EXPECT_THAT(diagnostics[0].ToString(), HasSubstr("test.toml:2:"));
  EXPECT_THAT(diagnostics[0].message, HasSubstr("TOML syntax error"));
}

TEST(LoadStringTest, DuplicateKeyIsASyntaxError) {
  EXPECT_THAT(OnlyError("[log]\nlevel = \"info\"\nlevel = \"debug\"\n"), HasSubstr("test.toml:3:"));
}

TEST(LoadStringTest, ReportsEveryErrorAtOnceInFileOrder) {
  const auto diagnostics = Errors(
      "[log]\nlevel = \"loud\"\n"
      "[broker]\nread_timeout = \"1.5m\"\nmax_connections = 0\n"
      "[[projects]]\nname = \"p\"\npool = \"none\"\n"
      "[extra]\n");
  ASSERT_THAT(diagnostics, SizeIs(5));
  EXPECT_EQ(diagnostics[0].key, "log.level");
  EXPECT_EQ(diagnostics[1].key, "broker.read_timeout");
  EXPECT_EQ(diagnostics[2].key, "broker.max_connections");
  EXPECT_EQ(diagnostics[3].key, "projects[0].pool");
  EXPECT_EQ(diagnostics[4].key, "extra");
}

TEST(LoadStringTest, ABadListElementKeepsTheWholeListFromBeingUsed) {
  const auto diagnostics = Errors("[broker]\nallowed_sources = [\"10.0.0.0/8\", 5]\n");
  ASSERT_THAT(diagnostics, SizeIs(1));
  EXPECT_EQ(diagnostics[0].key, "broker.allowed_sources[1]");
}

TEST(LoadStringTest, EmptyAllowlistIsAnError) {
  EXPECT_THAT(OnlyError("[broker]\nallowed_sources = []\n"),
              HasSubstr("broker.allowed_sources: expected at least one range"));
}

TEST(LoadStringTest, HeartbeatSlowerThanStalenessIsAnError) {
  EXPECT_THAT(OnlyError("[agent]\nheartbeat_interval = \"1s\"\n"),
              HasSubstr("test.toml:2:22: agent.heartbeat_interval: expected less than "
                        "recording.agent_stale_after (500ms), found 1s"));
}

TEST(LoadStringTest, EncryptionNeedsAKeyFile) {
  EXPECT_THAT(
      OnlyError("[recording]\nencrypt = true\n"),
      HasSubstr("recording.encryption_key_file: expected a key file because encrypt = true"));
}

TEST(LoadStringTest, VpnRequiredNeedsAPool) {
  EXPECT_THAT(OnlyError("[auth]\nvpn_required = true\n"), HasSubstr("auth.vpn_pool: expected"));
}

TEST(LoadStringTest, WebAuthnOriginMustBeOnTheRpId) {
  EXPECT_THAT(
      OnlyError("[auth]\nwebauthn_rp_id = \"example.org\"\n"
                "webauthn_origins = [\"https://safedesk.example.org\", \"https://evil.org\"]\n"),
      HasSubstr("auth.webauthn_origins[1]: expected an origin on webauthn_rp_id"));
}

TEST(LoadStringTest, TotpDigitsAreSixOrEight) {
  EXPECT_THAT(OnlyError("[auth]\ntotp_digits = 7\n"),
              HasSubstr("auth.totp_digits: expected 6 or 8"));
}

TEST(LoadStringTest, TwoListenersOnOneAddressIsAnError) {
  EXPECT_THAT(OnlyError("[gateway]\nagent_feed_listen = \"127.0.0.1:8444\"\n"),
              HasSubstr("gateway.agent_feed_listen: expected an address no other listener uses"));
}

TEST(LoadStringTest, PortZeroListenersDoNotConflict) {
  LoadOk("[broker]\nlisten = \"127.0.0.1:0\"\n[gateway]\nlisten = \"127.0.0.1:0\"\n");
}

TEST(LoadStringTest, FileRolesReplaceTheEmbeddedOnes) {
  const Config config = LoadOk("[[roles]]\nname = \"only\"\ncan_audit = true\n");
  ASSERT_THAT(config.roles, SizeIs(1));
  EXPECT_EQ(config.roles[0].name, "only");
  EXPECT_TRUE(config.roles[0].can_audit);
  EXPECT_TRUE(config.roles[0].require_user_verification);
}

TEST(LoadStringTest, ReadsProjectsWithMaskRules) {
  const Config config = LoadOk(
      "[[projects]]\nname = \"p\"\npool = \"default\"\nmembers = [\"alice\"]\n"
      "max_duration = \"2h\"\n[[projects.mask_rules]]\nwm_class = \"^Calc$\"\n");
  ASSERT_NE(config.FindProject("p"), nullptr);
  EXPECT_EQ(config.FindProject("p")->max_duration, std::chrono::hours(2));
  EXPECT_EQ(config.FindProject("p")->members, std::vector<std::string>{"alice"});
  EXPECT_EQ(config.FindProject("p")->mask_rules, (std::vector<MaskRule>{{"^Calc$", ""}}));
}

TEST(LoadStringTest, RemembersWhereEachKeyWasSet) {
  const Config config = LoadOk("\n[audit]\n  signing_key = \"k.pem\"\n");
  EXPECT_EQ(config.LocationOf("audit.signing_key"), (SourceLocation{"test.toml", 3, 17}));
  EXPECT_EQ(config.LocationOf("audit.file"), (SourceLocation{"test.toml", 0, 0}));
}

TEST(LoadStringTest, RelativePathsResolveAgainstTheBaseDirectory) {
  const Config config = LoadOk(
      "[broker]\nstate_db = \"data/../db/broker.sqlite\"\n"
      "tls_key = \"/abs/broker.key\"\n");
  EXPECT_EQ(config.broker.state_db, "/etc/safedesk/db/broker.sqlite");
  EXPECT_EQ(config.broker.tls_key, "/abs/broker.key");
  EXPECT_EQ(config.recording.directory, "/etc/safedesk/var/recordings");
  EXPECT_TRUE(config.broker.tls_cert.empty());
  EXPECT_EQ(config.base_dir, kBase);
}

TEST(LoadStringTest, AgentIssuerPathsResolveAgainstTheBaseDirectory) {
  const Config config = LoadOk("[broker]\nagent_issuer_cert = \"pki/ca.crt\"\nagent_issuer_key = \"pki/ca.key\"\n");
  EXPECT_EQ(config.broker.agent_issuer_cert, "/etc/safedesk/pki/ca.crt");
  EXPECT_EQ(config.broker.agent_issuer_key, "/etc/safedesk/pki/ca.key");
}

TEST(LoadStringTest, AgentIssuerCertificateWithoutKeyNamesFileLineKey) {
  EXPECT_EQ(OnlyError("[broker]\nagent_issuer_cert = \"pki/ca.crt\"\n"),
            "test.toml:2:21: broker.agent_issuer_cert: expected broker.agent_issuer_key as well (the agent "
            "certificate issuer needs both certificate and key), found it unset");
}

TEST(LoadTest, ResolvesPathsAgainstTheFilesDirectory) {
  testing::TempDir dir;
  const std::string file = dir.Write("etc/safedesk.toml", "[audit]\nfile = \"log/audit.log\"\n");
  LoadResult result = Load(file);
  ASSERT_TRUE(result.ok()) << result.diagnostics.front().ToString();
  EXPECT_EQ(result.config->audit.file, dir.path() / "etc" / "log" / "audit.log");
  EXPECT_EQ(result.config->source, file);
}

TEST(LoadTest, MissingFileIsADiagnostic) {
  LoadResult result = Load("/nonexistent/safedesk.toml");
  ASSERT_THAT(result.diagnostics, SizeIs(1));
  EXPECT_EQ(result.diagnostics[0].ToString(),
            "/nonexistent/safedesk.toml: cannot open: No such file or directory");
}

TEST(LoadTest, OversizedFileIsRefused) {
  testing::TempDir dir;
  const std::string file = dir.Write("big.toml", std::string(kMaxConfigBytes + 1, '#'));
  LoadResult result = Load(file);
  ASSERT_THAT(result.diagnostics, SizeIs(1));
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr("larger than 1MiB"));
}

TEST(ExampleFileTest, LoadsWithoutDiagnostics) {
  LoadResult result = Load(ExampleFile());
  for (const Diagnostic& d : result.diagnostics) ADD_FAILURE() << d.ToString();
  EXPECT_TRUE(result.ok());
}

// The example sets every key to its default, so it documents the defaults exactly.
TEST(ExampleFileTest, ValuesAreTheEmbeddedDefaults) {
  LoadResult result = Load(ExampleFile());
  ASSERT_TRUE(result.ok());
  const Config defaults = Defaults(ExampleFile().parent_path());
  const Config& example = *result.config;
  EXPECT_EQ(example.log, defaults.log);
  EXPECT_EQ(example.broker, defaults.broker);
  EXPECT_EQ(example.gateway, defaults.gateway);
  EXPECT_EQ(example.agent, defaults.agent);
  EXPECT_EQ(example.auth, defaults.auth);
  EXPECT_EQ(example.recording, defaults.recording);
  EXPECT_EQ(example.audit, defaults.audit);
  EXPECT_EQ(example.roles, defaults.roles);
  EXPECT_EQ(example.pools, defaults.pools);
}

// "Every key documented": the first time a key appears in a section, a comment is above it.
TEST(ExampleFileTest, EveryKeyHasACommentAbove) {
  std::ifstream in(ExampleFile());
  std::string line;
  std::string previous;
  std::string section;
  std::set<std::string> seen;
  while (std::getline(in, line)) {
    if (line.starts_with("[")) section = line;
    const auto eq = line.find(" = ");
    if (!line.starts_with("#") && !line.starts_with("[") && eq != std::string::npos) {
      const std::string key = section + line.substr(0, eq);
      if (seen.insert(key).second) {
        EXPECT_TRUE(previous.starts_with("#")) << key;
      }
    }
    previous = line;
  }
  EXPECT_GT(seen.size(), 90u);
}

TEST(DefaultsTest, MatchTheDocumentedValues) {
  const Config config = Defaults(kBase);
  EXPECT_EQ(config.broker.listen, (HostPort{"127.0.0.1", 8443}));
  EXPECT_EQ(config.broker.max_body_bytes, 1u << 20);
  EXPECT_EQ(config.broker.read_timeout, std::chrono::seconds(15));
  EXPECT_EQ(config.broker.allowed_sources,
            (std::vector<Cidr>{*ParseCidr("127.0.0.0/8"), *ParseCidr("::1/128")}));
  EXPECT_EQ(config.gateway.max_message_bytes, 64u << 10);
  EXPECT_EQ(config.gateway.idle_timeout, std::chrono::minutes(15));
  EXPECT_EQ(config.agent.heartbeat_interval, std::chrono::milliseconds(250));
  EXPECT_EQ(config.auth.totp_algorithm, TotpAlgorithm::kSha1);
  EXPECT_EQ(config.auth.webauthn_origins, std::vector<std::string>{"https://localhost:8443"});
  EXPECT_EQ(config.recording.chunk_duration, std::chrono::seconds(4));
  EXPECT_EQ(config.audit.group_commit_delay, std::chrono::milliseconds(2));
  EXPECT_EQ(config.source, "embedded defaults");
}

TEST(DefaultsTest, HaveTheThreeRolesAndOnePool) {
  const Config config = Defaults(kBase);
  ASSERT_NE(config.FindRole("researcher"), nullptr);
  EXPECT_TRUE(config.FindRole("researcher")->can_request);
  ASSERT_NE(config.FindRole("administrator"), nullptr);
  EXPECT_TRUE(config.FindRole("administrator")->can_approve);
  ASSERT_NE(config.FindRole("auditor"), nullptr);
  EXPECT_TRUE(config.FindRole("auditor")->can_audit);
  EXPECT_NE(config.FindPool("default"), nullptr);
  EXPECT_THAT(config.projects, IsEmpty());
}

TEST(DefaultsTest, ResolveRelativePathsAgainstTheBase) {
  const Config config = Defaults(kBase);
  EXPECT_EQ(config.broker.state_db, "/etc/safedesk/var/broker.sqlite");
  EXPECT_EQ(config.auth.vici_socket, "/var/run/charon.vici");
}

TEST(DefaultsTest, WithoutABaseUseTheWorkingDirectory) {
  EXPECT_EQ(Defaults().audit.file, std::filesystem::current_path() / "var" / "audit.log");
}

}  // namespace
}  // namespace safedesk::config
