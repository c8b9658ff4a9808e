#include "config/schema.h"

#include <fmt/format.h>

#include <algorithm>

namespace safedesk::config {
namespace {

using std::chrono::days;

constexpr int kMaxCount = 100'000;  // bound for connection and desktop counts

Result<void> CheckHostname(std::string_view text) {
  if (IsValidHostname(text)) return Ok();
  return MakeError(Errc::kInvalidArgument,
                   fmt::format("expected a host name, found {}", Quote(text)));
}

Result<void> CheckOrigin(std::string_view text) {
  auto origin = ParseOrigin(text);
  if (origin) return Ok();
  return origin.error();
}

void ReadLog(TableReader& r, LogConfig& c) {
  r.Enum("level", c.level,
         {{"trace", LogLevel::kTrace},
          {"debug", LogLevel::kDebug},
          {"info", LogLevel::kInfo},
          {"warning", LogLevel::kWarning},
          {"error", LogLevel::kError},
          {"critical", LogLevel::kCritical}});
  r.Enum("format", c.format, {{"text", LogFormat::kText}, {"json", LogFormat::kJson}});
  r.PathValue("file", c.file, /*required=*/false);
}

void ReadBroker(TableReader& r, BrokerConfig& c) {
  r.Address("listen", c.listen, PortZero::kAllow);
  r.Address("component_listen", c.component_listen, PortZero::kAllow);
  r.Url("public_url", c.public_url);
  r.PathValue("tls_cert", c.tls_cert, false);
  r.PathValue("tls_key", c.tls_key, false);
  r.PathValue("client_ca", c.client_ca, false);
  r.PathValue("state_db", c.state_db, true);
  r.PathValue("web_root", c.web_root, true);
  r.Size("max_body_bytes", c.max_body_bytes, 1 << 10, 64 << 20);
  r.DurationIn("read_timeout", c.read_timeout, seconds(1), minutes(10));
  r.Int("max_connections", c.max_connections, 1, kMaxCount);
  r.Int("max_connections_per_address", c.max_connections_per_address, 1, kMaxCount);
  r.CidrList("allowed_sources", c.allowed_sources);
  r.DurationIn("session_cookie_ttl", c.session_cookie_ttl, minutes(1), days(7));
  r.DurationIn("step_up_window", c.step_up_window, seconds(1), hours(1));
  r.DurationIn("approval_validity", c.approval_validity, minutes(1), days(365));
  r.DurationIn("agent_heartbeat_timeout", c.agent_heartbeat_timeout, seconds(1), minutes(10));
  r.PathValue("sandbox_helper", c.sandbox_helper, false);
  r.PathValue("agent_issuer_cert", c.agent_issuer_cert, false);
  r.PathValue("agent_issuer_key", c.agent_issuer_key, false);
}

void ReadGateway(TableReader& r, GatewayConfig& c) {
  r.Address("listen", c.listen, PortZero::kAllow);
  r.OptionalAddress("rdp_listen", c.rdp_listen, PortZero::kAllow);
  r.PathValue("tls_cert", c.tls_cert, false);
  r.PathValue("tls_key", c.tls_key, false);
  r.Url("broker_url", c.broker_url);
  r.PathValue("client_cert", c.client_cert, false);
  r.PathValue("client_key", c.client_key, false);
  r.PathValue("ca_cert", c.ca_cert, false);
  r.Int("max_connections_total", c.max_connections_total, 1, kMaxCount);
  r.Int("max_connections_per_user", c.max_connections_per_user, 1, 100);
  r.Size("max_message_bytes", c.max_message_bytes, 1 << 10, 16 << 20);
  r.DurationIn("idle_timeout", c.idle_timeout, minutes(1), hours(24));
  r.Int("max_frame_rate", c.max_frame_rate, 1, 60);
  r.Int("jpeg_quality", c.jpeg_quality, 1, 100);
  r.OptionalAddress("metrics_listen", c.metrics_listen, PortZero::kAllow);
  r.Address("agent_feed_listen", c.agent_feed_listen, PortZero::kAllow);
}

void ReadMaskRule(TableReader& r, MaskRule& c);

// Empty is allowed (not yet assigned); otherwise the token rules of the mask stream.
Result<void> ValidateDesktopId(std::string_view id) {
  if (id.empty()) return Ok();
  if (id.size() > 128) return MakeError(Errc::kInvalidArgument, "too long");
  for (char ch : id) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
    if (!ok) return MakeError(Errc::kInvalidArgument, "unexpected character");
  }
  return Ok();
}

void ReadAgent(TableReader& r, AgentConfig& c) {
  r.Url("broker_url", c.broker_url);
  r.Address("gateway_feed", c.gateway_feed, PortZero::kReject);
  r.PathValue("cert", c.cert, false);
  r.PathValue("key", c.key, false);
  r.PathValue("ca_cert", c.ca_cert, false);
  r.DurationIn("heartbeat_interval", c.heartbeat_interval, Duration(10), minutes(1));
  r.NonEmptyString("display", c.display, "an X display such as \":0\"");
  r.CheckedString("desktop_id", c.desktop_id, "a desktop id ([A-Za-z0-9._-], at most 128)",
                  ValidateDesktopId);
  r.String("session_id", c.session_id);
  r.Enum("process_args", c.process_args,
         {{"hashed", ProcessArgs::kHashed},
          {"truncated", ProcessArgs::kTruncated},
          {"off", ProcessArgs::kOff}});
  r.PathValue("dataset_path", c.dataset_path, false);
  r.CidrList("allowed_peers", c.allowed_peers);
  r.TableArray("mask_rules", [&c](TableReader& rule, std::size_t i) {
    c.mask_rules.resize(std::max(c.mask_rules.size(), i + 1));
    ReadMaskRule(rule, c.mask_rules[i]);
  });
}

void ReadAuth(TableReader& r, AuthConfig& c) {
  r.CheckedString("pam_service", c.pam_service, "a PAM service name", ValidateName);
  r.Int("pam_workers", c.pam_workers, 1, 64);
  r.Int("lockout_threshold", c.lockout_threshold, 1, 1000);
  r.DurationIn("lockout_window", c.lockout_window, seconds(1), days(30));
  r.DurationIn("lockout_duration", c.lockout_duration, seconds(1), days(30));
  r.Enum("totp_algorithm", c.totp_algorithm,
         {{"SHA1", TotpAlgorithm::kSha1},
          {"SHA256", TotpAlgorithm::kSha256},
          {"SHA512", TotpAlgorithm::kSha512}});
  r.Int("totp_digits", c.totp_digits, 6, 8);
  r.DurationIn("totp_step", c.totp_step, seconds(1), minutes(5));
  r.Int("totp_skew_steps", c.totp_skew_steps, 0, 10);
  r.PathValue("secret_key_file", c.secret_key_file, false);
  r.CheckedString("webauthn_rp_id", c.webauthn_rp_id, "a host name", CheckHostname);
  r.NonEmptyString("webauthn_rp_name", c.webauthn_rp_name, "a display name");
  r.StringList("webauthn_origins", c.webauthn_origins, CheckOrigin);
  r.DurationIn("webauthn_challenge_ttl", c.webauthn_challenge_ttl, seconds(10), minutes(30));
  r.PathValue("ticket_signing_key", c.ticket_signing_key, false);
  r.DurationIn("ticket_ttl", c.ticket_ttl, seconds(1), minutes(5));
  r.Bool("vpn_required", c.vpn_required);
  r.PathValue("vici_socket", c.vici_socket, true);
  r.CidrList("vpn_pool", c.vpn_pool);
}

void ReadRecording(TableReader& r, RecordingConfig& c) {
  r.PathValue("directory", c.directory, true);
  r.DurationIn("chunk_duration", c.chunk_duration, seconds(1), minutes(1));
  r.Bool("encrypt", c.encrypt);
  r.PathValue("encryption_key_file", c.encryption_key_file, false);
  r.PathValue("seal_key_file", c.seal_key_file, false);
  r.Int("mask_dilate_px", c.mask_dilate_px, 0, 64);
  r.DurationIn("mask_history", c.mask_history, Duration(0), seconds(10));
  r.DurationIn("agent_stale_after", c.agent_stale_after, Duration(50), seconds(10));
  r.Int("queue_frames", c.queue_frames, 1, 10'000);
  r.Enum("sensitive_keys", c.sensitive_keys,
         {{"full", SensitiveKeys::kFull}, {"redacted", SensitiveKeys::kRedacted}, {"never", SensitiveKeys::kNever}});
  r.Enum("pointer", c.pointer,
         {{"full", PointerRecording::kFull}, {"clicks", PointerRecording::kClicks}, {"off", PointerRecording::kOff}});
}

void ReadAudit(TableReader& r, AuditConfig& c) {
  r.PathValue("file", c.file, true);
  r.PathValue("signing_key", c.signing_key, false);
  r.Int("checkpoint_every", c.checkpoint_every, 1, 1'000'000);
  r.DurationIn("group_commit_delay", c.group_commit_delay, Duration(0), seconds(1));
}

void ReadRole(TableReader& r, RoleConfig& c) {
  if (r.Require("name", "the role's name")) {
    r.CheckedString("name", c.name, "a name", ValidateName);
  }
  r.Bool("can_request", c.can_request);
  r.Bool("can_approve", c.can_approve);
  r.Bool("can_audit", c.can_audit);
  r.Bool("can_admin", c.can_admin);
  r.DurationIn("max_duration", c.max_duration, minutes(1), days(7));
  r.DurationIn("idle_timeout", c.idle_timeout, minutes(1), hours(24));
  r.Bool("allow_paste_in", c.allow_paste_in);
  r.Bool("require_user_verification", c.require_user_verification);
  r.Bool("watermark", c.watermark);
}

void ReadPool(TableReader& r, PoolConfig& c) {
  if (r.Require("name", "the pool's name")) {
    r.CheckedString("name", c.name, "a name", ValidateName);
  }
  r.Enum("provider", c.provider,
         {{"sandbox", PoolProvider::kSandbox}, {"libvirt", PoolProvider::kLibvirt}});
  r.Int("max_desktops", c.max_desktops, 1, kMaxCount);
  r.Int("warm_spares", c.warm_spares, 0, kMaxCount);
  std::string screen;
  r.CheckedString("screen", screen, "a screen size such as \"1280x800\"",
                  [&c](std::string_view text) -> Result<void> {
                    auto parsed = ParseScreenSize(text);
                    if (!parsed) return parsed.error();
                    c.screen = *parsed;
                    return Ok();
                  });
  r.StringList("tools", c.tools, ValidateName);
}

// True when the table sets `key` to a non-empty string, valid or not: a rule whose
// pattern failed to compile already has its own diagnostic.
bool HasNonEmptyString(const Node& table, std::string_view key) {
  for (const Node::Member& member : table.members) {
    if (member.key == key)
      return member.value.kind != Node::Kind::kString || !member.value.text.empty();
  }
  return false;
}

void ReadMaskRule(TableReader& r, MaskRule& c) {
  r.CheckedString("wm_class", c.wm_class, "a regular expression", ValidateRegex);
  r.CheckedString("title", c.title, "a regular expression", ValidateRegex);
  // Both empty would match every window: almost certainly not what was meant.
  if (!HasNonEmptyString(r.table(), "wm_class") && !HasNonEmptyString(r.table(), "title")) {
    r.context().Error(r.table(), r.KeyPath("wm_class"),
                      "expected a non-empty wm_class or title in a mask rule, found neither");
  }
}

void ReadProject(TableReader& r, ProjectConfig& c) {
  if (r.Require("name", "the project's name")) {
    r.CheckedString("name", c.name, "a name", ValidateName);
  }
  r.StringList("members", c.members, ValidateUserName);
  r.PathValue("dataset_path", c.dataset_path, false);
  if (r.Require("pool", "the name of a [[pools]] entry")) {
    r.CheckedString("pool", c.pool, "a pool name", ValidateName);
  }
  r.DurationIn("max_duration", c.max_duration, minutes(1), days(7));
  r.Bool("require_two_approvers", c.require_two_approvers);
  r.Bool("watermark", c.watermark);
  r.Bool("allow_paste_in", c.allow_paste_in);
  r.DurationIn("idle_timeout", c.idle_timeout, minutes(1), hours(24));
  r.TableArray("mask_rules", [&c](TableReader& rule, std::size_t i) {
    c.mask_rules.resize(std::max(c.mask_rules.size(), i + 1));
    ReadMaskRule(rule, c.mask_rules[i]);
  });
}

// Reads `[[key]]` into `out` when the file has it; entries keep their file index so
// later checks name the right one.
template <class T>
void ReadEntries(TableReader& root, std::string_view key, std::vector<T>& out,
                 void (*read)(TableReader&, T&)) {
  std::vector<T> entries;
  const bool present = root.TableArray(key, [&entries, read](TableReader& r, std::size_t i) {
    entries.resize(std::max(entries.size(), i + 1));
    read(r, entries[i]);
  });
  if (present) out = std::move(entries);
}

template <class T>
void CheckUniqueNames(const std::vector<T>& entries, std::string_view section,
                      LoadContext& context) {
  for (std::size_t i = 0; i < entries.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (entries[i].name.empty() || entries[i].name != entries[j].name) continue;
      context.ErrorAtKey(fmt::format("{}[{}].name", section, i),
                         fmt::format("expected a name unique among [[{}]], found {} again "
                                     "(first at {}[{}])",
                                     section, Quote(entries[i].name), section, j));
      break;
    }
  }
}

void CheckPoolReferences(const Config& c, LoadContext& context) {
  std::vector<std::string_view> names;
  for (const PoolConfig& pool : c.pools) {
    if (std::find(names.begin(), names.end(), pool.name) == names.end()) names.push_back(pool.name);
  }
  for (std::size_t i = 0; i < c.projects.size(); ++i) {
    const std::string& pool = c.projects[i].pool;
    if (pool.empty() || c.FindPool(pool) != nullptr) continue;
    context.ErrorAtKey(
        fmt::format("projects[{}].pool", i),
        fmt::format("expected the name of a [[pools]] entry ({}), found {}",
                    names.empty() ? "none defined" : ChoiceList(names), Quote(pool)));
  }
  if (c.broker.agent_issuer_cert.empty() != c.broker.agent_issuer_key.empty()) {
    const bool cert_missing = c.broker.agent_issuer_cert.empty();
    context.ErrorAtKey(cert_missing ? "broker.agent_issuer_key" : "broker.agent_issuer_cert",
                       fmt::format("expected broker.{} as well (the agent certificate issuer needs "
                                   "both certificate and key), found it unset",
                                   cert_missing ? "agent_issuer_cert" : "agent_issuer_key"));
  }
  for (std::size_t i = 0; i < c.pools.size(); ++i) {
    if (c.pools[i].warm_spares <= c.pools[i].max_desktops) continue;
    context.ErrorAtKey(fmt::format("pools[{}].warm_spares", i),
                       fmt::format("expected at most max_desktops ({}), found {}",
                                   c.pools[i].max_desktops, c.pools[i].warm_spares));
  }
}

// WebAuthn binds credentials to the RP ID: an origin outside it can never log in.
void CheckWebAuthn(const AuthConfig& c, LoadContext& context) {
  if (c.webauthn_origins.empty()) {
    context.ErrorAtKey("auth.webauthn_origins",
                       "expected at least one origin, found an empty list");
  }
  for (std::size_t i = 0; i < c.webauthn_origins.size(); ++i) {
    auto origin = ParseOrigin(c.webauthn_origins[i]);
    if (!origin) continue;
    const std::string& host = origin->host;
    if (host == c.webauthn_rp_id || host.ends_with("." + c.webauthn_rp_id)) continue;
    context.ErrorAtKey(fmt::format("auth.webauthn_origins[{}]", i),
                       fmt::format("expected an origin on webauthn_rp_id {} or a subdomain of "
                                   "it, found {}",
                                   Quote(c.webauthn_rp_id), Quote(c.webauthn_origins[i])));
  }
}

void CheckAuth(const AuthConfig& c, LoadContext& context) {
  if (c.totp_digits != 6 && c.totp_digits != 8) {
    context.ErrorAtKey("auth.totp_digits", fmt::format("expected 6 or 8, found {}", c.totp_digits));
  }
  if (c.totp_step % seconds(1) != Duration(0)) {
    context.ErrorAtKey("auth.totp_step", fmt::format("expected whole seconds (RFC 6238), found {}",
                                                     FormatDuration(c.totp_step)));
  }
  if (c.vpn_required && c.vpn_pool.empty()) {
    context.ErrorAtKey("auth.vpn_pool",
                       "expected the VPN's address ranges because vpn_required = true, found none");
  }
  CheckWebAuthn(c, context);
}

void CheckTimings(const Config& c, LoadContext& context) {
  // A heartbeat slower than the staleness limit would mask every frame as agent-silent.
  if (c.agent.heartbeat_interval >= c.recording.agent_stale_after) {
    context.ErrorAtKey("agent.heartbeat_interval",
                       fmt::format("expected less than recording.agent_stale_after ({}), found {}",
                                   FormatDuration(c.recording.agent_stale_after),
                                   FormatDuration(c.agent.heartbeat_interval)));
  }
  if (c.agent.heartbeat_interval >= c.broker.agent_heartbeat_timeout) {
    context.ErrorAtKey(
        "agent.heartbeat_interval",
        fmt::format("expected less than broker.agent_heartbeat_timeout ({}), found {}",
                    FormatDuration(c.broker.agent_heartbeat_timeout),
                    FormatDuration(c.agent.heartbeat_interval)));
  }
}

void CheckLimits(const Config& c, LoadContext& context) {
  if (c.broker.allowed_sources.empty()) {
    context.ErrorAtKey("broker.allowed_sources",
                       "expected at least one range (\"0.0.0.0/0\" allows every IPv4 source), "
                       "found an empty list");
  }
  if (c.broker.max_connections_per_address > c.broker.max_connections) {
    context.ErrorAtKey("broker.max_connections_per_address",
                       fmt::format("expected at most max_connections ({}), found {}",
                                   c.broker.max_connections, c.broker.max_connections_per_address));
  }
  if (c.gateway.max_connections_per_user > c.gateway.max_connections_total) {
    context.ErrorAtKey(
        "gateway.max_connections_per_user",
        fmt::format("expected at most max_connections_total ({}), found {}",
                    c.gateway.max_connections_total, c.gateway.max_connections_per_user));
  }
  if (c.recording.encrypt && c.recording.encryption_key_file.empty()) {
    context.ErrorAtKey("recording.encryption_key_file",
                       "expected a key file because encrypt = true, found none");
  }
}

// One machine runs every component with the defaults, so two listeners on one port is a
// start-up failure that is cheaper to report here.
void CheckListenersDistinct(const Config& c, LoadContext& context) {
  std::vector<std::pair<std::string, HostPort>> listeners = {
      {"broker.listen", c.broker.listen},
      {"broker.component_listen", c.broker.component_listen},
      {"gateway.listen", c.gateway.listen},
      {"gateway.agent_feed_listen", c.gateway.agent_feed_listen}};
  if (c.gateway.rdp_listen) listeners.emplace_back("gateway.rdp_listen", *c.gateway.rdp_listen);
  if (c.gateway.metrics_listen)
    listeners.emplace_back("gateway.metrics_listen", *c.gateway.metrics_listen);
  for (std::size_t i = 0; i < listeners.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (listeners[i].second.port == 0 || listeners[i].second != listeners[j].second) continue;
      context.ErrorAtKey(listeners[i].first,
                         fmt::format("expected an address no other listener uses, found {} "
                                     "(also {})",
                                     Quote(listeners[i].second.ToString()), listeners[j].first));
    }
  }
}

}  // namespace

void ReadDocument(const Node& root, LoadContext& context, Config& config) {
  TableReader reader(root, "", context);
  reader.Table("log", [&config](TableReader& r) { ReadLog(r, config.log); });
  reader.Table("broker", [&config](TableReader& r) { ReadBroker(r, config.broker); });
  reader.Table("gateway", [&config](TableReader& r) { ReadGateway(r, config.gateway); });
  reader.Table("agent", [&config](TableReader& r) { ReadAgent(r, config.agent); });
  reader.Table("auth", [&config](TableReader& r) { ReadAuth(r, config.auth); });
  reader.Table("recording", [&config](TableReader& r) { ReadRecording(r, config.recording); });
  reader.Table("audit", [&config](TableReader& r) { ReadAudit(r, config.audit); });
  ReadEntries(reader, "roles", config.roles, ReadRole);
  ReadEntries(reader, "pools", config.pools, ReadPool);
  ReadEntries(reader, "projects", config.projects, ReadProject);
  reader.Finish();
}

void CheckConsistency(const Config& config, LoadContext& context) {
  CheckUniqueNames(config.roles, "roles", context);
  CheckUniqueNames(config.pools, "pools", context);
  CheckUniqueNames(config.projects, "projects", context);
  CheckPoolReferences(config, context);
  CheckAuth(config.auth, context);
  CheckTimings(config, context);
  CheckLimits(config, context);
  CheckListenersDistinct(config, context);
}

}  // namespace safedesk::config
