#include "config/loader.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <system_error>
#include <tuple>

#include "config/document.h"
#include "config/reader.h"
#include "config/schema.h"

namespace safedesk::config {
namespace {

// The one place that knows every path-valued key, so resolution cannot miss one.
void ForEachPath(Config& c, const std::function<void(Path&)>& visit) {
  for (Path* p : {&c.log.file,
                  &c.broker.tls_cert,
                  &c.broker.tls_key,
                  &c.broker.client_ca,
                  &c.broker.agent_issuer_cert,
                  &c.broker.agent_issuer_key,
                  &c.broker.state_db,
                  &c.broker.web_root,
                  &c.gateway.tls_cert,
                  &c.gateway.tls_key,
                  &c.gateway.client_cert,
                  &c.gateway.client_key,
                  &c.gateway.ca_cert,
                  &c.agent.cert,
                  &c.agent.key,
                  &c.agent.ca_cert,
                  &c.auth.secret_key_file,
                  &c.auth.ticket_signing_key,
                  &c.auth.vici_socket,
                  &c.recording.directory,
                  &c.recording.encryption_key_file,
                  &c.recording.seal_key_file,
                  &c.audit.file,
                  &c.audit.signing_key}) {
    visit(*p);
  }
  for (ProjectConfig& project : c.projects) visit(project.dataset_path);
}

// Empty stays empty ("not configured"); absolute stays; relative joins `base_dir`.
void ResolvePaths(Config& config, const Path& base_dir) {
  config.base_dir = base_dir;
  ForEachPath(config, [&base_dir](Path& path) {
    if (!path.empty() && path.is_relative()) path = (base_dir / path).lexically_normal();
  });
}

// The defaults before resolution: member initializers plus the lists.
Config UnresolvedDefaults() {
  Config config;
  config.broker.allowed_sources = {*ParseCidr("127.0.0.0/8"), *ParseCidr("::1/128")};
  RoleConfig researcher;
  researcher.name = "researcher";
  researcher.can_request = true;
  RoleConfig administrator;
  administrator.name = "administrator";
  administrator.can_approve = true;
  administrator.can_admin = true;
  RoleConfig auditor;
  auditor.name = "auditor";
  auditor.can_audit = true;
  config.roles = {researcher, administrator, auditor};
  PoolConfig pool;
  pool.name = "default";
  config.pools = {pool};
  return config;
}

Result<std::string> ReadConfigFile(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return MakeError(
        Errc::kIo,
        fmt::format("cannot open: {}", std::error_code(errno, std::generic_category()).message()));
  }
  std::string text;
  text.resize(kMaxConfigBytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return MakeError(Errc::kIo, "cannot read the file");
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxConfigBytes) {
    return MakeError(Errc::kLimitExceeded,
                     fmt::format("the file is larger than {}; a configuration is a few KiB",
                                 FormatSize(kMaxConfigBytes)));
  }
  return text;
}

}  // namespace

std::string_view ComponentName(Component component) {
  switch (component) {
    case Component::kBroker:
      return "broker";
    case Component::kGateway:
      return "gateway";
    case Component::kAgent:
      return "agent";
    case Component::kCtl:
      return "ctl";
  }
  return "unknown";
}

std::string Diagnostic::ToString() const {
  std::string out = file;
  if (line > 0) out += fmt::format(":{}", line);
  if (line > 0 && column > 0) out += fmt::format(":{}", column);
  out += ": ";
  if (!key.empty()) out += key + ": ";
  return out + message;
}

Config Defaults(const std::filesystem::path& base_dir) {
  Config config = UnresolvedDefaults();
  ResolvePaths(config, base_dir);
  return config;
}

Config Defaults() {
  std::error_code ec;
  const Path cwd = std::filesystem::current_path(ec);
  return Defaults(ec ? Path("/") : cwd);
}

LoadResult LoadString(std::string_view text, std::string_view source_name,
                      const std::filesystem::path& base_dir) {
  LoadResult result;
  ParsedDocument document = ParseToml(text, source_name);
  if (document.error) {
    result.diagnostics.push_back(Diagnostic{std::string(source_name), document.error->line,
                                            document.error->column, "",
                                            "TOML syntax error: " + document.error->message});
    return result;
  }
  LoadContext context{std::string(source_name)};
  Config config = UnresolvedDefaults();
  ReadDocument(*document.root, context, config);
  CheckConsistency(config, context);
  result.diagnostics = context.TakeDiagnostics();
  // File order reads best; checks between keys ran last but point into the file too.
  std::stable_sort(result.diagnostics.begin(), result.diagnostics.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     return std::tie(a.line, a.column) < std::tie(b.line, b.column);
                   });
  if (!result.diagnostics.empty()) return result;
  config.source = std::string(source_name);
  config.locations = context.TakeLocations();
  ResolvePaths(config, base_dir);
  result.config = std::move(config);
  return result;
}

LoadResult Load(const std::filesystem::path& file) {
  auto text = ReadConfigFile(file);
  if (!text) {
    LoadResult result;
    result.diagnostics.push_back(Diagnostic{file.string(), 0, 0, "", text.error().message});
    return result;
  }
  std::error_code ec;
  const Path absolute = std::filesystem::absolute(file, ec);
  const Path base_dir = ec ? file.parent_path() : absolute.parent_path();
  return LoadString(*text, file.string(), base_dir);
}

const PoolConfig* Config::FindPool(std::string_view name) const {
  for (const PoolConfig& pool : pools) {
    if (pool.name == name) return &pool;
  }
  return nullptr;
}

const ProjectConfig* Config::FindProject(std::string_view name) const {
  for (const ProjectConfig& project : projects) {
    if (project.name == name) return &project;
  }
  return nullptr;
}

const RoleConfig* Config::FindRole(std::string_view name) const {
  for (const RoleConfig& role : roles) {
    if (role.name == name) return &role;
  }
  return nullptr;
}

SourceLocation Config::LocationOf(std::string_view key) const {
  if (auto it = locations.find(key); it != locations.end()) return it->second;
  return SourceLocation{source, 0, 0};
}

}  // namespace safedesk::config
