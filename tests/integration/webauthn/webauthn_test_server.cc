#include "tests/integration/webauthn/webauthn_test_server.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

#include "auth/webauthn_cose.h"

namespace safedesk::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

constexpr std::size_t kMaxRequestBody = 64 * 1024;  // finish bodies are a few KiB
constexpr auto kReadTimeout = std::chrono::seconds(30);

Response MakeResponse(http::status status, std::string content_type, std::string body) {
  Response response(status, 11);
  response.set(http::field::content_type, content_type);
  response.set(http::field::cache_control, "no-store");
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

std::string UserOf(std::string_view body) {
  boost::system::error_code error;
  json::value value = json::parse(body, error);
  if (error || !value.is_object()) return {};
  const json::value* user = value.as_object().if_contains("user");
  return user != nullptr && user->is_string() ? std::string(user->get_string()) : std::string();
}

}  // namespace

struct WebAuthnTestServer::Impl {
  std::filesystem::path page_dir;
  Clock& clock;
  Random& random;
  MemoryAuditSink& audit;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::thread thread;
  std::uint16_t port = 0;
  std::unique_ptr<auth::WebAuthn> rp_none;
  std::unique_ptr<auth::WebAuthn> rp_direct;

  mutable std::mutex mu;
  std::map<std::string, std::vector<auth::StoredCredential>> credentials;
  std::map<std::string, std::vector<std::uint8_t>> user_handles;
  std::vector<StepOutcome> outcomes;

  Impl(std::filesystem::path dir, Clock& c, Random& r, MemoryAuditSink& a)
      : page_dir(std::move(dir)), clock(c), random(r), audit(a) {}

  std::unique_ptr<auth::WebAuthn> MakeRp(auth::AttestationConveyance attestation) {
    auth::WebAuthnOptions options{.rp_id = "localhost",
                                  .rp_name = "safedesk browser test",
                                  .allowed_origins = {"http://localhost:" + std::to_string(port)},
                                  .challenge_ttl = std::chrono::seconds(120),
                                  .require_user_verification = true,
                                  .attestation = attestation,
                                  .max_pending_ceremonies = 64};
    auto rp = auth::WebAuthn::Create(std::move(options), clock, random, audit);
    return rp.ok() ? std::move(*rp) : nullptr;
  }

  Response Begin(const std::string& body, bool login, auth::WebAuthn& rp) {
    const std::string user = UserOf(body);
    std::lock_guard lock(mu);
    auto& creds = credentials[user];
    auto& handle = user_handles[user];
    if (handle.empty()) handle = *auth::NewUserHandle(random);
    Result<auth::CeremonyStart> start = login ? rp.BeginAssertion(user, creds) : rp.BeginRegistration(user, user, handle, creds);
    if (!start.ok()) return MakeResponse(http::status::bad_request, "application/json", R"({"ok":false})");
    return MakeResponse(http::status::ok, "application/json",
                        R"({"ceremonyId":")" + start->ceremony_id + R"(","publicKey":)" + start->options_json + "}");
  }

  Response Finish(const Request& request, bool login, auth::WebAuthn& rp) {
    const std::string user = UserOf(request.body());
    std::lock_guard lock(mu);
    const std::size_t audited = audit.events().size();
    auto& creds = credentials[user];
    StepOutcome outcome{std::string(request["X-Test-Step"]), std::string(request.target()), false, "", 0, ""};
    if (login) {
      Result<auth::AssertionSuccess> success = rp.FinishAssertionJson(user, request.body(), creds);
      if ((outcome.ok = success.ok())) {
        for (auto& c : creds) {
          if (c.credential_id == success->credential_id) c.sign_count = success->sign_count;
        }
        outcome.sign_count = success->sign_count;
      }
    } else {
      Result<auth::StoredCredential> credential = rp.FinishRegistrationJson(user, request.body(), creds);
      if ((outcome.ok = credential.ok())) {
        outcome.sign_count = credential->sign_count;
        outcome.algorithm = std::string(auth::CoseAlgorithmName(credential->alg));
        creds.push_back(std::move(*credential));
      }
    }
    const auto events = audit.events();
    if (!outcome.ok && events.size() > audited) {
      if (const auto* reason = events.back().Find("reason")) outcome.reason = std::get<std::string>(*reason);
    }
    outcomes.push_back(outcome);
    return MakeResponse(http::status::ok, "application/json", outcome.ok ? R"({"ok":true})" : R"({"ok":false})");
  }

  Response Handle(const Request& request) {
    const std::string target(request.target());
    if (request.method() == http::verb::get) {
      if (target == "/" || target == "/index.html") {
        return MakeResponse(http::status::ok, "text/html; charset=utf-8", ReadFile(page_dir / "index.html"));
      }
      if (target == "/webauthn_page.mjs") {
        return MakeResponse(http::status::ok, "text/javascript", ReadFile(page_dir / "webauthn_page.mjs"));
      }
      return MakeResponse(http::status::not_found, "text/plain", "not found");
    }
    if (request.method() != http::verb::post) return MakeResponse(http::status::method_not_allowed, "text/plain", "");
    const bool direct = target.starts_with("/api/register-direct/");
    auth::WebAuthn& rp = direct ? *rp_direct : *rp_none;
    if (target == "/api/register/begin" || target == "/api/register-direct/begin") return Begin(request.body(), false, rp);
    if (target == "/api/login/begin") return Begin(request.body(), true, rp);
    if (target == "/api/register/finish" || target == "/api/register-direct/finish") return Finish(request, false, rp);
    if (target == "/api/login/finish") return Finish(request, true, rp);
    return MakeResponse(http::status::not_found, "text/plain", "not found");
  }

  asio::awaitable<void> Serve(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
      boost::system::error_code error;
      http::request_parser<http::string_body> parser;
      parser.body_limit(kMaxRequestBody);
      stream.expires_after(kReadTimeout);
      co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, error));
      if (error) co_return;
      Response response = Handle(parser.get());
      response.keep_alive(parser.get().keep_alive());
      co_await http::async_write(stream, response, asio::redirect_error(asio::use_awaitable, error));
      if (error || !response.keep_alive()) co_return;
    }
  }

  asio::awaitable<void> Accept() {
    for (;;) {
      boost::system::error_code error;
      tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, error));
      if (error) co_return;
      asio::co_spawn(io, Serve(std::move(socket)), asio::detached);
    }
  }
};

WebAuthnTestServer::WebAuthnTestServer(std::filesystem::path page_dir, Clock& clock, Random& random,
                                       MemoryAuditSink& audit)
    : impl_(std::make_unique<Impl>(std::move(page_dir), clock, random, audit)) {}

WebAuthnTestServer::~WebAuthnTestServer() { Stop(); }

std::uint16_t WebAuthnTestServer::Start() {
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen();
  impl_->port = impl_->acceptor.local_endpoint().port();
  impl_->rp_none = impl_->MakeRp(auth::AttestationConveyance::kNone);
  impl_->rp_direct = impl_->MakeRp(auth::AttestationConveyance::kDirect);
  asio::co_spawn(impl_->io, impl_->Accept(), asio::detached);
  impl_->thread = std::thread([this] { impl_->io.run(); });
  return impl_->port;
}

void WebAuthnTestServer::Stop() {
  if (!impl_->thread.joinable()) return;
  asio::post(impl_->io, [this] { impl_->acceptor.close(); });
  impl_->io.stop();
  impl_->thread.join();
}

std::string WebAuthnTestServer::origin() const { return "http://localhost:" + std::to_string(impl_->port); }

std::vector<StepOutcome> WebAuthnTestServer::outcomes() const {
  std::lock_guard lock(impl_->mu);
  return impl_->outcomes;
}

std::optional<StepOutcome> WebAuthnTestServer::Outcome(const std::string& step) const {
  std::lock_guard lock(impl_->mu);
  for (const StepOutcome& o : impl_->outcomes) {
    if (o.step == step) return o;
  }
  return std::nullopt;
}

}  // namespace safedesk::testing
