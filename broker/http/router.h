#pragma once
// Maps (method, path) to handlers, serves the pages under web_root as static files,
// and answers everything else with a JSON 404/405. Paths are matched exactly; the
// static file server refuses anything that is not a plain relative path.

#include <filesystem>
#include <map>
#include <string>
#include <utility>

#include "broker/http/http_server.h"

namespace safedesk::broker {

class Router {
 public:
  explicit Router(std::filesystem::path web_root = {});

  void Add(http::verb method, std::string path, Handler handler);

  // The server's handler: dispatches to routes, then static files.
  boost::asio::awaitable<Response> Handle(const Request& request, const RequestContext& context) const;
  Handler AsHandler() const;

 private:
  Response ServeStatic(const Request& request) const;

  std::filesystem::path web_root_;
  std::map<std::pair<std::string, http::verb>, Handler> routes_;
};

// The Content-Type for a static file's extension (only the types the pages use).
std::string_view ContentTypeFor(const std::filesystem::path& file);
// Maps a request target to a file under root, or an empty path if it must not be served
// (parent references, hidden files, encoded separators, anything outside root).
std::filesystem::path ResolveStaticPath(const std::filesystem::path& root, std::string_view target);

}  // namespace safedesk::broker
