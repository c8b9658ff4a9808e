#pragma once
// A deployment's configuration as plain structs, filled and validated once at start-up by
// config/loader.h and then only read. The member initializers are the defaults (lists are
// filled by Defaults()); config/examples/safedesk.toml documents every key with them.
// Paths are absolute after loading: relative ones are resolved against the directory of
// the file that named them.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/address.h"
#include "config/values.h"

namespace safedesk::config {

using Path = std::filesystem::path;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// The executable being started: decides which key files must be checked.
enum class Component { kBroker, kGateway, kAgent, kCtl };
std::string_view ComponentName(Component component);

enum class LogLevel { kTrace, kDebug, kInfo, kWarning, kError, kCritical };
enum class LogFormat { kText, kJson };

struct LogConfig {
  LogLevel level = LogLevel::kInfo;
  LogFormat format = LogFormat::kText;
  Path file;  // empty: standard error
  bool operator==(const LogConfig&) const = default;
};

struct BrokerConfig {
  HostPort listen{"127.0.0.1", 8443};
  HostPort component_listen{"127.0.0.1", 8446};  // mutual TLS for gateways and agents
  std::string public_url = "https://localhost:8443";
  Path tls_cert;
  Path tls_key;
  Path client_ca;  // CA that signs the gateways' and agents' client certificates
  Path state_db = "var/broker.sqlite";
  Path web_root = "web";
  std::uint64_t max_body_bytes = 1 << 20;
  Duration read_timeout = seconds(15);
  int max_connections = 512;
  int max_connections_per_address = 32;
  std::vector<Cidr> allowed_sources;  // Defaults(): loopback only
  Duration session_cookie_ttl = hours(12);
  Duration step_up_window = minutes(5);
  Duration approval_validity = hours(24);
  Duration agent_heartbeat_timeout = seconds(15);
  // safedesk-sandbox-helper; empty: desktops run as host processes (tests, development).
  Path sandbox_helper;
  // The CA that issues each sandbox desktop's agent certificate (CN agent-<desktop id>):
  // client_ca or a CA under it. Both set: every sandbox desktop runs the agent and is
  // handed out only once its agent registered with lockdown passed. Both empty: no agent.
  Path agent_issuer_cert;
  Path agent_issuer_key;
  bool operator==(const BrokerConfig&) const = default;
};

struct GatewayConfig {
  HostPort listen{"127.0.0.1", 8444};
  std::optional<HostPort> rdp_listen;  // native RDP clients; unset: browser only
  Path tls_cert;
  Path tls_key;
  std::string broker_url = "https://127.0.0.1:8446";  // the broker's component listener
  Path client_cert;
  Path client_key;
  Path ca_cert;
  int max_connections_total = 64;
  int max_connections_per_user = 2;
  std::uint64_t max_message_bytes = 64 << 10;
  Duration idle_timeout = minutes(15);
  int max_frame_rate = 30;
  int jpeg_quality = 75;
  std::optional<HostPort> metrics_listen = HostPort{"127.0.0.1", 9464};
  HostPort agent_feed_listen{"127.0.0.1", 8445};
  bool operator==(const GatewayConfig&) const = default;
};

// Windows whose class or title match are masked in recordings. At least one is set; when
// both are, a window must match both.
struct MaskRule {
  std::string wm_class;  // ECMAScript regular expression; empty: any class
  std::string title;     // ECMAScript regular expression; empty: any title
  bool operator==(const MaskRule&) const = default;
};

// How the agent reports a started process's arguments to the broker.
enum class ProcessArgs { kHashed, kTruncated, kOff };

struct AgentConfig {
  std::string desktop_id;  // the provider's desktop id; the cert CN is "agent-<desktop_id>"
  std::string session_id;  // tags log lines; empty outside a session
  std::string broker_url = "https://127.0.0.1:8446";  // the broker's component listener (mutual TLS)
  HostPort gateway_feed{"127.0.0.1", 8445};
  Path cert;
  Path key;
  Path ca_cert;
  Duration heartbeat_interval = Duration(250);
  std::string display = ":0";
  ProcessArgs process_args = ProcessArgs::kHashed;
  Path dataset_path;                  // must be mounted read-only; empty: check skipped
  std::vector<Cidr> allowed_peers;    // routes the lockdown accepts besides the local link
  std::vector<MaskRule> mask_rules;   // windows the agent reports as sensitive
  bool operator==(const AgentConfig&) const = default;
};

enum class TotpAlgorithm { kSha1, kSha256, kSha512 };

struct AuthConfig {
  std::string pam_service = "safedesk";
  int pam_workers = 4;
  int lockout_threshold = 5;
  Duration lockout_window = minutes(15);
  Duration lockout_duration = minutes(15);
  TotpAlgorithm totp_algorithm = TotpAlgorithm::kSha1;
  int totp_digits = 6;
  Duration totp_step = seconds(30);
  int totp_skew_steps = 1;
  Path secret_key_file;  // AES-256 key for factor secrets at rest
  std::string webauthn_rp_id = "localhost";
  std::string webauthn_rp_name = "safedesk";
  std::vector<std::string> webauthn_origins = {"https://localhost:8443"};
  Duration webauthn_challenge_ttl = minutes(2);
  Path ticket_signing_key;  // Ed25519, PEM
  Duration ticket_ttl = seconds(30);
  bool vpn_required = false;
  Path vici_socket = "/var/run/charon.vici";
  std::vector<Cidr> vpn_pool;
  bool operator==(const AuthConfig&) const = default;
};

// What a recording keeps of keys typed while focus is in a sensitive window: the scancode
// (kFull), only that a key was pressed (kRedacted), or nothing (kNever).
enum class SensitiveKeys { kFull, kRedacted, kNever };
// What a recording keeps of the pointer: every move (kFull), clicks and wheel only (kClicks),
// nothing (kOff).
enum class PointerRecording { kFull, kClicks, kOff };

struct RecordingConfig {
  Path directory = "var/recordings";
  Duration chunk_duration = seconds(4);
  bool encrypt = false;
  Path encryption_key_file;  // AES-256 key; required when encrypt = true
  Path seal_key_file;        // Ed25519, PEM
  int mask_dilate_px = 4;
  Duration mask_history = Duration(300);
  Duration agent_stale_after = Duration(500);
  int queue_frames = 120;
  SensitiveKeys sensitive_keys = SensitiveKeys::kRedacted;
  PointerRecording pointer = PointerRecording::kFull;
  bool operator==(const RecordingConfig&) const = default;
};

struct AuditConfig {
  Path file = "var/audit.log";
  Path signing_key;  // Ed25519, PEM; signs checkpoints
  int checkpoint_every = 100;
  Duration group_commit_delay = Duration(2);
  bool operator==(const AuditConfig&) const = default;
};

struct RoleConfig {
  std::string name;  // required
  bool can_request = false;
  bool can_approve = false;
  bool can_audit = false;
  bool can_admin = false;
  Duration max_duration = hours(8);
  Duration idle_timeout = minutes(15);
  bool allow_paste_in = false;
  bool require_user_verification = true;
  bool watermark = true;
  bool operator==(const RoleConfig&) const = default;
};

enum class PoolProvider { kSandbox, kLibvirt };

struct PoolConfig {
  std::string name;  // required
  PoolProvider provider = PoolProvider::kSandbox;
  int max_desktops = 4;
  int warm_spares = 0;
  ScreenSize screen{1280, 800};
  std::vector<std::string> tools;
  bool operator==(const PoolConfig&) const = default;
};

struct ProjectConfig {
  std::string name;  // required
  std::vector<std::string> members;
  Path dataset_path;
  std::string pool;  // required; names a [[pools]] entry
  Duration max_duration = hours(8);
  bool require_two_approvers = false;
  bool watermark = true;
  bool allow_paste_in = false;
  Duration idle_timeout = minutes(15);
  std::vector<MaskRule> mask_rules;
  bool operator==(const ProjectConfig&) const = default;
};

// Where a key was set: CheckFiles and later checks point back at it.
struct SourceLocation {
  std::string file;
  int line = 0;  // 0: not from a file (a default)
  int column = 0;
  bool operator==(const SourceLocation&) const = default;
};

struct Config {
  std::string source = "embedded defaults";  // the file's path as given, for messages
  Path base_dir;                             // relative paths were resolved against it
  LogConfig log;
  BrokerConfig broker;
  GatewayConfig gateway;
  AgentConfig agent;
  AuthConfig auth;
  RecordingConfig recording;
  AuditConfig audit;
  // A file's [[roles]] / [[pools]] replace the embedded ones entirely.
  std::vector<RoleConfig> roles;
  std::vector<PoolConfig> pools;
  std::vector<ProjectConfig> projects;
  // Dotted key ("projects[1].pool") -> where the file set it; keys left at their default
  // are absent.
  std::map<std::string, SourceLocation, std::less<>> locations;

  const PoolConfig* FindPool(std::string_view name) const;
  const ProjectConfig* FindProject(std::string_view name) const;
  const RoleConfig* FindRole(std::string_view name) const;
  // The location of `key`, or the file with line 0 when the key took its default.
  SourceLocation LocationOf(std::string_view key) const;
};

}  // namespace safedesk::config
