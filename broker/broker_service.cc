#include "broker/broker_service.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>

#include <thread>
#include <vector>

#include "broker/http/http_server.h"
#include "broker/http/router.h"
#include "broker/http/tls_context.h"
#include "broker/store/sqlite_store.h"
#include "common/audit_events.h"
#include "common/audit_log.h"
#include "common/log.h"
#include "config/cli.h"

namespace safedesk::broker {
namespace {

namespace asio = boost::asio;

constexpr int kIoThreads = 2;  // network threads; blocking work (PAM) runs on the auth pool

// Everything the running broker owns, opened in dependency order.
struct Services {
  std::unique_ptr<AuditLog> audit;
  std::unique_ptr<SqliteStore> store;
  std::unique_ptr<asio::ssl::context> tls;
};

Result<void> Require(const config::Config& config, const std::filesystem::path& path, std::string_view key) {
  if (!path.empty()) return Ok();
  const auto where = config.LocationOf(key);
  return MakeError(Errc::kInvalidArgument,
                   fmt::format("{}: {} is not set: the broker needs it to start", where.file, key));
}

Result<Services> OpenServices(const config::Config& config) {
  SAFEDESK_TRY(Require(config, config.audit.signing_key, "audit.signing_key"));
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
  auto tls = MakeServerTlsContext({config.broker.tls_cert, config.broker.tls_key, {}});
  if (!tls) return MakeError(tls.error().code, "TLS: " + tls.error().message);
  services.tls = std::move(*tls);
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

void AddRoutes(Router& router) {
  router.Add(http::verb::get, "/api/health",
             [](const Request& request, const RequestContext&) -> asio::awaitable<Response> {
               co_return JsonResponse(http::status::ok,
                                      fmt::format(R"({{"status":"ok","version":"{}"}})", config::Version()),
                                      request.version(), request.keep_alive());
             });
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
  Router router(config.broker.web_root);
  AddRoutes(router);
  HttpServer server(io, *services->tls, ServerOptions(config), router.AsHandler());
  if (auto listening = server.Listen(config.broker.listen.host, config.broker.listen.port); !listening) {
    logger->error("safedesk-broker cannot start: {}", listening.error().message);
    return config::kExitConfigError;
  }
  if (auto started = services->audit->Append(audit::ServiceStarted("safedesk-broker", config::Version())); !started) {
    logger->error("safedesk-broker cannot write its audit log: {}", started.error().message);
    return config::kExitConfigError;
  }
  std::vector<std::thread> threads;
  for (int i = 0; i < kIoThreads; ++i) threads.emplace_back([&io] { io.run(); });
  // Flushed now: operators and tests wait for this line to know the service is up.
  logger->info("safedesk-broker listening on https://{}:{}/", config.broker.listen.host, server.port());
  logger->flush();
  const std::string_view signal = config::WaitForStopSignal();
  logger->info("safedesk-broker stopping cleanly on {}", signal);
  server.Stop();
  io.stop();
  for (auto& thread : threads) thread.join();
  if (auto closed = services->audit->Close(); !closed) {
    logger->error("audit log close failed: {}", closed.error().message);
    return 1;
  }
  logger->flush();
  return 0;
}

}  // namespace safedesk::broker
