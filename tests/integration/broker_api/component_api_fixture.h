#pragma once
// The component API (broker/component_routes.h) on its own mutual-TLS HttpServer beside
// the harness's browser listener, sharing the harness's store, audit log and ManualClock,
// with the researcher/admin routes of RequestsApiTest fed by the same ComponentServices.
// ComponentClient speaks HTTPS to it presenting a client certificate from the test PKI
// (or none).

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>

#include <openssl/ssl.h>

#include <memory>
#include <optional>
#include <thread>

#include "broker/component_routes.h"
#include "net/tls_context.h"
#include "tests/integration/broker_api/requests_api_fixture.h"

namespace safedesk::testing {

// What a component call got: status 0 when no HTTP answer came (handshake refused).
struct ComponentResponse {
  int status = 0;
  std::string failure;  // the TLS/TCP error when status is 0
  boost::json::value json;
  std::string String(std::string_view key) const {
    const auto* object = json.if_object();
    const auto* value = object ? object->if_contains(key) : nullptr;
    return value && value->is_string() ? std::string(value->as_string()) : std::string();
  }
};

class ComponentClient {
 public:
  ComponentClient(const TestPki& pki, std::uint16_t port, std::optional<TestCertificate> certificate)
      : pki_(&pki), port_(port), certificate_(std::move(certificate)) {}

  ComponentResponse Get(const std::string& path) { return Send(boost::beast::http::verb::get, path, ""); }
  ComponentResponse Post(const std::string& path, const boost::json::value& body) {
    return Send(boost::beast::http::verb::post, path, boost::json::serialize(body));
  }

 private:
  ComponentResponse Send(boost::beast::http::verb method, const std::string& path, std::string body) {
    namespace asio = boost::asio;
    namespace beast = boost::beast;
    asio::io_context io;
    asio::ssl::context tls(asio::ssl::context::tls_client);
    tls.set_verify_mode(asio::ssl::verify_peer);
    tls.add_certificate_authority(asio::buffer(pki_->ca.certificate_pem));
    if (certificate_) {
      tls.use_certificate_chain(asio::buffer(certificate_->certificate_pem));
      tls.use_private_key(asio::buffer(certificate_->private_key_pem), asio::ssl::context::pem);
    }
    beast::ssl_stream<beast::tcp_stream> stream(io, tls);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(60));
    boost::system::error_code ec;
    beast::get_lowest_layer(stream).socket().connect(
        asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
    SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>("localhost"));
    if (!ec) stream.handshake(asio::ssl::stream_base::client, ec);
    beast::http::request<beast::http::string_body> request(method, path, 11);
    request.set(beast::http::field::host, "localhost");
    if (method == beast::http::verb::post) request.set(beast::http::field::content_type, "application/json");
    request.body() = std::move(body);
    request.prepare_payload();
    // Under TLS 1.3 a refused client certificate shows up on the first read, not the handshake.
    if (!ec) beast::http::write(stream, request, ec);
    beast::flat_buffer buffer;
    beast::http::response<beast::http::string_body> response;
    if (!ec) beast::http::read(stream, buffer, response, ec);
    ComponentResponse out;
    if (ec) {
      out.failure = ec.message();
      return out;
    }
    out.status = static_cast<int>(response.result_int());
    out.json = boost::json::parse(response.body(), ec);
    if (ec) out.json = nullptr;
    stream.shutdown(ec);
    return out;
  }

  const TestPki* pki_;
  std::uint16_t port_;
  std::optional<TestCertificate> certificate_;
};

class ComponentApiTest : public RequestsApiTest {
 protected:
  void AddRoutes(broker::Router& router, broker::BrokerContext& harness_ctx) override {
    components_ = std::make_unique<broker::ComponentServices>(harness_ctx.tickets, harness_ctx.clock,
                                                              harness_ctx.audit,
                                                              harness_ctx.config.broker.agent_heartbeat_timeout);
    components_->Attach(harness_ctx);  // RequestsApiTest's context copies the pointers
    RequestsApiTest::AddRoutes(router, harness_ctx);
  }

  void SetUp() override {
    RequestsApiTest::SetUp();
    const TestPki& pki = harness().pki();
    auto tls = net::MakeServerTlsContextFromPem(pki.server.certificate_pem, pki.server.private_key_pem,
                                                   pki.ca.certificate_pem);
    ASSERT_TRUE(tls.ok()) << tls.error().message;
    tls_ = std::move(*tls);
    components_->desktops = &provider();  // as the broker hands it its pool
    broker::AddComponentRoutes(router_, harness().ctx(), *components_);
    server_ = std::make_unique<broker::HttpServer>(io_, *tls_, broker::HttpServerOptions{}, router_.AsHandler());
    auto listening = server_->Listen("127.0.0.1", 0);
    ASSERT_TRUE(listening.ok()) << listening.error().message;
    thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    if (server_) server_->Stop();
    io_.stop();
    if (thread_.joinable()) thread_.join();
    RequestsApiTest::TearDown();
  }

  ComponentClient Component(std::optional<std::string> common_name) {
    std::optional<TestCertificate> certificate;
    if (common_name) certificate = harness().pki().Client(*common_name);
    return ComponentClient(harness().pki(), server_->port(), std::move(certificate));
  }
  ComponentClient Gateway() { return Component("safedesk-gateway"); }
  ComponentClient Agent() { return Component("safedesk-agent"); }
  broker::ComponentServices& components() { return *components_; }
  std::uint16_t component_port() const { return server_->port(); }

 private:
  std::unique_ptr<broker::ComponentServices> components_;
  boost::asio::io_context io_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
  broker::Router router_;
  std::unique_ptr<broker::HttpServer> server_;
  std::thread thread_;
};

}  // namespace safedesk::testing
