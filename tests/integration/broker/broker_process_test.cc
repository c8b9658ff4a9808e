// The safedesk-broker executable end to end: generated certificate and keys, HTTPS on
// 127.0.0.1, a clean stop on SIGTERM that closes the audit log with a signed checkpoint.
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <signal.h>

#include <regex>

#include "common/audit_verify.h"
#include "common/crypto.h"
#include "tests/testing/child_process.h"
#include "tests/testing/test_support.h"
#include "tests/testing/tls_test_certs.h"

namespace safedesk {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using ::testing::HasSubstr;

class BrokerProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_ = testing::MakeTestPki();
    dir_.Write("pki/ca.crt", pki_.ca.certificate_pem, 0644);
    dir_.Write("pki/broker.crt", pki_.server.certificate_pem, 0644);
    dir_.Write("pki/broker.key", pki_.server.private_key_pem, 0600);
    SeededRandom random(11);
    auto key = Ed25519PrivateKey::Generate(random);
    ASSERT_TRUE(key.ok());
    audit_public_ = key->public_key();
    dir_.Write("keys/audit.pem", std::string(key->ToPem().reveal()), 0600);
    auto ticket_key = Ed25519PrivateKey::Generate(random);
    dir_.Write("keys/ticket.pem", std::string(ticket_key->ToPem().reveal()), 0600);
    dir_.Write("keys/factor-secrets.key", std::string(64, 'a'), 0600);
    dir_.Write("web/index.html", "<h1>safedesk</h1>", 0644);
  }
  std::string WriteConfig(const std::string& extra = "") {
    return dir_.Write("safedesk.toml",
                      "[log]\nfile = \"broker.log\"\n"
                      "[broker]\nlisten = \"127.0.0.1:0\"\ntls_cert = \"pki/broker.crt\"\n"
                      "tls_key = \"pki/broker.key\"\nweb_root = \"web\"\n"
                      "[auth]\nsecret_key_file = \"keys/factor-secrets.key\"\nticket_signing_key = \"keys/ticket.pem\"\n"
                      "[audit]\nfile = \"var/audit.log\"\nsigning_key = \"keys/audit.pem\"\ncheckpoint_every = 10\n" +
                          extra,
                      0644);
  }
  int PortFromLog() {
    const std::string log = testing::ReadFileText(dir_.path() / "broker.log");
    std::smatch match;
    static const std::regex kListening(R"(listening on https://127\.0\.0\.1:(\d+)/)");
    return std::regex_search(log, match, kListening) ? std::stoi(match[1]) : 0;
  }
  http::response<http::string_body> Get(int port, const std::string& target) {
    asio::io_context io;
    asio::ssl::context tls(asio::ssl::context::tls_client);
    tls.set_verify_mode(asio::ssl::verify_peer);
    tls.add_certificate_authority(asio::buffer(pki_.ca.certificate_pem));
    beast::ssl_stream<beast::tcp_stream> stream(io, tls);
    beast::get_lowest_layer(stream).connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
    stream.handshake(asio::ssl::stream_base::client);
    http::request<http::string_body> req(http::verb::get, target, 11);
    req.set(http::field::host, "localhost");
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    return res;
  }

  testing::TempDir dir_;
  testing::TestPki pki_;
  Ed25519PublicKey audit_public_;
};

TEST_F(BrokerProcessTest, ServesHttpsAndClosesTheAuditLogOnSigterm) {
  const std::string config = WriteConfig();
  testing::ChildProcess broker(testing::ExecutablePath("safedesk-broker"), {"--config", config}, dir_.path());
  ASSERT_TRUE(testing::WaitForText(dir_.path() / "broker.log", "listening on")) << broker.Stderr();
  const int port = PortFromLog();
  ASSERT_GT(port, 0);
  auto health = Get(port, "/api/health");
  EXPECT_EQ(health.result(), http::status::ok);
  EXPECT_THAT(health.body(), HasSubstr(R"("status":"ok")"));
  EXPECT_EQ(Get(port, "/").body(), "<h1>safedesk</h1>");
  broker.Signal(SIGTERM);
  EXPECT_EQ(broker.Wait(), 0);
  auto report = VerifyAuditLog(dir_.path() / "var/audit.log", {.trusted_keys = {audit_public_}, .live = false, .on_record = {}});
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_TRUE(report->ok) << FormatAuditVerifyReport(*report);
  EXPECT_TRUE(report->closed);
  EXPECT_THAT(testing::ReadFileText(dir_.path() / "var/audit.log"), HasSubstr(R"("type":"service.started")"));
}

TEST_F(BrokerProcessTest, RefusesToStartWithoutAnAuditSigningKey) {
  const std::string config = dir_.Write("safedesk.toml",
                                        "[log]\nfile = \"broker.log\"\n[broker]\nlisten = \"127.0.0.1:0\"\n"
                                        "tls_cert = \"pki/broker.crt\"\ntls_key = \"pki/broker.key\"\n",
                                        0644);
  testing::ChildProcess broker(testing::ExecutablePath("safedesk-broker"), {"--config", config}, dir_.path());
  EXPECT_EQ(broker.Wait(), 1);
  EXPECT_THAT(testing::ReadFileText(dir_.path() / "broker.log"), HasSubstr("audit.signing_key is not set"));
}

TEST_F(BrokerProcessTest, RefusesToStartWhenTheListenAddressIsTaken) {
  const std::string config = WriteConfig();
  testing::ChildProcess first(testing::ExecutablePath("safedesk-broker"), {"--config", config}, dir_.path());
  ASSERT_TRUE(testing::WaitForText(dir_.path() / "broker.log", "listening on"));
  const int port = PortFromLog();
  testing::TempDir other;
  const std::string second_config = dir_.Write(
      "second.toml",
      "[log]\nfile = \"second.log\"\n[broker]\nlisten = \"127.0.0.1:" + std::to_string(port) +
          "\"\ntls_cert = \"pki/broker.crt\"\ntls_key = \"pki/broker.key\"\n"
          "state_db = \"var/second.sqlite\"\n"
          "[auth]\nsecret_key_file = \"keys/factor-secrets.key\"\nticket_signing_key = \"keys/ticket.pem\"\n[audit]\nfile = \"var/second-audit.log\"\nsigning_key = \"keys/audit.pem\"\n",
      0644);
  testing::ChildProcess second(testing::ExecutablePath("safedesk-broker"), {"--config", second_config}, other.path());
  EXPECT_EQ(second.Wait(), 1);
  first.Signal(SIGTERM);
  EXPECT_EQ(first.Wait(), 0);
}

}  // namespace
}  // namespace safedesk
