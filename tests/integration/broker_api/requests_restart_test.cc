// Restarting the broker between a request and its approval loses nothing: the request,
// the researcher's browser session and the audit chain live in files, so a new process
// (here: a new BrokerContext over the same SQLite file and audit log) carries on. The
// shared harness cannot restart, so this test assembles the context itself and calls the
// router directly.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include "auth/lockout.h"
#include "auth/pam_password.h"
#include "broker/admin_api.h"
#include "broker/projects.h"
#include "broker/provider_host_process.h"
#include "broker/requests_api.h"
#include "broker/store/sqlite_store.h"
#include "common/audit_log.h"
#include "common/audit_verify.h"
#include "common/worker_pool.h"
#include "config/loader.h"
#include "tests/testing/test_support.h"

namespace safedesk::testing {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using broker::http::verb;

// One broker "process": everything a BrokerContext refers to, over files in `dir`.
struct BrokerRun {
  BrokerRun(const std::filesystem::path& dir, const config::Config& config, ManualClock& clock,
            const Ed25519PrivateKey& audit_key, broker::DesktopProvider& provider) {
    auto key = Ed25519PrivateKey::FromPem(audit_key.ToPem().reveal());
    audit = AuditLog::Open(dir / "audit.log", std::move(*key), AuditLogOptions{}, clock).value();
    store = broker::SqliteStore::Open(dir / "broker.sqlite").value();
    verifier = std::make_unique<auth::PamPasswordVerifier>("unused");
    lockout = std::make_unique<auth::Lockout>(auth::LockoutOptions{}, clock, *audit);
    pool = std::make_unique<WorkerPool>(WorkerPoolOptions{1, 4});
    passwords = std::make_unique<auth::PasswordChecker>(*verifier, *lockout, *pool);
    totp = std::make_unique<auth::TotpVerifier>(auth::TotpOptions{}, clock);
    box = std::make_unique<auth::FactorSecretBox>(auth::FactorSecretBox::FromKey(Secret(std::string(32, 'k')), random).value());
    webauthn = auth::WebAuthn::Create({.rp_id = "localhost", .rp_name = "t", .allowed_origins = {"https://localhost"}},
                                                 clock, random, *audit).value();
    tickets = std::make_unique<auth::TicketIssuer>(Ed25519PrivateKey::Generate(random).value(), auth::TicketOptions{},
                                                   clock, random);
    sessions = std::make_unique<broker::WebSessions>(*store, clock, random, broker::WebSessionOptions{});
    EXPECT_TRUE(broker::SeedProjects(config, *store, *audit, clock).ok());
    ctx = std::make_unique<broker::BrokerContext>(broker::BrokerContext{
        config, *store, *audit, clock, random, *sessions, *passwords, *totp, *box, *webauthn, *tickets});
    broker::AddRequestRoutes(router, *ctx, provider);
    broker::AddAdminRoutes(router, *ctx, provider);
  }
  ~BrokerRun() {
    pool->Shutdown();
    EXPECT_TRUE(audit->Close().ok());
  }

  json::value Call(verb method, const std::string& target, const broker::NewWebSession& who, json::object body = {}) {
    broker::Request request(method, target, 11);
    request.set(broker::http::field::cookie, std::string(broker::kSessionCookieName) + "=" +
                                                 std::string(who.cookie_value.reveal()));
    request.set(broker::kCsrfHeaderName, who.csrf_token);
    if (method == verb::post) request.body() = json::serialize(body);
    asio::io_context io;
    // Named: the handler coroutine keeps a reference to it until io.run() returns.
    const broker::RequestContext peer{"127.0.0.1", ""};
    auto answer = asio::co_spawn(io, router.Handle(request, peer), asio::use_future);
    io.run();
    const broker::Response response = answer.get();
    last_status = response.result_int();
    return json::parse(response.body());
  }

  OsRandom random;
  std::unique_ptr<AuditLog> audit;
  std::unique_ptr<broker::SqliteStore> store;
  std::unique_ptr<auth::PamPasswordVerifier> verifier;
  std::unique_ptr<auth::Lockout> lockout;
  std::unique_ptr<WorkerPool> pool;
  std::unique_ptr<auth::PasswordChecker> passwords;
  std::unique_ptr<auth::TotpVerifier> totp;
  std::unique_ptr<auth::FactorSecretBox> box;
  std::unique_ptr<auth::WebAuthn> webauthn;
  std::unique_ptr<auth::TicketIssuer> tickets;
  std::unique_ptr<broker::WebSessions> sessions;
  std::unique_ptr<broker::BrokerContext> ctx;
  broker::Router router;
  unsigned last_status = 0;
};

TEST(RequestsRestartTest, RestartBetweenRequestAndApprovalLosesNothing) {
  TempDir dir, desktops;
  config::Config config = config::Defaults(dir.path());
  config::ProjectConfig project;
  project.name = "genomics";
  project.pool = "default";
  project.members = {"rita", "ada"};
  config.projects = {project};
  ManualClock clock;
  OsRandom random;
  auto audit_key = Ed25519PrivateKey::Generate(random);
  ASSERT_TRUE(audit_key.ok());
  broker::HostProcessProvider provider({.runtime_dir = desktops.path()}, random);

  std::string request_id;
  std::optional<broker::NewWebSession> rita;
  {
    BrokerRun first(dir.path(), config, clock, *audit_key, provider);
    ASSERT_TRUE(first.store->CreateUser({"rita", "Rita", {"researcher"}, false, 0}).ok());
    ASSERT_TRUE(first.store->CreateUser({"ada", "Ada", {"administrator"}, false, 0}).ok());
    rita = first.sessions->Create("rita", "127.0.0.1", "password+totp").value();
    json::value created = first.Call(verb::post, "/api/requests", *rita,
                                     {{"project", "genomics"}, {"purpose", "restart"}, {"durationSeconds", 600}});
    ASSERT_EQ(first.last_status, 200u) << json::serialize(created);
    request_id = std::string(created.at("id").as_string());
  }
  clock.Advance(std::chrono::minutes(2));
  {
    BrokerRun second(dir.path(), config, clock, *audit_key, provider);
    auto ada = second.sessions->Create("ada", "127.0.0.1", "password+totp");
    ASSERT_TRUE(ada.ok());
    ASSERT_TRUE(second.sessions->MarkStepUp(ada->record).ok());
    json::value decided = second.Call(verb::post, "/api/admin/requests/decide", *ada,
                                      {{"id", request_id}, {"approve", true}, {"reason", "fine"}});
    ASSERT_EQ(second.last_status, 200u) << json::serialize(decided);
    EXPECT_EQ(decided.at("state").as_string(), "approved");
    json::value started = second.Call(verb::post, "/api/requests/start", *rita, {{"id", request_id}});
    ASSERT_EQ(second.last_status, 200u) << json::serialize(started) << " (rita's cookie survived the restart)";
  }
  std::vector<std::string> types;
  AuditVerifyOptions options;
  options.trusted_keys = {audit_key->public_key()};
  options.on_record = [&](const AuditRecord& record) { types.push_back(record.type); };
  auto report = VerifyAuditLog(dir.path() / "audit.log", options);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << FormatAuditVerifyReport(*report);
  for (const char* expected : {"request.created", "request.approved", "request.started", "session.start"}) {
    EXPECT_NE(std::find(types.begin(), types.end(), expected), types.end()) << expected;
  }
}

}  // namespace
}  // namespace safedesk::testing
