#include "tests/integration/gateway/desktop_view.h"

#include <png.h>
#include <turbojpeg.h>
#include <webp/decode.h>

#include <cstring>

namespace safedesk::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace json = boost::json;

std::uint32_t U16(const std::uint8_t* p) { return (std::uint32_t{p[0]} << 8) | p[1]; }
std::uint32_t U32(const std::uint8_t* p) { return (U16(p) << 16) | U16(p + 2); }

bool DecodePng(const std::uint8_t* data, std::size_t size, int width, int height, std::vector<std::uint8_t>& out) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, data, size)) return false;
  image.format = PNG_FORMAT_BGRA;
  if (static_cast<int>(image.width) != width || static_cast<int>(image.height) != height) {
    png_image_free(&image);
    return false;
  }
  out.resize(PNG_IMAGE_SIZE(image));
  return png_image_finish_read(&image, nullptr, out.data(), 0, nullptr) != 0;
}

bool DecodeJpeg(const std::uint8_t* data, std::size_t size, int width, int height, std::vector<std::uint8_t>& out) {
  tjhandle handle = tjInitDecompress();
  out.resize(static_cast<std::size_t>(width) * height * 4);
  const int rc = tjDecompress2(handle, data, static_cast<unsigned long>(size), out.data(), width, width * 4, height,
                               TJPF_BGRX, 0);
  tjDestroy(handle);
  return rc == 0;
}

bool DecodeWebp(const std::uint8_t* data, std::size_t size, int width, int height, std::vector<std::uint8_t>& out) {
  out.resize(static_cast<std::size_t>(width) * height * 4);
  return WebPDecodeBGRAInto(data, size, out.data(), out.size(), width * 4) != nullptr;
}

}  // namespace

DesktopView::DesktopView(std::uint16_t port, const std::string& ca_pem, std::string origin)
    : port_(port), origin_(std::move(origin)) {
  tls_.add_certificate_authority(asio::buffer(ca_pem));
  tls_.set_verify_mode(asio::ssl::verify_peer);
}

DesktopView::~DesktopView() { Close(); }

bool DesktopView::Connect(std::string* failure) {
  ws_.emplace(io_, tls_);
  beast::error_code ec;
  auto& lowest = beast::get_lowest_layer(*ws_);
  lowest.expires_after(std::chrono::seconds(10));
  lowest.socket().connect({asio::ip::make_address("127.0.0.1"), port_}, ec);
  if (!ec) ws_->next_layer().handshake(asio::ssl::stream_base::client, ec);
  if (!origin_.empty()) {
    ws_->set_option(websocket::stream_base::decorator(
        [origin = origin_](websocket::request_type& request) { request.set(beast::http::field::origin, origin); }));
  }
  if (!ec) ws_->handshake("localhost", "/", ec);
  lowest.expires_never();
  if (ec && failure != nullptr) *failure = ec.message();
  return !ec;
}

void DesktopView::SendText(const json::object& message) {
  if (!ws_ || closed_) return;
  ws_->text(true);
  beast::error_code ec;
  ws_->write(asio::buffer(json::serialize(message)), ec);
  if (ec) closed_ = true;
}

std::optional<json::object> DesktopView::ReadOne(std::chrono::milliseconds timeout, bool ack) {
  if (!ws_ || closed_) return std::nullopt;
  // One read stays in flight across calls: cancelling a WebSocket read would leave the
  // stream unusable, so a timeout just returns and the next call goes on waiting.
  if (!reading_) {
    read_buffer_.clear();
    read_done_ = false;
    reading_ = true;
    ws_->async_read(read_buffer_, [this](beast::error_code ec, std::size_t) {
      read_result_ = ec;
      read_done_ = true;
    });
  }
  io_.restart();
  io_.run_for(timeout);
  if (!read_done_) return std::nullopt;
  reading_ = false;
  if (read_result_) {
    closed_ = true;
    return std::nullopt;
  }
  beast::flat_buffer& buffer = read_buffer_;
  if (ws_->got_text()) {
    json::error_code ec;
    json::value value = json::parse(beast::buffers_to_string(buffer.data()), ec);
    if (ec || !value.is_object()) return json::object{{"type", "malformed"}};
    json::object& object = value.get_object();
    const auto* type = object.if_contains("type");
    if (type != nullptr && type->is_string() && type->get_string() == "ready") {
      width_ = object["width"].to_number<int>();
      height_ = object["height"].to_number<int>();
    }
    return object;
  }
  const auto* data = static_cast<const std::uint8_t*>(buffer.data().data());
  if (DrawFrame(data, buffer.size()) && ack) SendText({{"type", "ack"}, {"seq", last_seq_}});
  return json::object{};
}

std::optional<json::object> DesktopView::WaitFor(const std::string& type, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline && !closed_) {
    auto message = ReadOne(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
    if (!message) return std::nullopt;
    const auto* t = message->if_contains("type");
    if (t != nullptr && t->is_string() && t->get_string() == type) return message;
    if (t != nullptr && t->is_string() && (t->get_string() == "error" || t->get_string() == "end")) return message;
  }
  return std::nullopt;
}

bool DesktopView::DrawFrame(const std::uint8_t* data, std::size_t size) {
  if (size < 7 || data[0] != 1) return false;
  last_seq_ = U32(data + 1);
  const std::uint32_t count = U16(data + 5);
  std::size_t offset = 7;
  std::vector<std::uint8_t> pixels;
  for (std::uint32_t i = 0; i < count; ++i) {
    if (offset + 13 > size) return false;
    const int x = static_cast<int>(U16(data + offset));
    const int y = static_cast<int>(U16(data + offset + 2));
    const int w = static_cast<int>(U16(data + offset + 4));
    const int h = static_cast<int>(U16(data + offset + 6));
    const int codec = data[offset + 8];
    const std::size_t length = U32(data + offset + 9);
    offset += 13;
    if (offset + length > size) return false;
    const bool ok = codec == 1   ? DecodePng(data + offset, length, w, h, pixels)
                    : codec == 2 ? DecodeJpeg(data + offset, length, w, h, pixels)
                    : codec == 3 ? DecodeWebp(data + offset, length, w, h, pixels)
                                 : false;
    offset += length;
    if (!ok) return false;
    if (x + w > width_ || y + h > height_) {
      // The first frame defines the size when no ready message said it yet.
      width_ = std::max(width_, x + w);
      height_ = std::max(height_, y + h);
    }
    if (framebuffer_.size() != static_cast<std::size_t>(width_) * height_ * 4) {
      framebuffer_.assign(static_cast<std::size_t>(width_) * height_ * 4, 0);
    }
    for (int row = 0; row < h; ++row) {
      std::memcpy(framebuffer_.data() + (static_cast<std::size_t>(y + row) * width_ + x) * 4,
                  pixels.data() + static_cast<std::size_t>(row) * w * 4, static_cast<std::size_t>(w) * 4);
    }
  }
  ++frames_;
  return true;
}

std::uint32_t DesktopView::Pixel(int x, int y) const {
  if (x < 0 || y < 0 || x >= width_ || y >= height_ || framebuffer_.empty()) return 0xFFFFFFFFu;
  const std::uint8_t* p = framebuffer_.data() + (static_cast<std::size_t>(y) * width_ + x) * 4;
  return (std::uint32_t{p[2]} << 16) | (std::uint32_t{p[1]} << 8) | p[0];
}

double DesktopView::Share(int x, int y, int width, int height, std::uint32_t rgb) const {
  std::size_t match = 0;
  std::size_t total = 0;
  for (int j = y; j < y + height; ++j) {
    for (int i = x; i < x + width; ++i) {
      ++total;
      if (Pixel(i, j) == rgb) ++match;
    }
  }
  return total == 0 ? 0.0 : static_cast<double>(match) / static_cast<double>(total);
}

void DesktopView::Close() {
  if (!ws_) return;
  beast::error_code ec;
  beast::get_lowest_layer(*ws_).socket().close(ec);
  if (reading_) {
    // The read in flight completes (aborted) before the stream goes away.
    io_.restart();
    io_.run();
    reading_ = false;
  }
  closed_ = true;
}

}  // namespace safedesk::testing
