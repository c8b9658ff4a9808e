#include "broker/http/http_server.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <thread>

#include "broker/http/router.h"
#include "net/tls_context.h"
#include "tests/testing/test_support.h"
#include "tests/testing/tls_test_certs.h"

namespace safedesk::broker {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

// A running server on 127.0.0.1:0 with two routes and a web root holding index.html.
class HttpServerTest : public ::testing::Test {
 protected:
  void Start(HttpServerOptions options = {}) {
    pki_ = testing::MakeTestPki();
    web_.Write("index.html", "<h1>safedesk</h1>");
    web_.Write("app.js", "export {};");
    web_.Write(".secret", "hidden");
    auto tls = net::MakeServerTlsContextFromPem(pki_.server.certificate_pem, pki_.server.private_key_pem, "");
    ASSERT_TRUE(tls.ok()) << tls.error().message;
    tls_ = std::move(*tls);
    router_ = std::make_unique<Router>(web_.path());
    router_->Add(http::verb::get, "/api/health", [](const Request& r, const RequestContext&) -> asio::awaitable<Response> {
      co_return JsonResponse(http::status::ok, R"({"status":"ok"})", r.version(), r.keep_alive());
    });
    router_->Add(http::verb::post, "/api/echo", [](const Request& r, const RequestContext&) -> asio::awaitable<Response> {
      co_return JsonResponse(http::status::ok, r.body(), r.version(), r.keep_alive());
    });
    server_ = std::make_unique<HttpServer>(io_, *tls_, std::move(options), router_->AsHandler());
    ASSERT_TRUE(server_->Listen("127.0.0.1", 0).ok());
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    if (server_) server_->Stop();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  using Client = beast::ssl_stream<beast::tcp_stream>;
  std::unique_ptr<Client> Connect(int max_version = 0) {
    client_tls_.set_verify_mode(asio::ssl::verify_peer);
    client_tls_.add_certificate_authority(asio::buffer(pki_.ca.certificate_pem));
    if (max_version != 0) SSL_CTX_set_max_proto_version(client_tls_.native_handle(), max_version);
    auto client = std::make_unique<Client>(client_io_, client_tls_);
    beast::get_lowest_layer(*client).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
    SSL_ctrl(client->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>("localhost"));  // SSL_set_tlsext_host_name is a macro with a C cast
    client->handshake(asio::ssl::stream_base::client);
    return client;
  }
  http::response<http::string_body> Get(Client& client, const std::string& target) {
    http::request<http::string_body> req(http::verb::get, target, 11);
    req.set(http::field::host, "localhost");
    http::write(client, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(client, buffer, res);
    return res;
  }

  testing::TempDir web_;
  testing::TestPki pki_;
  asio::io_context io_;
  std::unique_ptr<asio::ssl::context> tls_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  asio::io_context client_io_;
  asio::ssl::context client_tls_{asio::ssl::context::tls_client};
};

TEST_F(HttpServerTest, AnswersAnApiRoute) {
  Start();
  auto client = Connect();
  auto res = Get(*client, "/api/health");
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(res.body(), R"({"status":"ok"})");
  EXPECT_EQ(res[http::field::content_type], "application/json; charset=utf-8");
}

TEST_F(HttpServerTest, KeepsTheConnectionAliveAcrossRequests) {
  Start();
  auto client = Connect();
  EXPECT_EQ(Get(*client, "/api/health").result(), http::status::ok);
  EXPECT_EQ(Get(*client, "/index.html").result(), http::status::ok);
}

TEST_F(HttpServerTest, RefusesTls11) {
  Start();
  EXPECT_THROW(Connect(TLS1_1_VERSION), boost::system::system_error);
}

TEST_F(HttpServerTest, ServesStaticFilesWithTypesAndSecurityHeaders) {
  Start();
  auto client = Connect();
  auto res = Get(*client, "/app.js");
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(res[http::field::content_type], "text/javascript; charset=utf-8");
  EXPECT_NE(res["Content-Security-Policy"].find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(res["X-Content-Type-Options"], "nosniff");
}

TEST_F(HttpServerTest, RootServesIndex) {
  Start();
  auto client = Connect();
  EXPECT_EQ(Get(*client, "/").body(), "<h1>safedesk</h1>");
}

TEST_F(HttpServerTest, RefusesPathTraversalAndHiddenFiles) {
  Start();
  auto client = Connect();
  EXPECT_EQ(Get(*client, "/../etc/passwd").result(), http::status::not_found);
  EXPECT_EQ(Get(*client, "/%2e%2e/etc/passwd").result(), http::status::not_found);
  EXPECT_EQ(Get(*client, "/.secret").result(), http::status::not_found);
}

TEST_F(HttpServerTest, UnknownApiPathIsJson404) {
  Start();
  auto client = Connect();
  auto res = Get(*client, "/api/nothing");
  EXPECT_EQ(res.result(), http::status::not_found);
  EXPECT_EQ(res.body(), R"({"error":"not_found"})");
}

TEST_F(HttpServerTest, WrongMethodIs405) {
  Start();
  auto client = Connect();
  EXPECT_EQ(Get(*client, "/api/echo").result(), http::status::method_not_allowed);
}

TEST_F(HttpServerTest, OversizedBodyIs413) {
  HttpServerOptions options;
  options.max_body_bytes = 1024;
  Start(options);
  auto client = Connect();
  http::request<http::string_body> req(http::verb::post, "/api/echo", 11);
  req.set(http::field::host, "localhost");
  req.body() = std::string(4096, 'x');
  req.prepare_payload();
  http::write(*client, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(*client, buffer, res);
  EXPECT_EQ(res.result(), http::status::payload_too_large);
}

TEST_F(HttpServerTest, MalformedRequestIs400) {
  Start();
  auto client = Connect();
  const std::string garbage = "GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: nope\r\n\r\n";
  asio::write(*client, asio::buffer(garbage));
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(*client, buffer, res);
  EXPECT_EQ(res.result(), http::status::bad_request);
}

TEST_F(HttpServerTest, CapsConnectionsPerAddress) {
  HttpServerOptions options;
  options.max_connections_per_address = 2;
  Start(options);
  auto a = Connect();
  auto b = Connect();
  EXPECT_EQ(Get(*a, "/api/health").result(), http::status::ok);  // both admitted
  EXPECT_EQ(Get(*b, "/api/health").result(), http::status::ok);
  EXPECT_THROW(Connect(), boost::system::system_error);  // the third is closed at once
}

TEST_F(HttpServerTest, RefusesSourcesThePredicateRejects) {
  HttpServerOptions options;
  options.source_allowed = [](const asio::ip::address&) { return false; };
  Start(options);
  EXPECT_THROW(Connect(), boost::system::system_error);
}

TEST_F(HttpServerTest, ClosesAnIdleConnectionAfterTheReadTimeout) {
  HttpServerOptions options;
  options.read_timeout = std::chrono::milliseconds(200);
  Start(options);
  auto client = Connect();
  beast::get_lowest_layer(*client).expires_after(std::chrono::seconds(10));
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  boost::system::error_code ec;
  http::read(*client, buffer, res, ec);  // returns when the server closes
  EXPECT_TRUE(ec);
  for (int i = 0; i < 100 && server_->open_connections() != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(server_->open_connections(), 0);
}

TEST(ResolveStaticPathTest, AcceptsPlainRelativePaths) {
  EXPECT_EQ(ResolveStaticPath("/w", "/a/b.js"), std::filesystem::path("/w/a/b.js"));
  EXPECT_EQ(ResolveStaticPath("/w", "/"), std::filesystem::path("/w"));
  EXPECT_TRUE(ResolveStaticPath("/w", "/a//b").empty());
  EXPECT_TRUE(ResolveStaticPath("/w", "/a/../b").empty());
  EXPECT_TRUE(ResolveStaticPath("/w", "relative").empty());
}

}  // namespace
}  // namespace safedesk::broker
