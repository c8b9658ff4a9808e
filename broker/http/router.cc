#include "broker/http/router.h"

#include <boost/asio/use_awaitable.hpp>

#include <fstream>
#include <sstream>

namespace safedesk::broker {
namespace {

constexpr std::size_t kMaxStaticFileBytes = 4 * 1024 * 1024;  // pages and modules are small

std::string_view PathOf(std::string_view target) {
  const auto q = target.find('?');
  return q == std::string_view::npos ? target : target.substr(0, q);
}

bool SafeSegment(std::string_view segment) {
  if (segment.empty() || segment.front() == '.') return false;  // "..", ".git", hidden files
  for (char c : segment) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;  // also refuses '%': no percent-decoding games
  }
  return true;
}

}  // namespace

Router::Router(std::filesystem::path web_root) : web_root_(std::move(web_root)) {}

void Router::Add(http::verb method, std::string path, Handler handler) {
  routes_[{std::move(path), method}] = std::move(handler);
}

boost::asio::awaitable<Response> Router::Handle(const Request& request, const RequestContext& context) const {
  const std::string path(PathOf(request.target()));
  const auto route = routes_.find({path, request.method()});
  if (route != routes_.end()) co_return co_await route->second(request, context);
  for (const auto& [key, handler] : routes_) {
    if (key.first == path) co_return ErrorResponse(http::status::method_not_allowed, "method_not_allowed", request);
  }
  if (path.rfind("/api/", 0) == 0 || request.method() != http::verb::get) {
    co_return ErrorResponse(http::status::not_found, "not_found", request);
  }
  co_return ServeStatic(request);
}

Handler Router::AsHandler() const {
  return [this](const Request& request, const RequestContext& context) { return Handle(request, context); };
}

Response Router::ServeStatic(const Request& request) const {
  if (web_root_.empty()) return ErrorResponse(http::status::not_found, "not_found", request);
  auto file = ResolveStaticPath(web_root_, PathOf(request.target()));
  std::error_code ec;
  if (!file.empty() && std::filesystem::is_directory(file, ec)) file /= "index.html";
  if (file.empty() || !std::filesystem::is_regular_file(file, ec) ||
      std::filesystem::file_size(file, ec) > kMaxStaticFileBytes) {
    return ErrorResponse(http::status::not_found, "not_found", request);
  }
  std::ifstream in(file, std::ios::binary);
  std::ostringstream body;
  body << in.rdbuf();
  Response response(http::status::ok, request.version());
  response.set(http::field::content_type, ContentTypeFor(file));
  response.set(http::field::cache_control, "no-cache");
  response.keep_alive(request.keep_alive());
  response.body() = body.str();
  return response;
}

std::string_view ContentTypeFor(const std::filesystem::path& file) {
  const std::string ext = file.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  return "application/octet-stream";
}

std::filesystem::path ResolveStaticPath(const std::filesystem::path& root, std::string_view target) {
  if (target.empty() || target.front() != '/') return {};
  std::filesystem::path result = root;
  std::size_t start = 1;
  while (start <= target.size()) {
    const std::size_t end = std::min(target.find('/', start), target.size());
    const std::string_view segment = target.substr(start, end - start);
    if (segment.empty() && end == target.size()) break;  // trailing slash: a directory
    if (!SafeSegment(segment)) return {};
    result /= std::string(segment);
    start = end + 1;
  }
  return result;
}

}  // namespace safedesk::broker
