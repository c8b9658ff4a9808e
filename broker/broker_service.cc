#include "broker/broker_service.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "auth/lockout.h"
#include "auth/privsep_password.h"
#include "broker/admin_api.h"
#include "broker/agent_certs.h"
#include "broker/audit_api_routes.h"
#include "broker/broker_context.h"
#include "broker/component_routes.h"
#include "broker/desktop_pool.h"
#include "broker/login_routes.h"
#include "broker/projects.h"
#include "broker/provider_host_process.h"
#include "broker/provider_sandbox.h"
#include "broker/requests_api.h"
#include "broker/session_start.h"
#include "broker/http/http_server.h"
#include "broker/http/router.h"
#include "net/tls_context.h"
#include "broker/store/sqlite_store.h"
#include "common/audit_events.h"
#include "common/audit_log.h"
#include "common/log.h"
#include "common/session_grant.h"
#include "common/worker_pool.h"
#include "config/cli.h"

namespace safedesk::broker {
namespace {

namespace asio = boost::asio;

constexpr int kIoThreads = 2;  // network threads; blocking work (PAM) runs on the auth pool

// Everything the running broker owns, opened in dependency order (and destroyed in
// reverse: the worker pool stops before the verifier and lockout it calls).
struct Services {
  std::unique_ptr<AuditLog> audit;
  std::unique_ptr<SqliteStore> store;
  std::unique_ptr<asio::ssl::context> tls;
  std::unique_ptr<auth::PasswordVerifier> verifier;
  std::unique_ptr<auth::Lockout> lockout;
  std::unique_ptr<WorkerPool> pool;
  std::unique_ptr<auth::PasswordChecker> passwords;
  std::unique_ptr<auth::TotpVerifier> totp;
  std::unique_ptr<auth::FactorSecretBox> secret_box;
  std::unique_ptr<auth::WebAuthn> webauthn;
  std::unique_ptr<auth::TicketIssuer> tickets;
  std::unique_ptr<WebSessions> web_sessions;
};

// The privileged PAM helper, the agent: executables installed beside the broker's own.
std::string Sibling(std::string_view name) {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (ec ? std::filesystem::path(name) : self.parent_path() / name).string();
}

auth::TotpOptions TotpOptionsFrom(const config::AuthConfig& a) {
  auth::TotpOptions options;
  options.params.algorithm = a.totp_algorithm == config::TotpAlgorithm::kSha256   ? auth::TotpAlgorithm::kSha256
                             : a.totp_algorithm == config::TotpAlgorithm::kSha512 ? auth::TotpAlgorithm::kSha512
                                                                                  : auth::TotpAlgorithm::kSha1;
  options.params.digits = a.totp_digits;
  options.params.step = std::chrono::duration_cast<std::chrono::seconds>(a.totp_step);
  options.skew_steps = a.totp_skew_steps;
  return options;
}

Result<void> OpenAuth(const config::Config& config, Services& s) {
  const config::AuthConfig& a = config.auth;
  auto verifier = auth::HelperPasswordVerifier::Spawn(
      {Sibling("safedesk-auth-helper"), a.pam_service, static_cast<std::size_t>(a.pam_workers), std::chrono::seconds(30)});
  if (!verifier) return MakeError(verifier.error().code, "PAM helper: " + verifier.error().message);
  s.verifier = std::move(*verifier);
  s.lockout = std::make_unique<auth::Lockout>(
      auth::LockoutOptions{a.lockout_threshold, std::chrono::duration_cast<std::chrono::seconds>(a.lockout_window),
                           std::chrono::duration_cast<std::chrono::seconds>(a.lockout_duration), 10'000},
      SystemClock(), *s.audit);
  s.pool = std::make_unique<WorkerPool>(WorkerPoolOptions{static_cast<std::size_t>(a.pam_workers), 64});
  s.passwords = std::make_unique<auth::PasswordChecker>(*s.verifier, *s.lockout, *s.pool);
  s.totp = std::make_unique<auth::TotpVerifier>(TotpOptionsFrom(a), SystemClock());
  auto box = auth::FactorSecretBox::LoadKeyFile(a.secret_key_file.string(), SystemRandom());
  if (!box) return MakeError(box.error().code, "auth.secret_key_file: " + box.error().message);
  s.secret_box = std::make_unique<auth::FactorSecretBox>(std::move(*box));
  auth::WebAuthnOptions webauthn{a.webauthn_rp_id, a.webauthn_rp_name, a.webauthn_origins,
                                 std::chrono::duration_cast<std::chrono::seconds>(a.webauthn_challenge_ttl)};
  auto made = auth::WebAuthn::Create(std::move(webauthn), SystemClock(), SystemRandom(), *s.audit);
  if (!made) return MakeError(made.error().code, "WebAuthn: " + made.error().message);
  s.webauthn = std::move(*made);
  auto ticket_key = Ed25519PrivateKey::LoadPemFile(a.ticket_signing_key);
  if (!ticket_key) return ticket_key.error();
  auth::TicketOptions ticket_options;
  ticket_options.ttl = std::chrono::duration_cast<std::chrono::seconds>(a.ticket_ttl);
  s.tickets = std::make_unique<auth::TicketIssuer>(std::move(*ticket_key), ticket_options, SystemClock(), SystemRandom());
  return Ok();
}

Result<void> Require(const config::Config& config, const std::filesystem::path& path, std::string_view key) {
  if (!path.empty()) return Ok();
  const auto where = config.LocationOf(key);
  return MakeError(Errc::kInvalidArgument,
                   fmt::format("{}: {} is not set: the broker needs it to start", where.file, key));
}

Result<Services> OpenServices(const config::Config& config) {
  SAFEDESK_TRY(Require(config, config.audit.signing_key, "audit.signing_key"));
  SAFEDESK_TRY(Require(config, config.auth.secret_key_file, "auth.secret_key_file"));
  SAFEDESK_TRY(Require(config, config.auth.ticket_signing_key, "auth.ticket_signing_key"));
  SAFEDESK_TRY(Require(config, config.broker.tls_cert, "broker.tls_cert"));
  SAFEDESK_TRY(Require(config, config.broker.tls_key, "broker.tls_key"));
  Services services;
  auto key = Ed25519PrivateKey::LoadPemFile(config.audit.signing_key);
  if (!key) return key.error();
  std::filesystem::create_directories(config.audit.file.parent_path());
  const AuditLogOptions audit_options{config.audit.checkpoint_every,
                                      std::chrono::duration_cast<std::chrono::microseconds>(config.audit.group_commit_delay)};
  auto audit = AuditLog::Open(config.audit.file, std::move(*key), audit_options, SystemClock());
  if (!audit) return MakeError(audit.error().code, "audit log: " + audit.error().message);
  services.audit = std::move(*audit);
  std::filesystem::create_directories(config.broker.state_db.parent_path());
  auto store = SqliteStore::Open(config.broker.state_db);
  if (!store) return MakeError(store.error().code, "state store: " + store.error().message);
  services.store = std::move(*store);
  auto seeded = SeedProjects(config, *services.store, *services.audit, SystemClock());
  if (!seeded) return MakeError(seeded.error().code, "projects: " + seeded.error().message);
  auto tls = net::MakeServerTlsContext({config.broker.tls_cert, config.broker.tls_key, {}});
  if (!tls) return MakeError(tls.error().code, "TLS: " + tls.error().message);
  services.tls = std::move(*tls);
  SAFEDESK_TRY(OpenAuth(config, services));
  WebSessionOptions session_options;
  session_options.absolute_ttl = std::chrono::duration_cast<std::chrono::seconds>(config.broker.session_cookie_ttl);
  services.web_sessions = std::make_unique<WebSessions>(*services.store, SystemClock(), SystemRandom(), session_options);
  return services;
}

HttpServerOptions ServerOptions(const config::Config& config) {
  HttpServerOptions options;
  options.max_body_bytes = config.broker.max_body_bytes;
  options.read_timeout = config.broker.read_timeout;
  options.max_connections_total = config.broker.max_connections;
  options.max_connections_per_address = config.broker.max_connections_per_address;
  options.source_allowed = [sources = config.broker.allowed_sources](const asio::ip::address& address) {
    const std::string text = address.is_v6() && address.to_v6().is_v4_mapped()
                                 ? asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string()
                                 : address.to_string();
    for (const auto& cidr : sources) {
      if (cidr.Contains(text)) return true;
    }
    return false;
  };
  return options;
}

void AddRoutes(Router& router, BrokerContext& ctx, DesktopProvider& provider) {
  AddLoginRoutes(router, ctx);
  AddRequestRoutes(router, ctx, provider);
  AddAdminRoutes(router, ctx, provider);
  AddAdminUserRoutes(router, ctx);
  AddAuditRoutes(router, ctx);
  router.Add(http::verb::get, "/api/health",
             [](const Request& request, const RequestContext&) -> asio::awaitable<Response> {
               co_return JsonResponse(http::status::ok,
                                      fmt::format(R"({{"status":"ok","version":"{}"}})", config::Version()),
                                      request.version(), request.keep_alive());
             });
}

// ---- Component listener (API.md "Components"): gateways and agents over mutual TLS.
struct ComponentListener {
  std::unique_ptr<asio::ssl::context> tls;
  std::unique_ptr<Router> router;
  std::unique_ptr<HttpServer> server;  // null when broker.client_ca is unset
};

Result<void> StartComponentListener(const config::Config& config, asio::io_context& io, BrokerContext& ctx,
                                    ComponentServices& components, ComponentListener& out) {
  if (config.broker.client_ca.empty()) {
    log::Main()->info("component API off: broker.client_ca is not set");
    return Ok();
  }
  auto tls = net::MakeServerTlsContext({config.broker.tls_cert, config.broker.tls_key, config.broker.client_ca});
  if (!tls) return MakeError(tls.error().code, "component TLS: " + tls.error().message);
  out.tls = std::move(*tls);
  out.router = std::make_unique<Router>();
  AddComponentRoutes(*out.router, ctx, components);
  HttpServerOptions options = ServerOptions(config);
  options.source_allowed = nullptr;  // components are not in the researchers' VPN pool; mTLS decides
  out.server = std::make_unique<HttpServer>(io, *out.tls, options, out.router->AsHandler());
  SAFEDESK_TRY(out.server->Listen(config.broker.component_listen.host, config.broker.component_listen.port));
  asio::co_spawn(io, SweepAgents(components.agents, std::chrono::seconds(1)), asio::detached);
  log::Main()->info("component API listening on https://{}:{}/ (client certificates required)",
                    config.broker.component_listen.host, out.server->port());
  return Ok();
}


// ---- Desktops: sandboxes (sandbox/DESIGN.md) when a helper is configured, started here
// while the broker may still be root; otherwise host processes (tests, development).
struct Desktops {
  std::unique_ptr<AgentCertIssuer> issuer;  // outlives the provider that uses it
  std::unique_ptr<DesktopProvider> provider;
};

Result<std::string> ReadText(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) return MakeError(Errc::kIo, "cannot read " + path.string());
  return text.str();
}

// With broker.agent_issuer_*: every sandbox runs the agent with its own certificate and
// is ready only once the agent registered with lockdown passed (OpenDesktops' status).
Result<void> AddAgents(const config::Config& config, Desktops& out,
                       SandboxProviderOptions& options, std::vector<std::string>& helper_args) {
  if (config.broker.agent_issuer_cert.empty()) {
    log::Main()->warn("sandbox desktops run without an agent: broker.agent_issuer_cert is not set");
    return Ok();
  }
  // A certificate outlives the longest session any grant allows (projects are edited in
  // the store), plus a day as a spare; the desktop, and its key, go long before.
  const std::chrono::seconds lifetime = kMaxGrantDuration + std::chrono::hours(24);
  auto issuer = AgentCertIssuer::Load(config.broker.agent_issuer_cert, config.broker.agent_issuer_key, SystemClock(),
                                      lifetime);
  if (!issuer) return MakeError(issuer.error().code, "broker.agent_issuer_cert: " + issuer.error().message);
  out.issuer = std::move(*issuer);
  // What agents trust for the broker and gateway: [agent] ca_cert, else the deployment CA.
  auto ca = ReadText(config.agent.ca_cert.empty() ? config.broker.client_ca : config.agent.ca_cert);
  if (!ca) return ca.error();
  options.agent_issuer = out.issuer.get();
  options.agent_ca_pem = std::move(*ca);
  options.agent_config_template = SandboxAgentConfigTemplate(config, options.net_prefix);
  helper_args.insert(helper_args.end(), {"--agent", Sibling("safedesk-agent")});
  return Ok();
}

Result<void> OpenDesktops(const config::Config& config, AgentRegistry& agents, Desktops& out) {
  if (config.broker.sandbox_helper.empty()) {
    HostProcessOptions provider_options;
    provider_options.runtime_dir = config.broker.state_db.parent_path() / "desktops";
    out.provider = std::make_unique<HostProcessProvider>(provider_options, SystemRandom());
    return Ok();
  }
  std::error_code ec;
  const auto runtime = std::filesystem::absolute(config.broker.state_db.parent_path() / "sandboxes", ec);
  std::vector<std::string> helper_args = {
      "--runtime-dir", runtime.string(), "--agent-feed-port", std::to_string(config.gateway.agent_feed_listen.port),
      "--registration-port", std::to_string(config.broker.component_listen.port)};
  SandboxProviderOptions options;
  SAFEDESK_TRY(AddAgents(config, out, options, helper_args));
  auto helper = sandbox::SandboxClient::Start({config.broker.sandbox_helper, std::move(helper_args)});
  if (!helper) return MakeError(helper.error().code, "sandbox helper: " + helper.error().message);
  int max_desktops = 0;
  for (const auto& pool : config.pools) max_desktops += pool.max_desktops;
  options.max_desktops = static_cast<std::size_t>(std::max(1, max_desktops));
  AgentStatusFn status = [&agents](const std::string& id) {
    switch (agents.Readiness(id)) {
      case AgentReadiness::kReady:
        return AgentStatus::kReady;
      case AgentReadiness::kLockdownFailed:
        return AgentStatus::kLockdownFailed;
      case AgentReadiness::kSilent:
        return AgentStatus::kSilent;
      default:
        return AgentStatus::kUnknown;
    }
  };
  out.provider = std::make_unique<SandboxProvider>(std::move(*helper), options, SystemRandom(), std::move(status));
  return Ok();
}

}  // namespace

int Run(const config::Config& config) {
  auto logger = log::Main();
  logger->info("safedesk-broker {} starting; config: {}", config::Version(), config.source);
  auto services = OpenServices(config);
  if (!services) {
    logger->error("safedesk-broker cannot start: {}", services.error().message);
    logger->flush();
    return config::kExitConfigError;
  }
  asio::io_context io;
  BrokerContext ctx{config, *services->store, *services->audit, SystemClock(), SystemRandom(),
                    *services->web_sessions, *services->passwords, *services->totp, *services->secret_box,
                    *services->webauthn, *services->tickets};
  ComponentServices components(*services->tickets, SystemClock(), *services->audit,
                               config.broker.agent_heartbeat_timeout);
  components.Attach(ctx);
  Desktops desktops;
  if (auto opened = OpenDesktops(config, components.agents, desktops); !opened) {
    logger->error("safedesk-broker cannot start its desktops: {}", opened.error().message);
    return config::kExitConfigError;
  }
  // Every start, spare and stop goes through the pools ([[pools]], DESIGN.md).
  DesktopPool pool(*desktops.provider, config, *services->store, SystemClock(), *services->audit);
  pool.SetSessionHooks([&ctx](const std::string& id) { return SessionLivenessOf(ctx, id); },
                       [&ctx](const std::string& session, const std::string& desktop) {
                         EndSessionOfLostDesktop(ctx, session, desktop);
                       });
  pool.SetStoppedHook([&components](const std::string& desktop) { components.agents.Forget(desktop); });
  DesktopProvider& provider = pool;
  components.desktops = &pool;  // a gateway's session.end stops the desktop
  Router router(config.broker.web_root);
  AddRoutes(router, ctx, provider);
  HttpServer server(io, *services->tls, ServerOptions(config), router.AsHandler());
  if (auto listening = server.Listen(config.broker.listen.host, config.broker.listen.port); !listening) {
    logger->error("safedesk-broker cannot start: {}", listening.error().message);
    return config::kExitConfigError;
  }
  ComponentListener component_listener;
  if (auto listening = StartComponentListener(config, io, ctx, components, component_listener); !listening) {
    logger->error("safedesk-broker cannot start: {}", listening.error().message);
    return config::kExitConfigError;
  }
  if (auto started = services->audit->Append(audit::ServiceStarted("safedesk-broker", config::Version())); !started) {
    logger->error("safedesk-broker cannot write its audit log: {}", started.error().message);
    return config::kExitConfigError;
  }
  pool.RunMaintenance();
  std::vector<std::thread> threads;
  for (int i = 0; i < kIoThreads; ++i) threads.emplace_back([&io] { io.run(); });
  // Flushed now: operators and tests wait for this line to know the service is up.
  logger->info("safedesk-broker listening on https://{}:{}/", config.broker.listen.host, server.port());
  logger->flush();
  const std::string_view signal = config::WaitForStopSignal();
  logger->info("safedesk-broker stopping cleanly on {}", signal);
  server.Stop();
  if (component_listener.server) component_listener.server->Stop();
  io.stop();
  for (auto& thread : threads) thread.join();
  pool.StopMaintenance();
  if (auto closed = services->audit->Close(); !closed) {
    logger->error("audit log close failed: {}", closed.error().message);
    return 1;
  }
  logger->flush();
  return 0;
}

}  // namespace safedesk::broker
