#include "gateway/browser_session.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>
#include <deque>
#include <mutex>

#include "common/log.h"
#include "common/secret.h"
#include "config/address.h"
#include "gateway/broker_client.h"
#include "gateway/frame_encoder.h"
#include "gateway/frame_relay.h"
#include "gateway/rdp_link.h"
#include "gateway/recorder.h"
#include "gateway/session_registry.h"
#include "gateway/watermark.h"

namespace safedesk::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using WsStream = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr int kMaxBlockedReports = 16;  // per session; more are counted in the log only
constexpr std::uint16_t kMaxScancode = 0x1FF;

void PutU16(std::vector<std::uint8_t>& out, int value) {
  out.push_back(static_cast<std::uint8_t>((value >> 8) & 0xFF));
  out.push_back(static_cast<std::uint8_t>(value & 0xFF));
}
void PutU32(std::vector<std::uint8_t>& out, std::uint64_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>((value >> shift) & 0xFF));
}

const json::value* Field(const json::object& object, std::string_view key) { return object.if_contains(key); }

std::optional<std::int64_t> IntOf(const json::object& object, std::string_view key) {
  const json::value* v = Field(object, key);
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) return static_cast<std::int64_t>(v->get_uint64());
  return std::nullopt;
}

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(GatewayShared& shared, asio::ssl::context& tls, tcp::socket socket, asio::any_io_executor strand)
      : shared_(shared),
        strand_(strand),
        ws_(std::move(socket), tls),
        wake_(strand),
        pace_(strand),
        watchdog_(strand),
        encoder_(EncoderOptions{shared.options.jpeg_quality, 256}),
        stats_(std::make_shared<SessionStats>()) {
    boost::system::error_code ec;
    const auto remote = beast::get_lowest_layer(ws_).socket().remote_endpoint(ec);
    source_ = ec ? std::string("unknown") : remote.address().to_string();
  }

  asio::awaitable<void> Run();

 private:
  asio::awaitable<bool> Handshake();
  bool OriginAllowed(const beast::http::request<beast::http::empty_body>& upgrade) const;
  asio::awaitable<std::optional<std::string>> ReadHello();
  asio::awaitable<void> ReadLoop();
  asio::awaitable<void> SendLoop();
  asio::awaitable<void> Watchdog();
  asio::awaitable<void> Refuse(std::string message);
  void HandleInput(const json::object& message);
  void Wake();
  void End(std::string reason);  // strand only
  void PostEnd(std::string reason);  // any thread
  void QueueText(json::object message);
  Result<void> Observe(const FrameView& frame);
  void ObserveInput(const InputEvent& event);
  void RefreshWatermark();
  bool BuildFrameMessage(TakenUpdate& update, std::vector<std::uint8_t>& out);

  GatewayShared& shared_;
  asio::any_io_executor strand_;
  WsStream ws_;
  asio::steady_timer wake_;
  asio::steady_timer pace_;
  asio::steady_timer watchdog_;
  std::string source_;

  std::optional<RedeemedSession> session_;
  std::unique_ptr<FrameRelay> relay_;
  std::unique_ptr<RdpLink> link_;
  std::mutex observer_mu_;
  std::unique_ptr<SessionObserver> observer_;
  std::uint64_t mask_token_ = 0;
  FrameEncoder encoder_;
  Watermark watermark_;
  std::int64_t watermark_minute_ = -1;
  std::shared_ptr<SessionStats> stats_;
  std::shared_ptr<spdlog::logger> log_ = log::Main();

  std::deque<std::string> text_out_;
  bool wake_flag_ = false;
  bool ended_ = false;
  bool finished_ = false;  // the closing handshake is done
  std::string end_reason_;
  std::uint64_t sent_seq_ = 0;
  std::uint64_t acked_seq_ = 0;
  std::chrono::steady_clock::time_point last_send_{};
  std::chrono::steady_clock::time_point last_input_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  int screen_width_ = 0;
  int screen_height_ = 0;
  int blocked_reports_ = 0;
  int malformed_ = 0;
};

bool Connection::OriginAllowed(const beast::http::request<beast::http::empty_body>& upgrade) const {
  const std::string_view origin = upgrade[beast::http::field::origin];
  if (shared_.options.allowed_origin.empty() || origin.size() != shared_.options.allowed_origin.size()) return false;
  return std::equal(origin.begin(), origin.end(), shared_.options.allowed_origin.begin(),
                    [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) ==
                                                std::tolower(static_cast<unsigned char>(b)); });
}

asio::awaitable<bool> Connection::Handshake() {
  auto& lowest = beast::get_lowest_layer(ws_);
  lowest.expires_after(shared_.options.hello_timeout);
  auto [tls_ec] = co_await ws_.next_layer().async_handshake(asio::ssl::stream_base::server, kUseTuple);
  if (tls_ec) {
    log_->info("gateway: TLS handshake from {} failed: {}", source_, tls_ec.message());
    co_return false;
  }
  lowest.expires_never();
  websocket::stream_base::timeout timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
  timeouts.handshake_timeout = shared_.options.hello_timeout;
  timeouts.idle_timeout = std::chrono::seconds(30);
  timeouts.keep_alive_pings = true;
  ws_.set_option(timeouts);
  ws_.read_message_max(shared_.options.max_message_bytes);
  ws_.auto_fragment(false);
  ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& response) {
    response.set(beast::http::field::server, "safedesk-gateway");
  }));
  beast::flat_buffer buffer;
  beast::http::request<beast::http::empty_body> upgrade;
  lowest.expires_after(shared_.options.hello_timeout);
  auto [read_ec, read_bytes] = co_await beast::http::async_read(ws_.next_layer(), buffer, upgrade, kUseTuple);
  (void)read_bytes;
  lowest.expires_never();
  if (read_ec) {
    log_->info("gateway: no upgrade request from {}: {}", source_, read_ec.message());
    co_return false;
  }
  if (!OriginAllowed(upgrade)) {
    log_->warn("gateway: WebSocket upgrade from {} refused: Origin \"{}\" is not the broker's page", source_,
               std::string(upgrade[beast::http::field::origin]).substr(0, 256));
    beast::http::response<beast::http::string_body> refusal(beast::http::status::forbidden, upgrade.version());
    refusal.set(beast::http::field::server, "safedesk-gateway");
    refusal.keep_alive(false);
    refusal.prepare_payload();
    lowest.expires_after(shared_.options.hello_timeout);
    auto [write_ec, written] = co_await beast::http::async_write(ws_.next_layer(), refusal, kUseTuple);
    (void)write_ec;
    (void)written;
    co_return false;
  }
  auto [accept_ec] = co_await ws_.async_accept(upgrade, kUseTuple);
  if (accept_ec) {
    log_->info("gateway: WebSocket upgrade from {} refused: {}", source_, accept_ec.message());
    co_return false;
  }
  co_return true;
}

asio::awaitable<std::optional<std::string>> Connection::ReadHello() {
  beast::flat_buffer buffer;
  asio::steady_timer timer(strand_);
  timer.expires_after(shared_.options.hello_timeout);
  auto self = shared_from_this();
  timer.async_wait([self](boost::system::error_code ec) {
    if (!ec) beast::get_lowest_layer(self->ws_).socket().close();  // silent client: cut it
  });
  auto [ec, bytes] = co_await ws_.async_read(buffer, kUseTuple);
  timer.cancel();
  if (ec) co_return std::nullopt;
  std::string text = beast::buffers_to_string(buffer.data());
  WipeBytes(buffer.data().data(), buffer.size());
  json::error_code parse_ec;
  json::value value = json::parse(text, parse_ec);
  WipeBytes(text.data(), text.size());
  const json::object* object = parse_ec ? nullptr : value.if_object();
  const json::value* type = object != nullptr ? object->if_contains("type") : nullptr;
  const json::value* ticket = object != nullptr ? object->if_contains("ticket") : nullptr;
  if (type == nullptr || !type->is_string() || type->get_string() != "hello" || ticket == nullptr ||
      !ticket->is_string()) {
    co_return std::nullopt;
  }
  std::string out(ticket->get_string());
  json::string& stored = value.get_object()["ticket"].get_string();
  WipeBytes(stored.data(), stored.size());
  co_return out;
}

asio::awaitable<void> Connection::Refuse(std::string message) {
  const std::string text = json::serialize(json::object{{"type", "error"}, {"message", message}});
  ws_.text(true);
  auto [write_ec, written] = co_await ws_.async_write(asio::buffer(text), kUseTuple);
  (void)write_ec;
  auto [close_ec] = co_await ws_.async_close(websocket::close_code::policy_error, kUseTuple);
  (void)close_ec;
}

void Connection::Wake() {
  wake_flag_ = true;
  wake_.cancel();
}

void Connection::End(std::string reason) {
  if (ended_) return;
  ended_ = true;
  end_reason_ = std::move(reason);
  if (link_) link_->Stop();
  wake_.cancel();
  pace_.cancel();
  watchdog_.cancel();
  // A browser that stopped reading cannot hold the end up: after a grace period the
  // socket is cut, which completes any write still waiting for it.
  auto cut = std::make_shared<asio::steady_timer>(strand_, std::chrono::seconds(3));
  cut->async_wait([self = shared_from_this(), cut](boost::system::error_code ec) {
    if (ec || self->finished_) return;
    boost::system::error_code close_ec;
    beast::get_lowest_layer(self->ws_).socket().close(close_ec);
  });
}

void Connection::PostEnd(std::string reason) {
  asio::post(strand_, [self = shared_from_this(), reason = std::move(reason)]() mutable { self->End(std::move(reason)); });
}

void Connection::QueueText(json::object message) {
  text_out_.push_back(json::serialize(message));
  Wake();
}

Result<void> Connection::Observe(const FrameView& frame) {
  const auto start = std::chrono::steady_clock::now();
  Result<void> result = Ok();
  {
    std::lock_guard lock(observer_mu_);
    if (!observer_) return Ok();
    result = observer_->OnFrame(frame);
  }
  stats_->observe_ns += static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count());
  return result;
}

void Connection::ObserveInput(const InputEvent& event) {
  Result<void> result = Ok();
  {
    std::lock_guard lock(observer_mu_);
    if (!observer_) return;
    result = observer_->OnInput(event);
  }
  if (!result) End("recording_failed: " + result.error().message);
}

void Connection::RefreshWatermark() {
  if (!session_ || !session_->grant.watermark || screen_width_ == 0) return;
  const std::int64_t now = UnixSeconds(shared_.clock->Now());
  const std::int64_t minute = now / 60;
  if (minute == watermark_minute_ && watermark_.width() == screen_width_ && watermark_.height() == screen_height_) {
    return;
  }
  watermark_minute_ = minute;
  watermark_ = Watermark(screen_width_, screen_height_, WatermarkText(session_->researcher, session_->session_id, now));
  if (relay_) relay_->MarkAllDirty();  // the new time reaches every pixel, not only changed ones
}

void Connection::HandleInput(const json::object& message) {
  const json::value* type_value = message.if_contains("type");
  if (type_value == nullptr || !type_value->is_string()) {
    if (malformed_++ < 8) log::ForSession(session_->session_id)->warn("gateway: browser message without a type ignored");
    return;
  }
  const std::string_view type = type_value->get_string();
  const auto now_system = std::chrono::system_clock::now();
  if (type == "ack") {
    auto seq = IntOf(message, "seq");
    if (seq && *seq >= 0 && static_cast<std::uint64_t>(*seq) <= sent_seq_ && static_cast<std::uint64_t>(*seq) > acked_seq_) {
      acked_seq_ = static_cast<std::uint64_t>(*seq);
      Wake();
    }
    return;
  }
  if (type == "key") {
    auto code = IntOf(message, "code");
    const json::value* down = message.if_contains("down");
    if (!code || *code <= 0 || *code > kMaxScancode || down == nullptr || !down->is_bool()) return;
    last_input_ = std::chrono::steady_clock::now();
    InputEvent event{.at = now_system, .kind = InputEvent::Kind::kKey, .scancode = static_cast<std::uint16_t>(*code),
                     .down = down->get_bool()};
    ObserveInput(event);
    if (link_) link_->SendKey(event.scancode, event.down);
    return;
  }
  if (type == "pointer" || type == "wheel") {
    auto x = IntOf(message, "x");
    auto y = IntOf(message, "y");
    if (!x || !y) return;
    const int cx = static_cast<int>(std::clamp<std::int64_t>(*x, 0, std::max(0, screen_width_ - 1)));
    const int cy = static_cast<int>(std::clamp<std::int64_t>(*y, 0, std::max(0, screen_height_ - 1)));
    last_input_ = std::chrono::steady_clock::now();
    if (type == "pointer") {
      auto buttons = IntOf(message, "buttons");
      const int b = buttons ? static_cast<int>(*buttons & 7) : 0;
      ObserveInput({.at = now_system, .kind = InputEvent::Kind::kPointer, .x = cx, .y = cy, .buttons = b});
      if (link_) link_->SendPointer(cx, cy, b);
    } else {
      auto delta = IntOf(message, "delta");
      if (!delta) return;
      const int d = static_cast<int>(std::clamp<std::int64_t>(*delta, -255, 255));
      ObserveInput({.at = now_system, .kind = InputEvent::Kind::kWheel, .x = cx, .y = cy, .wheel_delta = d});
      if (link_) link_->SendWheel(cx, cy, d);
    }
    return;
  }
  if (type == "blocked") {
    // A paste or a drop in the page: nothing of it crosses, only the fact is audited.
    const json::value* what = message.if_contains("what");
    std::string channel = "clipboard";
    if (what != nullptr && what->is_string() && what->get_string() == "drop") channel = "file-drop";
    auto bytes = IntOf(message, "bytes");
    const std::size_t size = bytes && *bytes > 0 ? static_cast<std::size_t>(*bytes) : 0;
    log::ForSession(session_->session_id)->info("gateway: browser {} blocked ({} bytes)", channel, size);
    if (blocked_reports_++ < kMaxBlockedReports) {
      asio::co_spawn(strand_, shared_.broker->ReportBlockedChannel(session_->session_id, channel, size),
                     [](std::exception_ptr, Result<void>) {});
    }
    return;
  }
  if (malformed_++ < 8) log::ForSession(session_->session_id)->warn("gateway: unknown browser message '{}' ignored", type);
}

asio::awaitable<void> Connection::ReadLoop() {
  auto self = shared_from_this();
  beast::flat_buffer buffer;
  while (!ended_) {
    auto [ec, bytes] = co_await ws_.async_read(buffer, kUseTuple);
    if (ec) {
      End(ec == websocket::error::closed ? "browser closed the connection" : "browser connection lost: " + ec.message());
      co_return;
    }
    if (!ws_.got_text()) {
      buffer.consume(buffer.size());
      continue;  // the browser sends no binary messages
    }
    json::error_code parse_ec;
    json::value value = json::parse(beast::buffers_to_string(buffer.data()), parse_ec);
    buffer.consume(buffer.size());
    if (parse_ec || !value.is_object()) {
      if (malformed_++ < 8) log::ForSession(session_->session_id)->warn("gateway: malformed browser message ignored");
      continue;
    }
    HandleInput(value.get_object());
  }
}

bool Connection::BuildFrameMessage(TakenUpdate& update, std::vector<std::uint8_t>& out) {
  out.clear();
  out.push_back(1);  // frame
  PutU32(out, sent_seq_ + 1);
  PutU16(out, static_cast<int>(update.rects.size()));
  const auto start = std::chrono::steady_clock::now();
  for (TakenRect& taken : update.rects) {
    const Rect& r = taken.rect;
    if (!watermark_.empty()) watermark_.Apply(taken.pixels.data(), r.width * 4, r.x, r.y, r.width, r.height);
    auto encoded = encoder_.Encode({taken.pixels.data(), r.width, r.height, r.width * 4});
    if (!encoded) {
      log::ForSession(session_->session_id)->error("gateway: encode failed: {}", encoded.error().message);
      return false;
    }
    PutU16(out, r.x);
    PutU16(out, r.y);
    PutU16(out, r.width);
    PutU16(out, r.height);
    out.push_back(static_cast<std::uint8_t>(encoded->codec));
    PutU32(out, encoded->bytes.size());
    out.insert(out.end(), encoded->bytes.begin(), encoded->bytes.end());
  }
  stats_->encode_ns += static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count());
  return true;
}

asio::awaitable<void> Connection::SendLoop() {
  auto self = shared_from_this();
  const auto min_interval = std::chrono::microseconds(1'000'000 / std::max(1, shared_.options.max_frame_rate));
  std::vector<std::uint8_t> message;
  TakenUpdate update;
  while (!ended_) {
    if (!wake_flag_) {
      wake_.expires_at(asio::steady_timer::time_point::max());
      co_await wake_.async_wait(kUseTuple);
      continue;  // re-check flags: a cancel is the wake-up
    }
    wake_flag_ = false;
    while (!text_out_.empty() && !ended_) {
      std::string text = std::move(text_out_.front());
      text_out_.pop_front();
      ws_.text(true);
      auto [ec, n] = co_await ws_.async_write(asio::buffer(text), kUseTuple);
      if (ec) {
        End("browser connection lost: " + ec.message());
        co_return;
      }
    }
    if (ended_ || !relay_ || !relay_->pending()) continue;
    if (sent_seq_ - acked_seq_ >= static_cast<std::uint64_t>(shared_.options.max_unacked_frames)) continue;  // an ack wakes us
    const auto now = std::chrono::steady_clock::now();
    if (now < last_send_ + min_interval) {
      pace_.expires_at(last_send_ + min_interval);
      co_await pace_.async_wait(kUseTuple);
      if (ended_) break;
    }
    if (!relay_->Take(update)) continue;
    stats_->queue_rects = update.rects.size();
    if (!BuildFrameMessage(update, message)) {
      End("encode_failed");
      break;
    }
    const auto send_start = std::chrono::steady_clock::now();
    stats_->frame_to_send.Add(std::chrono::duration_cast<std::chrono::microseconds>(send_start - update.oldest));
    last_send_ = send_start;
    ++sent_seq_;
    ws_.binary(true);
    auto [ec, n] = co_await ws_.async_write(asio::buffer(message), kUseTuple);
    if (ec) {
      End("browser connection lost: " + ec.message());
      co_return;
    }
    stats_->frames_out++;
    stats_->bytes_out += message.size();
    stats_->frames_in = relay_->frames_in();
    stats_->relay_bytes = relay_->memory_bytes() + message.capacity();
    if (relay_->pending()) wake_flag_ = true;
  }
}

asio::awaitable<void> Connection::Watchdog() {
  auto self = shared_from_this();
  const auto grant_idle = session_->grant.idle_timeout;
  const auto idle = grant_idle.count() > 0 ? std::chrono::duration_cast<std::chrono::milliseconds>(grant_idle)
                                           : shared_.options.idle_timeout;
  const auto max_duration = session_->grant.max_duration;
  while (!ended_) {
    watchdog_.expires_after(std::chrono::seconds(1));
    co_await watchdog_.async_wait(kUseTuple);
    if (ended_) break;
    const auto now = std::chrono::steady_clock::now();
    if (idle.count() > 0 && now - last_input_ > idle) {
      End("idle");
      break;
    }
    if (max_duration.count() > 0 && now - started_ > max_duration) {
      End("max_duration");
      break;
    }
    RefreshWatermark();
  }
}

asio::awaitable<void> Connection::Run() {
  auto self = shared_from_this();
  struct ReleaseOnExit {
    SessionRegistry* registry;
    ~ReleaseOnExit() { registry->ReleaseConnection(); }
  } release{shared_.registry};

  if (!co_await Handshake()) co_return;
  auto ticket = co_await ReadHello();
  if (!ticket) {
    log_->info("gateway: connection from {} sent no valid hello", source_);
    co_await Refuse("expected a hello with a ticket");
    co_return;
  }
  auto redeemed = co_await shared_.broker->Redeem(std::move(*ticket), source_);
  if (!redeemed) {
    log_->warn("gateway: ticket from {} refused: {}", source_, redeemed.error().message);
    co_await Refuse(redeemed.error().code == Errc::kPermissionDenied ? "ticket refused" : "cannot check the ticket now");
    co_return;
  }
  session_.emplace(std::move(*redeemed));
  log_ = log::ForSession(session_->session_id);
  const std::string session_id = session_->session_id;

  LiveSession live{session_id, session_->researcher, std::chrono::steady_clock::now(), stats_,
                   [weak = weak_from_this()](const std::string& reason) {
                     if (auto conn = weak.lock()) conn->PostEnd("terminated: " + reason);
                   }};
  if (!shared_.registry->Admit(std::move(live))) {
    log_->warn("gateway: {} has too many sessions open; refused", session_->researcher);
    co_await Refuse("too many open sessions");
    co_return;
  }

  relay_ = std::make_unique<FrameRelay>([weak = weak_from_this()] {
    if (auto conn = weak.lock()) asio::post(conn->strand_, [conn] { conn->Wake(); });
  });
  RdpTarget target{session_->vm_host, session_->vm_port, session_->vm_username, std::move(session_->vm_password),
                   1280, 800};
  RdpLinkHandlers handlers;
  // These run on the link's thread; `this` outlives the link (joined below).
  handlers.on_frame = [this](const FrameView& frame) -> Result<void> {
    SAFEDESK_TRY(Observe(frame));
    relay_->Update(frame);
    return Ok();
  };
  handlers.on_blocked_channel = [this](std::string_view channel, std::size_t bytes) {
    asio::post(strand_, [self = shared_from_this(), channel = std::string(channel), bytes] {
      self->log_->warn("gateway: desktop sent {} bytes on unopened channel {}: dropped", bytes, channel);
      if (self->blocked_reports_++ < kMaxBlockedReports) {
        asio::co_spawn(self->strand_, self->shared_.broker->ReportBlockedChannel(self->session_->session_id, channel, bytes),
                       [](std::exception_ptr, Result<void>) {});
      }
    });
  };
  handlers.on_connected = [this](int width, int height) -> Result<void> {
    // The recorder starts here, before the first frame; a session that cannot be
    // recorded does not go on.
    if (shared_.observers) {
      SessionInfo info{session_->session_id, session_->researcher, session_->desktop_id, session_->grant,
                       std::chrono::system_clock::now(), width, height,
                       [weak = weak_from_this()](const std::string& reason) {
                         if (auto conn = weak.lock()) conn->PostEnd(reason);
                       }};
      auto observer = shared_.observers(info);
      if (!observer) {
        // The detail (paths, errno) stays in the log; the browser and the broker's audit
        // get the reason. Posted before the link's own end, so this reason wins.
        log_->error("gateway: the session cannot be recorded: {}", observer.error().message);
        PostEnd(std::string(Recorder::kCannotStart));
        return MakeError(Errc::kUnavailable, Recorder::kCannotStart);
      }
      std::lock_guard lock(observer_mu_);
      observer_ = std::move(*observer);
    }
    if (shared_.masks != nullptr && !session_->desktop_id.empty()) {
      mask_token_ = shared_.masks->Subscribe(session_->desktop_id, [this](const MaskSnapshot& masks) {
        std::lock_guard lock(observer_mu_);
        if (observer_) observer_->OnMasks(masks);
      });
    }
    asio::post(strand_, [self = shared_from_this(), width, height] {
      self->screen_width_ = width;
      self->screen_height_ = height;
      self->RefreshWatermark();
      self->QueueText(json::object{{"type", "ready"},
                                   {"sessionId", self->session_->session_id},
                                   {"width", width},
                                   {"height", height}});
    });
    return Ok();
  };
  handlers.on_end = [this](const std::string& reason) { PostEnd("desktop: " + reason); };
  log_->info("gateway: session for {} from {} connecting to its desktop", session_->researcher, source_);
  link_ = RdpLink::Start(std::move(target), std::move(handlers));

  asio::co_spawn(strand_, ReadLoop(), asio::detached);
  asio::co_spawn(strand_, Watchdog(), asio::detached);
  co_await SendLoop();

  // The end: say why, close, then stop the link and let the recorder seal.
  log_->info("gateway: session ended: {}", end_reason_);
  {
    const std::string text = json::serialize(json::object{{"type", "end"}, {"reason", end_reason_}});
    ws_.text(true);
    auto [write_ec, n] = co_await ws_.async_write(asio::buffer(text), kUseTuple);
    (void)write_ec;
    auto [close_ec] = co_await ws_.async_close(websocket::close_code::normal, kUseTuple);
    (void)close_ec;
    finished_ = true;
  }
  link_.reset();  // joins the link's thread: no callback runs after this
  if (mask_token_ != 0) shared_.masks->Unsubscribe(mask_token_);
  {
    std::lock_guard lock(observer_mu_);
    if (observer_) observer_->OnEnd(end_reason_);
    observer_.reset();  // seals the recording before the broker hears of the end
  }
  shared_.registry->Retire(*stats_);
  shared_.registry->Remove(session_id);
  auto reported = co_await shared_.broker->ReportEnd(session_id, end_reason_);
  if (!reported) log_->warn("gateway: could not tell the broker the session ended: {}", reported.error().message);
}

}  // namespace

std::string OriginOf(std::string_view public_url) {
  auto url = config::ParseHttpsUrl(public_url);
  if (!url) return "";
  const bool v6 = url->host.find(':') != std::string::npos;
  std::string origin = "https://" + (v6 ? "[" + url->host + "]" : url->host);
  if (url->port != 443) origin += ":" + std::to_string(url->port);
  return origin;
}

asio::awaitable<void> ServeBrowser(GatewayShared& shared, asio::ssl::context& tls, tcp::socket socket) {
  auto strand = co_await asio::this_coro::executor;
  auto connection = std::make_shared<Connection>(shared, tls, std::move(socket), strand);
  co_await connection->Run();
}

}  // namespace safedesk::gateway
