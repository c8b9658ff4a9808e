#include "tests/integration/broker_api/broker_api_harness.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <openssl/ssl.h>

#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "auth/lockout.h"
#include "auth/pam_password.h"
#include "broker/http/http_server.h"
#include "net/tls_context.h"
#include "broker/login_routes.h"
#include "broker/projects.h"
#include "broker/store/sqlite_store.h"
#include "common/audit_log.h"
#include "common/encoding.h"
#include "common/log.h"
#include "common/worker_pool.h"
#include "config/loader.h"
#include "tests/integration/pam/pam_test_env.h"
#include "tests/testing/test_support.h"

namespace safedesk::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

// The harness's own PAM service and passdb, written once per process beside the PAM
// tests' ones (pam_test_env.cc): pam_wrapper reads the service directory at the first
// pam_start, while pam_matrix and pam_known_users reread the passdb on every call, so
// accounts can be added as tests create users.
class PamWorld {
 public:
  static PamWorld& Get() {
    static PamWorld world;
    return world;
  }
  void AddAccount(const std::string& name, const std::string& password) {
    std::lock_guard lock(mu_);
    std::ofstream out(passdb_, std::ios::app);
    out << name << ':' << password << ':' << kBrokerApiPamService << '\n';
  }

 private:
  PamWorld() {
    SetUpPamWrapper();  // the re-exec under pam_wrapper, and the PAM tests' world
    passdb_ = dir_.Write("passdb", "");
    const std::string matrix = std::string(SAFEDESK_PAM_MATRIX) + " passdb=" + passdb_;
    dir_.Write(std::string("services/") + kBrokerApiPamService,
               std::string("auth requisite ") + SAFEDESK_PAM_KNOWN_USERS + " passdb=" + passdb_ + "\n" +
                   "auth required " + matrix + "\naccount required " + matrix + "\n");
    dir_.Write("services/other", "auth required " SAFEDESK_PAM_DENY "\naccount required " SAFEDESK_PAM_DENY "\n");
    setenv("PAM_WRAPPER_SERVICE_DIR", (dir_.path() / "services").c_str(), 1);
  }
  TempDir dir_;
  std::string passdb_;
  std::mutex mu_;
};

// "name=value; Path=/; ..." → name, value, and whether it deletes the cookie.
struct ParsedSetCookie {
  std::string name, value;
  bool remove = false;
};
ParsedSetCookie ParseSetCookie(std::string_view header) {
  ParsedSetCookie out;
  const std::string_view first = header.substr(0, header.find(';'));
  const std::size_t eq = first.find('=');
  out.name = std::string(first.substr(0, eq));
  out.value = eq == std::string_view::npos ? "" : std::string(first.substr(eq + 1));
  out.remove = header.find("Max-Age=0") != std::string_view::npos;
  return out;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::string DefaultPassword(std::string_view user) { return std::string(user) + " rides a correct horse"; }

std::string ApiResponse::String(std::string_view key) const {
  if (!json.is_object()) return "";
  const auto* value = json.as_object().if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : "";
}

// ---------------------------------------------------------------------------- ApiClient

ApiClient::ApiClient(const BrokerApiHarness& harness, std::string source)
    : harness_(&harness), source_(std::move(source)) {}

ApiResponse ApiClient::Get(const std::string& path) {
  return Send(static_cast<int>(http::verb::get), path, "", "");
}

ApiResponse ApiClient::Post(const std::string& path, const json::value& body) {
  return Send(static_cast<int>(http::verb::post), path, json::serialize(body), "application/json");
}

ApiResponse ApiClient::PostRaw(const std::string& path, std::string body, std::string content_type) {
  return Send(static_cast<int>(http::verb::post), path, std::move(body), content_type);
}

ApiResponse ApiClient::PostDeclaringLength(const std::string& path, std::size_t content_length) {
  return Send(static_cast<int>(http::verb::post), path, "", "application/json", content_length);
}

std::optional<std::string> ApiClient::Cookie(const std::string& name) const {
  const auto it = cookies_.find(name);
  if (it == cookies_.end()) return std::nullopt;
  return it->second;
}

namespace {

http::request<http::string_body> MakeRequest(http::verb method, const std::string& path, std::string body,
                                             const std::string& content_type,
                                             const std::map<std::string, std::string>& cookies,
                                             const std::string& csrf) {
  http::request<http::string_body> request(method, path, 11);
  request.set(http::field::host, "localhost");
  std::string cookie_header;
  for (const auto& [name, value] : cookies) cookie_header += (cookie_header.empty() ? "" : "; ") + name + "=" + value;
  if (!cookie_header.empty()) request.set(http::field::cookie, cookie_header);
  if (!csrf.empty() && method != http::verb::get) request.set("X-CSRF-Token", csrf);
  if (method != http::verb::get) request.set(http::field::content_type, content_type);
  request.body() = std::move(body);
  request.prepare_payload();
  return request;
}

ApiResponse ToApiResponse(const http::response<http::string_body>& response) {
  ApiResponse out;
  out.status = static_cast<int>(response.result_int());
  out.body = response.body();
  for (const auto& field : response) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name == "set-cookie") out.set_cookies.emplace_back(field.value());
    out.headers[name] = std::string(field.value());
  }
  boost::system::error_code ec;
  out.json = json::parse(out.body, ec);
  if (ec) out.json = nullptr;
  return out;
}

}  // namespace

ApiResponse ApiClient::Send(int method, const std::string& path, std::string body, const std::string& content_type,
                            std::optional<std::size_t> declared_length) {
  asio::io_context io;
  asio::ssl::context tls(asio::ssl::context::tls_client);
  tls.set_verify_mode(asio::ssl::verify_peer);
  tls.add_certificate_authority(asio::buffer(harness_->pki().ca.certificate_pem));
  beast::ssl_stream<beast::tcp_stream> stream(io, tls);
  auto& socket = beast::get_lowest_layer(stream).socket();
  boost::system::error_code ec;
  socket.open(tcp::v4(), ec);
  if (!ec) socket.bind(tcp::endpoint(asio::ip::make_address(source_), 0), ec);
  if (!ec) socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), harness_->port()), ec);
  SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
           const_cast<char*>("localhost"));  // SSL_set_tlsext_host_name is a macro with a C cast
  if (!ec) stream.handshake(asio::ssl::stream_base::client, ec);
  if (ec) {
    ADD_FAILURE() << "cannot reach the broker from " << source_ << ": " << ec.message();
    return {};
  }
  auto request = MakeRequest(static_cast<http::verb>(method), path, std::move(body), content_type, cookies_, csrf_);
  if (declared_length) {
    request.content_length(*declared_length);
    http::request_serializer<http::string_body> serializer(request);
    http::write_header(stream, serializer, ec);
  } else {
    http::write(stream, request, ec);  // on a refusal the server may close mid-write: read anyway
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(16 * 1024 * 1024);
  http::read(stream, buffer, parser, ec);
  if (ec) {
    ADD_FAILURE() << "no answer to " << path << ": " << ec.message();
    return {};
  }
  ApiResponse response = ToApiResponse(parser.get());
  stream.shutdown(ec);
  RememberCookies(response);
  return response;
}

void ApiClient::RememberCookies(const ApiResponse& response) {
  for (const std::string& header : response.set_cookies) {
    const ParsedSetCookie cookie = ParseSetCookie(header);
    if (cookie.remove) {
      cookies_.erase(cookie.name);
    } else {
      cookies_[cookie.name] = cookie.value;
    }
  }
  // The login answers and GET /api/me hand out the CSRF token (me rotates it).
  const std::string csrf = response.String("csrf");
  if (!csrf.empty()) csrf_ = csrf;
}

// --------------------------------------------------------------------- BrokerApiHarness

struct BrokerApiHarness::Services {
  std::unique_ptr<AuditLog> audit;
  std::unique_ptr<broker::SqliteStore> store;
  std::unique_ptr<auth::PamPasswordVerifier> verifier;
  std::unique_ptr<auth::Lockout> lockout;
  std::unique_ptr<WorkerPool> pool;
  std::unique_ptr<auth::PasswordChecker> passwords;
  std::unique_ptr<auth::TotpVerifier> totp;
  std::unique_ptr<auth::FactorSecretBox> secret_box;
  std::unique_ptr<auth::WebAuthn> webauthn;
  std::unique_ptr<auth::TicketIssuer> tickets;
  std::unique_ptr<broker::WebSessions> web_sessions;
  asio::io_context io;
  std::unique_ptr<asio::ssl::context> tls;
  std::unique_ptr<broker::Router> router;
  std::unique_ptr<broker::HttpServer> server;
  std::thread thread;
};

BrokerApiHarness::BrokerApiHarness() = default;

BrokerApiHarness::~BrokerApiHarness() {
  if (!services_) return;
  if (services_->server) services_->server->Stop();
  services_->io.stop();
  if (services_->thread.joinable()) services_->thread.join();
  // The pool's threads call the verifier and the lockout: stop them first.
  if (services_->pool) services_->pool->Shutdown();
  ctx_.reset();
  services_.reset();
}

broker::Store& BrokerApiHarness::store() { return *services_->store; }

std::uint16_t BrokerApiHarness::port() const { return services_->server->port(); }

config::Config BrokerApiHarness::MakeConfig() const {
  config::Config config = config::Defaults(dir_.path());
  config::ProjectConfig project;
  project.name = kTestProject;
  project.pool = "default";
  config.projects = {project};
  config.auth.pam_service = kBrokerApiPamService;
  config.auth.webauthn_origins = {kTestOrigin};
  return config;
}

Result<void> BrokerApiHarness::Start(BrokerApiOptions options) {
  PamWorld::Get();
  log::Init({"broker-api-test", log::Format::kText, spdlog::level::info, (dir_.path() / "broker.log").string()});
  pki_ = MakeTestPki();
  config_ = MakeConfig();
  services_ = std::make_unique<Services>();
  SAFEDESK_TRY(OpenServices(options));
  Services& s = *services_;
  ctx_ = std::make_unique<broker::BrokerContext>(broker::BrokerContext{
      config_, *s.store, *s.audit, clock_, random_, *s.web_sessions, *s.passwords, *s.totp, *s.secret_box,
      *s.webauthn, *s.tickets});
  return StartServer(options);
}

Result<void> BrokerApiHarness::OpenServices(const BrokerApiOptions& options) {
  Services& s = *services_;
  auto audit_key = Ed25519PrivateKey::Generate(random_);
  if (!audit_key) return audit_key.error();
  auto audit = AuditLog::Open(dir_.path() / "audit.log", std::move(*audit_key), AuditLogOptions{}, clock_);
  if (!audit) return audit.error();
  s.audit = std::move(*audit);
  auto store = broker::SqliteStore::Open(dir_.path() / "broker.sqlite");
  if (!store) return store.error();
  s.store = std::move(*store);
  SAFEDESK_TRY(broker::SeedProjects(config_, *s.store, *s.audit, clock_));
  s.verifier = std::make_unique<auth::PamPasswordVerifier>(kBrokerApiPamService);
  auth::LockoutOptions lockout;
  lockout.threshold = options.lockout_threshold;
  s.lockout = std::make_unique<auth::Lockout>(lockout, clock_, *s.audit);
  s.pool = std::make_unique<WorkerPool>(WorkerPoolOptions{2, 16});
  s.passwords = std::make_unique<auth::PasswordChecker>(*s.verifier, *s.lockout, *s.pool);
  s.totp = std::make_unique<auth::TotpVerifier>(auth::TotpOptions{}, clock_);
  auto box_key = random_.Bytes(32);
  if (!box_key) return box_key.error();
  auto box = auth::FactorSecretBox::FromKey(Secret(*box_key), random_);
  if (!box) return box.error();
  s.secret_box = std::make_unique<auth::FactorSecretBox>(std::move(*box));
  auto webauthn = auth::WebAuthn::Create({.rp_id = "localhost", .rp_name = "safedesk", .allowed_origins = {kTestOrigin}},
                                         clock_, random_, *s.audit);
  if (!webauthn) return webauthn.error();
  s.webauthn = std::move(*webauthn);
  auto ticket_key = Ed25519PrivateKey::Generate(random_);
  if (!ticket_key) return ticket_key.error();
  s.tickets = std::make_unique<auth::TicketIssuer>(std::move(*ticket_key), auth::TicketOptions{}, clock_, random_);
  s.web_sessions = std::make_unique<broker::WebSessions>(*s.store, clock_, random_, broker::WebSessionOptions{});
  return Ok();
}

Result<void> BrokerApiHarness::StartServer(const BrokerApiOptions& options) {
  Services& s = *services_;
  auto tls = net::MakeServerTlsContextFromPem(pki_.server.certificate_pem, pki_.server.private_key_pem, "");
  if (!tls) return tls.error();
  s.tls = std::move(*tls);
  // The broker's pages too, as the real broker serves them (the browser tests load them).
  s.router = std::make_unique<broker::Router>(SourceDir() / "web");
  broker::AddLoginRoutes(*s.router, *ctx_);
  if (options.add_routes) options.add_routes(*s.router, *ctx_);
  broker::HttpServerOptions server_options;
  server_options.max_body_bytes = config_.broker.max_body_bytes;
  s.server = std::make_unique<broker::HttpServer>(s.io, *s.tls, server_options, s.router->AsHandler());
  SAFEDESK_TRY(s.server->Listen("127.0.0.1", 0));
  s.thread = std::thread([&io = s.io] { io.run(); });
  return Ok();
}

void BrokerApiHarness::CreateUser(const std::string& name, const std::vector<std::string>& roles,
                                  const std::string& display_name) {
  broker::UserRecord user{name, display_name.empty() ? name : display_name, roles, false, UnixSeconds(clock_.Now())};
  auto created = services_->store->CreateUser(user);
  ASSERT_TRUE(created.ok()) << created.error().message;
  config_.projects.front().members.push_back(name);  // the server is idle between requests
  WriteProjects(config_);
  AddPamAccount(name, DefaultPassword(name));
}

void BrokerApiHarness::WriteProjects(const config::Config& config) {
  for (const config::ProjectConfig& configured : config.projects) {
    broker::ProjectRecord project = broker::ProjectFromConfig(configured);
    auto stored = services_->store->FindProject(project.name);
    ASSERT_TRUE(stored.ok()) << stored.error().message;
    const std::int64_t version = stored->has_value() ? (*stored)->version : 0;
    project.updated_by = "test";
    auto put = services_->store->PutProject(project, version);
    ASSERT_TRUE(put.ok() && *put) << "project " << project.name;
  }
}

void BrokerApiHarness::AddPamAccount(const std::string& name, const std::string& password) {
  PamWorld::Get().AddAccount(name, password);
}

// ----------------------------------------------------------------------------- logins

const Secret* BrokerApiHarness::TotpSecretOf(const std::string& user) const {
  const auto it = totp_secrets_.find(user);
  return it == totp_secrets_.end() ? nullptr : &it->second;
}

void BrokerApiHarness::SetTotpSecret(const std::string& user, Secret secret) { totp_secrets_[user] = std::move(secret); }

namespace {

std::string CodeAt(const Secret& secret, const auth::TotpParams& params, Clock::WallTime at) {
  auto code = auth::ComputeTotp(secret, params, at);
  if (!code) {
    ADD_FAILURE() << "ComputeTotp: " << code.error().message;
    return "";
  }
  return std::string(code->reveal());
}

}  // namespace

std::string BrokerApiHarness::NextTotpCode(const std::string& user) {
  const Secret* secret = TotpSecretOf(user);
  if (secret == nullptr) {
    ADD_FAILURE() << "no TOTP secret enrolled by the harness for " << user;
    return "";
  }
  const auth::TotpParams& params = ctx_->totp.options().params;
  clock_.Advance(params.step);
  return CodeAt(*secret, params, clock_.Now());
}

ApiResponse BrokerApiHarness::LoginWithTotp(ApiClient& client, const std::string& user, const std::string& password) {
  ApiResponse answer = client.Post("/api/login/password", json::object{{"username", user}, {"password", password}});
  if (answer.status != 200) return answer;
  if (answer.String("next") != "enroll") {
    return client.Post("/api/login/totp", json::object{{"code", NextTotpCode(user)}});
  }
  ApiResponse begun = client.Post("/api/enroll/totp/begin");
  if (begun.status != 200) return begun;
  auto seed = Base32Decode(begun.String("secret"));
  if (!seed) {
    ADD_FAILURE() << "enroll/totp/begin answered no base32 secret";
    return begun;
  }
  SetTotpSecret(user, Secret(*seed));
  // A fresh secret has no accepted step yet: the current code confirms it.
  const std::string code = CodeAt(*TotpSecretOf(user), ctx_->totp.options().params, clock_.Now());
  return client.Post("/api/enroll/totp/finish", json::object{{"code", code}, {"label", "harness"}});
}

ApiClient BrokerApiHarness::LoginWithTotp(const std::string& user) {
  ApiClient client = NewClient();
  const ApiResponse answer = LoginWithTotp(client, user, DefaultPassword(user));
  EXPECT_EQ(answer.status, 200) << "login of " << user << " failed: " << answer.body;
  return client;
}

ApiResponse BrokerApiHarness::StepUpWithTotp(ApiClient& client, const std::string& user) {
  return client.Post("/api/stepup/totp", json::object{{"code", NextTotpCode(user)}});
}

// ------------------------------------------------------------------------------ audit

std::vector<AuditRecord> BrokerApiHarness::AuditRecords() const {
  std::vector<AuditRecord> out;
  std::istringstream lines(AuditText());
  std::string line;
  while (std::getline(lines, line)) {
    auto record = ParseAuditRecord(line);
    if (record) out.push_back(std::move(*record));
  }
  return out;
}

std::vector<AuditRecord> BrokerApiHarness::AuditOfType(std::string_view type) const {
  std::vector<AuditRecord> out;
  for (AuditRecord& record : AuditRecords()) {
    if (record.type == type) out.push_back(std::move(record));
  }
  return out;
}

std::string BrokerApiHarness::AuditText() const { return ReadFile(dir_.path() / "audit.log"); }

std::string BrokerApiHarness::LogText() const {
  log::Main()->flush();
  return ReadFile(dir_.path() / "broker.log");
}

// ------------------------------------------------------------------------------ fixture

void BrokerApiTest::SetUp() {
  BrokerApiOptions options = Options();
  auto extra = std::move(options.add_routes);
  options.add_routes = [this, extra](broker::Router& router, broker::BrokerContext& ctx) {
    AddRoutes(router, ctx);
    if (extra) extra(router, ctx);
  };
  auto started = harness_.Start(std::move(options));
  ASSERT_TRUE(started.ok()) << started.error().message;
}

void BrokerApiTest::AddRoutes(broker::Router&, broker::BrokerContext&) {}

}  // namespace safedesk::testing
