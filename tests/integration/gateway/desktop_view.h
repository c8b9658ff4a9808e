#pragma once
// DesktopView: a test's browser stand-in speaking gateway/BROWSER_PROTOCOL.md over WSS:
// hello with a ticket, control messages, frame messages decoded (PNG via libpng, JPEG via
// TurboJPEG) into a BGRX framebuffer, acks, and input messages. Synchronous, one thread.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace safedesk::testing {

class DesktopView {
 public:
  // `origin` goes in the upgrade's Origin header, as a browser sends it ("" sends none).
  DesktopView(std::uint16_t port, const std::string& ca_pem, std::string origin);
  ~DesktopView();

  bool Connect(std::string* failure = nullptr);
  void SendText(const boost::json::object& message);
  void Hello(const std::string& ticket) { SendText({{"type", "hello"}, {"ticket", ticket}}); }
  void Key(std::uint16_t scancode, bool down) { SendText({{"type", "key"}, {"code", scancode}, {"down", down}}); }
  void Pointer(int x, int y, int buttons = 0) { SendText({{"type", "pointer"}, {"x", x}, {"y", y}, {"buttons", buttons}}); }

  // Reads one message (within `timeout`); frames are drawn and acknowledged when
  // `ack` is set. Returns the control message, or an empty object for a frame;
  // nullopt on timeout (the read stays pending for the next call) or close.
  std::optional<boost::json::object> ReadOne(std::chrono::milliseconds timeout, bool ack = true);
  // Reads until a control message of `type` arrives.
  std::optional<boost::json::object> WaitFor(const std::string& type, std::chrono::milliseconds timeout);
  // Reads frames until `predicate(*this)` holds.
  template <typename Predicate>
  bool PumpUntil(Predicate predicate, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (predicate(*this)) return true;
      if (!ReadOne(std::chrono::milliseconds(500)) && closed_) return predicate(*this);
    }
    return predicate(*this);
  }

  // BGRX pixel at (x, y) as 0xRRGGBB.
  std::uint32_t Pixel(int x, int y) const;
  // Share of pixels in the rectangle equal to `rgb`.
  double Share(int x, int y, int width, int height, std::uint32_t rgb) const;
  int width() const { return width_; }
  int height() const { return height_; }
  std::uint64_t frames() const { return frames_; }
  std::uint64_t last_seq() const { return last_seq_; }
  bool closed() const { return closed_; }
  void Close();

 private:
  bool DrawFrame(const std::uint8_t* data, std::size_t size);

  boost::asio::io_context io_;
  boost::asio::ssl::context tls_{boost::asio::ssl::context::tls_client};
  std::uint16_t port_;
  std::string origin_;
  std::optional<boost::beast::websocket::stream<boost::beast::ssl_stream<boost::beast::tcp_stream>>> ws_;
  int width_ = 0;
  int height_ = 0;
  std::vector<std::uint8_t> framebuffer_;
  std::uint64_t frames_ = 0;
  std::uint64_t last_seq_ = 0;
  bool closed_ = false;
  boost::beast::flat_buffer read_buffer_;
  boost::beast::error_code read_result_;
  bool reading_ = false;
  bool read_done_ = false;
};

}  // namespace safedesk::testing
