#include "gateway/gateway_service.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <filesystem>
#include <optional>
#include <thread>
#include <vector>

#include "common/crypto.h"
#include "common/log.h"
#include "common/random.h"
#include "config/cli.h"
#include "gateway/agent_feed.h"
#include "gateway/broker_client.h"
#include "gateway/gateway_server.h"
#include "gateway/recorder.h"
#include "gateway/recording_recovery.h"
#include "gateway/session_registry.h"
#include "net/tls_context.h"

namespace safedesk::gateway {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr int kIoThreads = 2;
constexpr int kCrashReportAttempts = 8;  // ~2 minutes of backoff; then the next start

Result<tcp::endpoint> Endpoint(const config::HostPort& where) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(where.host, ec);
  if (ec) return MakeError(Errc::kInvalidArgument, "not an IP address: " + where.host);
  return tcp::endpoint(address, where.port);
}

Result<void> Listen(tcp::acceptor& acceptor, const config::HostPort& where) {
  auto endpoint = Endpoint(where);
  if (!endpoint) return endpoint.error();
  boost::system::error_code ec;
  acceptor.open(endpoint->protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(*endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return MakeError(Errc::kUnavailable, "cannot listen on " + where.ToString() + ": " + ec.message());
  return Ok();
}

Result<void> RequireSet(const config::Path& path, std::string_view key) {
  if (path.empty()) return MakeError(Errc::kInvalidArgument, std::string(key) + " is not set");
  return Ok();
}

KeyPolicy KeyPolicyFrom(config::SensitiveKeys keys) {
  switch (keys) {
    case config::SensitiveKeys::kFull: return KeyPolicy::kFull;
    case config::SensitiveKeys::kNever: return KeyPolicy::kNever;
    case config::SensitiveKeys::kRedacted: break;
  }
  return KeyPolicy::kRedacted;
}

PointerPolicy PointerPolicyFrom(config::PointerRecording pointer) {
  switch (pointer) {
    case config::PointerRecording::kClicks: return PointerPolicy::kClicks;
    case config::PointerRecording::kOff: return PointerPolicy::kOff;
    case config::PointerRecording::kFull: break;
  }
  return PointerPolicy::kFull;
}

// Every session is recorded: the factory makes a Recorder writing
// <recording.directory>/<session>.sdrec, sealed with recording.seal_key_file. Any
// failure refuses the session (fail closed).
ObserverFactory RecorderFactory(const config::RecordingConfig& recording) {
  return [&recording](const SessionInfo& info) -> Result<std::unique_ptr<SessionObserver>> {
    std::error_code ec;
    std::filesystem::create_directories(recording.directory, ec);
    if (ec) return MakeError(Errc::kIo, "recording directory: " + ec.message());
    auto seal_key = Ed25519PrivateKey::LoadPemFile(recording.seal_key_file.string());
    if (!seal_key) return seal_key.error();
    std::optional<Secret> aead_key;
    if (recording.encrypt) {
      auto key = ReadSmallFile(recording.encryption_key_file.string(), 4096);
      if (!key) return key.error();
      aead_key = Secret(std::string_view(*key));
      WipeBytes(key->data(), key->size());
    }
    RecorderOptions options;
    options.path = (recording.directory / (info.session_id + ".sdrec")).string();
    options.session_id = info.session_id;
    options.width = info.width;
    options.height = info.height;
    options.chunk_duration = std::chrono::duration_cast<std::chrono::milliseconds>(recording.chunk_duration);
    options.queue_frames = recording.queue_frames;
    options.masks.dilate_px = recording.mask_dilate_px;
    options.masks.history = std::chrono::duration_cast<std::chrono::milliseconds>(recording.mask_history);
    options.masks.stale_after = std::chrono::duration_cast<std::chrono::milliseconds>(recording.agent_stale_after);
    options.sensitive_keys = KeyPolicyFrom(recording.sensitive_keys);
    options.pointer = PointerPolicyFrom(recording.pointer);
    if (recording.encrypt) options.key_id = recording.encryption_key_file.filename().string();
    auto recorder = Recorder::Start(std::move(options), std::move(*seal_key), std::move(aead_key), SystemClock(),
                                    SystemRandom(), info.end_session);
    if (!recorder) return recorder.error();
    return std::unique_ptr<SessionObserver>(std::move(*recorder));
  };
}

// Tells the broker how each crashed session ended (gateway/DESIGN.md, "After a crash").
// A broker that cannot be reached is asked again a few times; what stays unreported keeps
// its marker and is reported at the next start.
asio::awaitable<void> ReportCrashedSessions(BrokerClient& broker, std::vector<CrashedRecording> owed,
                                            const bool& stopping) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  auto wait = std::chrono::seconds(1);
  for (int attempt = 0; attempt < kCrashReportAttempts && !owed.empty() && !stopping; ++attempt) {
    std::vector<CrashedRecording> left;
    for (CrashedRecording& crashed : owed) {
      auto reported = co_await broker.ReportEnd(crashed.session_id, crashed.EndReason());
      if (reported) {
        log::ForSession(crashed.session_id)->warn("gateway: reported the crashed session's end: {}", crashed.EndReason());
        MarkCrashReported(crashed);
      } else {
        log::ForSession(crashed.session_id)->warn("gateway: cannot report the crashed session's end yet: {}",
                                                  reported.error().message);
        left.push_back(std::move(crashed));
      }
    }
    owed = std::move(left);
    if (owed.empty()) break;
    timer.expires_after(wait);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    wait = std::min(wait * 2, std::chrono::seconds(30));
  }
}

}  // namespace

BrowserOptions BrowserOptionsFrom(const config::GatewayConfig& gateway) {
  BrowserOptions options;
  options.max_message_bytes = gateway.max_message_bytes;
  options.idle_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(gateway.idle_timeout);
  options.max_frame_rate = gateway.max_frame_rate;
  options.jpeg_quality = gateway.jpeg_quality;
  return options;
}

int Run(const config::Config& config) {
  auto logger = log::Main();
  logger->info("safedesk-gateway {} starting; config: {}", config::Version(), config.source);
  const auto& gw = config.gateway;
  for (auto [path, key] : {std::pair{&gw.tls_cert, "gateway.tls_cert"}, std::pair{&gw.tls_key, "gateway.tls_key"},
                           std::pair{&config.recording.seal_key_file, "recording.seal_key_file"},
                           std::pair{&gw.client_cert, "gateway.client_cert"},
                           std::pair{&gw.client_key, "gateway.client_key"}, std::pair{&gw.ca_cert, "gateway.ca_cert"}}) {
    if (auto set = RequireSet(*path, key); !set) {
      logger->error("safedesk-gateway cannot start: {}", set.error().message);
      return config::kExitConfigError;
    }
  }
  auto wss_tls = net::MakeServerTlsContext({gw.tls_cert, gw.tls_key, {}});
  auto broker_tls = net::MakeClientTlsContext({gw.ca_cert, gw.client_cert, gw.client_key});
  auto broker_endpoint = BrokerEndpoint::Parse(gw.broker_url);
  auto agent_tls = net::MakeServerTlsContext({gw.tls_cert, gw.tls_key, gw.ca_cert});
  auto seal_check = Ed25519PrivateKey::LoadPemFile(config.recording.seal_key_file.string());
  for (const Error* error : {wss_tls ? nullptr : &wss_tls.error(), broker_tls ? nullptr : &broker_tls.error(),
                             agent_tls ? nullptr : &agent_tls.error(), seal_check ? nullptr : &seal_check.error(),
                             broker_endpoint ? nullptr : &broker_endpoint.error()}) {
    if (error != nullptr) {
      logger->error("safedesk-gateway cannot start: {}", error->message);
      return config::kExitConfigError;
    }
  }

  // Before any new session: seal what a crash left (the recording directory is this
  // gateway's alone) and keep the list of ends the broker has to hear.
  std::vector<CrashedRecording> crashed = RecoverCrashedRecordings(config.recording.directory, *seal_check);

  asio::io_context io(kIoThreads);
  SessionRegistry registry({gw.max_connections_total, gw.max_connections_per_user});
  BrokerClient broker(io.get_executor(), **broker_tls, *broker_endpoint);
  GatewayShared shared;
  shared.options = BrowserOptionsFrom(gw);
  // The desktop page comes from the broker: its origin is the only one let in.
  shared.options.allowed_origin = OriginOf(config.broker.public_url);
  shared.broker = &broker;
  shared.registry = &registry;
  shared.clock = &SystemClock();
  AgentFeed agent_feed;
  shared.masks = &agent_feed;
  shared.observers = RecorderFactory(config.recording);

  tcp::acceptor browsers(io);
  if (auto listening = Listen(browsers, gw.listen); !listening) {
    logger->error("safedesk-gateway cannot start: {}", listening.error().message);
    return config::kExitConfigError;
  }
  tcp::acceptor metrics(io);
  if (gw.metrics_listen) {
    if (auto listening = Listen(metrics, *gw.metrics_listen); !listening) {
      logger->error("safedesk-gateway cannot start: {}", listening.error().message);
      return config::kExitConfigError;
    }
    asio::co_spawn(io, ServeMetrics(registry, metrics), asio::detached);
  }
  tcp::acceptor agents(io);
  if (auto listening = Listen(agents, gw.agent_feed_listen); !listening) {
    logger->error("safedesk-gateway cannot start: {}", listening.error().message);
    return config::kExitConfigError;
  }
  asio::co_spawn(io, agent_feed.Accept(**agent_tls, agents), asio::detached);
  bool stopping = false;
  asio::co_spawn(io, AcceptBrowsers(shared, **wss_tls, browsers), asio::detached);
  asio::co_spawn(io, FollowOrders(shared, stopping), asio::detached);
  if (!crashed.empty()) asio::co_spawn(io, ReportCrashedSessions(broker, std::move(crashed), stopping), asio::detached);

  std::vector<std::thread> threads;
  for (int i = 0; i < kIoThreads; ++i) threads.emplace_back([&io] { io.run(); });
  // Flushed now: operators and tests wait for this line to know the service is up.
  logger->info("safedesk-gateway listening on wss://{}:{}/", gw.listen.host, browsers.local_endpoint().port());
  logger->flush();
  const std::string_view signal = config::WaitForStopSignal();
  logger->info("safedesk-gateway stopping cleanly on {}", signal);
  asio::post(io, [&] {
    stopping = true;
    boost::system::error_code ec;
    browsers.close(ec);
    metrics.close(ec);
    agents.close(ec);
  });
  registry.TerminateAll("gateway stopping");
  // Sessions close their WebSockets, stop their links and report their end.
  for (int i = 0; i < 50 && !registry.Snapshot().empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  io.stop();
  for (auto& thread : threads) thread.join();
  logger->flush();
  return 0;
}

}  // namespace safedesk::gateway
