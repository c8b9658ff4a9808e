// The whole researcher → administrator → auditor flow in headless Debian Chromium against
// the real safedesk-broker executable: PAM through pam_wrapper with pam_pwdfile (the
// demo's module), users created by safedeskctl, TOTP and WebAuthn (CDP virtual
// authenticator with user verification) enrolled in the pages, a request approved with
// step-up, a session started with a ticket, the auditor's pages. The driver is
// tests/browser/broker_e2e.mjs; it saves a screenshot of every page it visits under
// <build>/screenshots/broker_e2e/.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <gtest/gtest.h>
#include <signal.h>

#include <regex>

#include "common/audit_verify.h"
#include "common/crypto.h"
#include "tests/testing/child_process.h"
#include "tests/testing/test_support.h"
#include "tests/testing/tls_test_certs.h"

namespace safedesk {
namespace {

// A port the kernel reports free now; WebAuthn origins include the port, so the config
// must name it before the broker starts.
int FreePort() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

std::vector<std::string> PamWrapperEnv(const std::filesystem::path& service_dir) {
  return {"LD_PRELOAD=" SAFEDESK_PAM_WRAPPER_LIBRARY, "PAM_WRAPPER=1",
          "PAM_WRAPPER_SERVICE_DIR=" + service_dir.string(),
          // Under ASan the preload comes before ASan's runtime and pam_wrapper's
          // RTLD_DEEPBIND is refused; neither matters for what pam_wrapper interposes.
          "ASAN_OPTIONS=verify_asan_link_order=0", "PAM_WRAPPER_DISABLE_DEEPBIND=1",
          "UID_WRAPPER_DISABLE_DEEPBIND=1"};
}

class BrokerBrowserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto node_modules = testing::SourceDir() / "tests/browser/node_modules/playwright-core";
    ASSERT_TRUE(std::filesystem::exists(node_modules)) << "run scripts/setup.sh (npm ci in tests/browser)";
    port_ = FreePort();
    component_port_ = FreePort();
    gateway_port_ = FreePort();
    pki_ = testing::MakeTestPki();
    dir_.Write("pki/broker.crt", pki_.server.certificate_pem, 0644);
    dir_.Write("pki/broker.key", pki_.server.private_key_pem, 0600);
    dir_.Write("pki/ca.crt", pki_.ca.certificate_pem, 0644);
    const testing::TestCertificate gateway_client = pki_.Client("safedesk-gateway");
    dir_.Write("pki/gateway-client.crt", gateway_client.certificate_pem, 0644);
    dir_.Write("pki/gateway-client.key", gateway_client.private_key_pem, 0600);
    SeededRandom random(21);
    for (const char* name : {"audit", "ticket", "seal"}) {
      auto key = Ed25519PrivateKey::Generate(random);
      dir_.Write(std::string("keys/") + name + ".pem", std::string(key->ToPem().reveal()), 0600);
    }
    dir_.Write("keys/factor-secrets.key", std::string(64, 'b'), 0600);
    dir_.Write("pam/safedesk-e2e", "auth required " SAFEDESK_PAM_PWDFILE " pwdfile=" +
                                       (dir_.path() / "var/passwd").string() +
                                       "\naccount required " SAFEDESK_PAM_PERMIT "\n");
    WriteConfig();
  }
  void WriteConfig() {
    const std::string origin = "https://localhost:" + std::to_string(port_);
    const std::string body =
        "[broker]\nlisten = \"127.0.0.1:" + std::to_string(port_) + "\"\npublic_url = \"" + origin + "\"\n"
        "component_listen = \"127.0.0.1:" + std::to_string(component_port_) + "\"\nclient_ca = \"pki/ca.crt\"\n"
        "tls_cert = \"pki/broker.crt\"\ntls_key = \"pki/broker.key\"\nweb_root = \"" +
        (testing::SourceDir() / "web").string() + "\"\n"
        "[gateway]\nlisten = \"127.0.0.1:" + std::to_string(gateway_port_) + "\"\n"
        "metrics_listen = \"127.0.0.1:" + std::to_string(FreePort()) + "\"\n"
        "agent_feed_listen = \"127.0.0.1:" + std::to_string(FreePort()) + "\"\n"
        "tls_cert = \"pki/broker.crt\"\ntls_key = \"pki/broker.key\"\n"
        "client_cert = \"pki/gateway-client.crt\"\nclient_key = \"pki/gateway-client.key\"\nca_cert = \"pki/ca.crt\"\n"
        "broker_url = \"https://localhost:" + std::to_string(component_port_) + "\"\n"
        "[recording]\ndirectory = \"var/recordings\"\nseal_key_file = \"keys/seal.pem\"\n"
        "[auth]\npam_service = \"safedesk-e2e\"\nsecret_key_file = \"keys/factor-secrets.key\"\n"
        "ticket_signing_key = \"keys/ticket.pem\"\nwebauthn_rp_id = \"localhost\"\nwebauthn_origins = [\"" + origin + "\"]\n"
        "[audit]\nfile = \"var/audit.log\"\nsigning_key = \"keys/audit.pem\"\n"
        "[[pools]]\nname = \"default\"\n"
        "[[projects]]\nname = \"claims\"\nmembers = [\"researcher\"]\npool = \"default\"\n"
        "dataset_path = \"data/claims\"\n";
    std::filesystem::create_directories(dir_.path() / "data/claims");
    config_ = dir_.Write("safedesk.toml", "[log]\nfile = \"broker.log\"\n" + body, 0644);
    gateway_config_ = dir_.Write("gateway.toml", "[log]\nfile = \"gateway.log\"\n" + body, 0644);
  }

  // Creates a user with safedeskctl and returns the password it printed once.
  std::string AddUser(const std::string& name, const std::string& role) {
    testing::TempDir out;
    testing::ChildProcess ctl(testing::ExecutablePath("safedeskctl"),
                              {"--config", config_, "user", "add", name, "--roles", role, "--password-file",
                               (dir_.path() / "var/passwd").string()},
                              out.path());
    EXPECT_EQ(ctl.Wait(), 0) << ctl.Stderr();
    std::smatch match;
    const std::string text = ctl.Stdout();
    static const std::regex kPassword(R"(password for \S+: (\S+))");
    return std::regex_search(text, match, kPassword) ? match[1].str() : "";
  }

  testing::TempDir dir_;
  testing::TestPki pki_;
  std::string config_;
  std::string gateway_config_;
  int port_ = 0;
  int component_port_ = 0;
  int gateway_port_ = 0;
};

TEST_F(BrokerBrowserTest, ResearcherAdministratorAndAuditorFlowInChromium) {
  std::filesystem::create_directories(dir_.path() / "var");
  const std::string users = dir_.Write(
      "users.json", "{\"researcher\":{\"username\":\"researcher\",\"password\":\"" + AddUser("researcher", "researcher") +
                        "\"},\"admin\":{\"username\":\"admin\",\"password\":\"" + AddUser("admin", "administrator") +
                        "\"},\"auditor\":{\"username\":\"auditor\",\"password\":\"" + AddUser("auditor", "auditor") +
                        "\"}}");
  testing::ChildProcess broker(testing::ExecutablePath("safedesk-broker"), {"--config", config_}, dir_.path(),
                               PamWrapperEnv(dir_.path() / "pam"));
  ASSERT_TRUE(testing::WaitForText(dir_.path() / "broker.log", "listening on")) << broker.Stderr();
  testing::ChildProcess gateway(testing::ExecutablePath("safedesk-gateway"), {"--config", gateway_config_}, dir_.path());
  ASSERT_TRUE(testing::WaitForText(dir_.path() / "gateway.log", "listening on")) << gateway.Stderr();
  const auto screenshots = testing::BinaryDir() / "screenshots" / "broker_e2e";
  std::filesystem::create_directories(screenshots);
  testing::TempDir node_out;
  testing::ChildProcess driver("/usr/bin/node",
                               {(testing::SourceDir() / "tests/browser/broker_e2e.mjs").string(), "--url",
                                "https://localhost:" + std::to_string(port_), "--users", users, "--screenshots",
                                screenshots.string()},
                               node_out.path());
  const int driver_exit = driver.Wait(std::chrono::seconds(240));
  EXPECT_EQ(driver_exit, 0) << "driver stdout:\n" << driver.Stdout() << "\ndriver stderr:\n" << driver.Stderr()
                            << "\nbroker log:\n" << testing::ReadFileText(dir_.path() / "broker.log")
                            << "\nbroker stderr:\n" << broker.Stderr()
                            << "\ngateway log:\n" << testing::ReadFileText(dir_.path() / "gateway.log");
  gateway.Signal(SIGTERM);
  EXPECT_EQ(gateway.Wait(), 0);
  broker.Signal(SIGTERM);
  EXPECT_EQ(broker.Wait(), 0);
  const std::string audit = testing::ReadFileText(dir_.path() / "var/audit.log");
  for (const char* type : {"login.success", "factor.enrolled", "request.created", "request.approved", "session.start",
                           "ticket.redeemed", "channel.blocked"}) {
    EXPECT_NE(audit.find(std::string("\"type\":\"") + type + "\""), std::string::npos) << type;
  }
}

}  // namespace
}  // namespace safedesk
