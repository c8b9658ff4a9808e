#include "broker/provider_sandbox.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>

#include <fmt/format.h>

#include "broker/provider_host_process.h"
#include "common/encoding.h"
#include "common/log.h"

namespace safedesk::broker {
namespace {

constexpr std::size_t kPasswordBytes = 24;  // as HostProcessProvider: 192 bits

// A short non-blocking connect: the sandbox sits behind a local veth, so an answer (SYN-ACK
// or RST) comes within this or not at all.
bool PortAccepts(const RdpEndpoint& endpoint) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(endpoint.port);
  ::inet_pton(AF_INET, endpoint.host.c_str(), &address.sin_addr);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  if (!ok && errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    int error = 0;
    socklen_t length = sizeof(error);
    ok = ::poll(&p, 1, 50) == 1 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0;
  }
  ::close(fd);
  return ok;
}

std::string ReplaceAll(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// A TOML basic string: mask rules are regular expressions, full of backslashes.
std::string TomlString(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string MaskRuleToml(std::string_view wm_class, std::string_view title) {
  return "[[agent.mask_rules]]\nwm_class = " + TomlString(wm_class) + "\ntitle = " + TomlString(title) + "\n";
}

std::string_view ProcessArgsName(config::ProcessArgs args) {
  switch (args) {
    case config::ProcessArgs::kTruncated:
      return "truncated";
    case config::ProcessArgs::kOff:
      return "off";
    default:
      return "hashed";
  }
}

}  // namespace

std::string SandboxAgentConfigTemplate(const config::Config& config, const std::string& net_prefix) {
  const std::string gateway = net_prefix + ".0.1";
  const config::AgentConfig& agent = config.agent;
  std::string out = fmt::format(
      "# Written by the broker for one sandbox desktop; relative paths are under /run/safedesk.\n"
      "[agent]\n"
      "desktop_id = \"{{desktop_id}}\"\n"
      "session_id = \"{{session_id}}\"\n"
      "broker_url = \"https://{}:{}\"\n"
      "gateway_feed = \"{}:{}\"\n"
      "cert = \"agent.crt\"\n"
      "key = \"agent.key\"\n"
      "ca_cert = \"ca.crt\"\n"
      "display = \":0\"\n"
      "dataset_path = \"/data\"\n"
      "allowed_peers = [\"{}/32\"]\n"
      "process_args = \"{}\"\n"
      "heartbeat_interval = \"{}ms\"\n",
      gateway, config.broker.component_listen.port, gateway, config.gateway.agent_feed_listen.port, gateway,
      ProcessArgsName(agent.process_args),
      std::chrono::duration_cast<std::chrono::milliseconds>(agent.heartbeat_interval).count());
  for (const config::MaskRule& rule : agent.mask_rules) out += MaskRuleToml(rule.wm_class, rule.title);
  return out;
}

SandboxProvider::SandboxProvider(std::unique_ptr<sandbox::SandboxClient> helper, SandboxProviderOptions options,
                                 Random& random, AgentStatusFn agent_status)
    : helper_(std::move(helper)), options_(std::move(options)), random_(random), agent_status_(std::move(agent_status)) {}

// The helper tears down every sandbox when its socket closes (helper_'s destructor).
SandboxProvider::~SandboxProvider() = default;

Result<DesktopHandle> SandboxProvider::Start(const DesktopSpec& spec) {
  std::lock_guard lock(mu_);
  if (desktops_.size() >= options_.max_desktops) return MakeError(Errc::kLimitExceeded, "sandbox desktop limit reached");
  std::set<std::uint16_t> used;
  for (const auto& [id, desktop] : desktops_) used.insert(desktop.number);
  std::uint16_t number = 1;
  while (used.count(number) != 0) ++number;
  if (number > sandbox::kMaxSandbox) return MakeError(Errc::kLimitExceeded, "no free sandbox number");
  auto id_bytes = random_.Bytes(8);
  auto password_bytes = random_.Bytes(kPasswordBytes);
  if (!id_bytes || !password_bytes) return MakeError(Errc::kUnavailable, "no randomness for a desktop");
  Desktop desktop;
  desktop.number = number;
  const std::string address = options_.net_prefix + "." + std::to_string(number) + ".2";
  // No display: the sandbox's X server is reachable from inside only.
  desktop.info = {"sbx-" + HexEncode(*id_bytes), spec.session_id, spec.project, {address, options_.rdp_port}, ""};
  DesktopHandle handle{desktop.info.id, desktop.info.endpoint, options_.username, Secret(Base64UrlEncode(*password_bytes))};
  WipeBytes(password_bytes->data(), password_bytes->size());
  auto sam = SamFileLine(options_.username, handle.password);
  if (!sam) return sam.error();
  sandbox::LaunchParams params;
  params.width = static_cast<std::uint16_t>(spec.width);
  params.height = static_cast<std::uint16_t>(spec.height);
  params.sam_line = std::move(*sam);
  params.dataset_path = spec.dataset_path.string();
  if (!options_.agent_config_template.empty()) {
    params.agent_config = ReplaceAll(ReplaceAll(options_.agent_config_template, "{desktop_id}", desktop.info.id),
                                     "{session_id}", spec.session_id);
    // The project's own rules, after the deployment's (array tables close the file).
    for (const MaskRule& rule : spec.mask_rules) params.agent_config += MaskRuleToml(rule.wm_class_regex, rule.title_regex);
    if (options_.agent_issuer != nullptr) {
      auto credentials = options_.agent_issuer->Issue(desktop.info.id, random_);
      if (!credentials) return credentials.error();
      params.agent_cert = std::move(credentials->cert_pem);
      params.agent_key = std::move(credentials->key_pem);
      params.agent_ca = options_.agent_ca_pem;
    }
  }
  if (auto made = helper_->CreateNetwork(number); !made) return made.error();
  if (auto launched = helper_->Launch(number, params); !launched) {
    (void)helper_->Destroy(number);
    return launched.error();
  }
  log::Main()->info("desktop {}: sandbox {} for session {}", desktop.info.id, number, spec.session_id);
  desktops_[desktop.info.id] = std::move(desktop);
  return handle;
}

Result<DesktopState> SandboxProvider::Probe(const std::string& id) {
  std::lock_guard lock(mu_);
  const auto found = desktops_.find(id);
  if (found == desktops_.end()) return MakeError(Errc::kNotFound, "no desktop " + id);
  auto running = helper_->Running(found->second.number);
  if (!running) return running.error();
  if (!*running) return DesktopState::kFailed;
  if (!PortAccepts(found->second.info.endpoint)) return DesktopState::kStarting;
  if (options_.agent_config_template.empty() || !agent_status_) return DesktopState::kReady;
  switch (agent_status_(id)) {
    case AgentStatus::kReady:
      return DesktopState::kReady;
    case AgentStatus::kLockdownFailed:
    case AgentStatus::kSilent:  // it registered, then stopped heartbeating: dead or wedged
      return DesktopState::kFailed;
    default:
      return DesktopState::kStarting;
  }
}

Result<void> SandboxProvider::Stop(const std::string& id) {
  std::lock_guard lock(mu_);
  const auto found = desktops_.find(id);
  if (found == desktops_.end()) return MakeError(Errc::kNotFound, "no desktop " + id);
  const std::uint16_t number = found->second.number;
  desktops_.erase(found);
  SAFEDESK_TRY(helper_->Destroy(number));
  log::Main()->info("desktop {}: sandbox {} stopped and wiped", id, number);
  return Ok();
}

std::vector<DesktopInfo> SandboxProvider::List() const {
  std::lock_guard lock(mu_);
  std::vector<DesktopInfo> out;
  for (const auto& [id, desktop] : desktops_) out.push_back(desktop.info);
  return out;
}

}  // namespace safedesk::broker
