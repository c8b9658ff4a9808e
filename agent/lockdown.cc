#include "agent/lockdown.h"

#include <array>
#include <bit>
#include <charconv>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "agent/process_watch.h"

namespace safedesk::agent {
namespace {

namespace fs = std::filesystem;

// Programs that carry a clipboard between the desktop and anything outside it (VM tools
// and remote-desktop helpers) or keep one (clipboard managers a bridge could read).
constexpr std::array<std::string_view, 20> kClipboardBridges = {
    "xclip",         "xsel",        "autocutsel",  "parcellite",      "clipit",
    "vmware-user",   "vmware-user-suid-wrapper",   "vmtoolsd",        "spice-vdagent",
    "spice-vdagentd", "VBoxClient", "VBoxService", "qemu-ga",         "copyq",
    "klipper",       "diodon",      "gpaste-daemon", "clipmenud",     "greenclip",
    "xfce4-clipman"};

// Words in an RDP server's options that turn on a clipboard or device channel. The
// provider starts freerdp-shadow-cli with /bind-address /port /sec /sam-file only
// (broker/provider_host_process.cc); anything naming these is a deviation.
constexpr std::array<std::string_view, 9> kRedirectionWords = {
    "clipboard", "cliprdr", "rdpdr", "drive", "redirect", "smartcard", "printer", "usb", "serial"};

// Kernel route flags (linux/route.h).
constexpr unsigned kRtfUp = 0x0001;
constexpr unsigned kRtfGateway = 0x0002;
constexpr unsigned kRtfReject = 0x0200;

// comm is cut to 15 bytes by the kernel; argv[0] may be a path.
bool NamedAs(const ProcessInfo& process, std::string_view name) {
  if (!process.argv.empty() && fs::path(process.argv.front()).filename() == name) return true;
  return !process.comm.empty() && process.comm == name.substr(0, 15);
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<std::uint64_t> ParseHex(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::vector<std::string> Fields(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string field; in >> field;) out.push_back(std::move(field));
  return out;
}

struct Route {
  std::string iface;
  config::IpAddress destination;
  int prefix_length = 0;
  unsigned flags = 0;
};

// /proc/net/route prints each address as the host-order u32 of network-order bytes:
// on the little-endian machines safedesk runs on, the first byte is the lowest.
std::optional<Route> ParseRoute4(const std::string& line) {
  const auto f = Fields(line);
  if (f.size() < 8) return std::nullopt;
  const auto dest = ParseHex(f[1]);
  const auto flags = ParseHex(f[3]);
  const auto mask = ParseHex(f[7]);
  if (!dest || !flags || !mask || *dest > 0xffffffffu || *mask > 0xffffffffu) return std::nullopt;
  Route route{f[0], {}, std::popcount(static_cast<std::uint32_t>(*mask)), static_cast<unsigned>(*flags)};
  for (int i = 0; i < 4; ++i) route.destination.bytes[i] = static_cast<std::uint8_t>(*dest >> (8 * i));
  return route;
}

// /proc/net/ipv6_route: dest plen src plen next_hop metric refcnt use flags iface.
std::optional<Route> ParseRoute6(const std::string& line) {
  const auto f = Fields(line);
  if (f.size() < 10 || f[0].size() != 32) return std::nullopt;
  const auto plen = ParseHex(f[1]);
  const auto flags = ParseHex(f[8]);
  if (!plen || !flags || *plen > 128) return std::nullopt;
  Route route{f[9], {}, static_cast<int>(*plen), static_cast<unsigned>(*flags)};
  route.destination.v6 = true;
  for (int i = 0; i < 16; ++i) {
    const auto byte = ParseHex(std::string_view(f[0]).substr(2 * i, 2));
    if (!byte) return std::nullopt;
    route.destination.bytes[i] = static_cast<std::uint8_t>(*byte);
  }
  return route;
}

bool InsideAllowed(const Route& route, const std::vector<config::Cidr>& allowed) {
  for (const config::Cidr& cidr : allowed) {
    if (cidr.prefix_length <= route.prefix_length && cidr.Contains(route.destination)) return true;
  }
  return false;
}

// A route is fine when it is down, rejects traffic, is loopback, or reaches only the
// local link; a default route never is; a route through a gateway must stay inside
// allowed_peers.
void CheckRoute(const Route& route, const std::vector<config::Cidr>& allowed, std::vector<LockdownFailure>& out) {
  if ((route.flags & kRtfUp) == 0 || (route.flags & kRtfReject) != 0 || route.iface == "lo") return;
  const std::string where = fmt::format("{}/{} dev {}", route.destination.ToString(), route.prefix_length, route.iface);
  if (route.prefix_length == 0) {
    out.push_back({std::string(kCheckRoutes), "default route " + where});
  } else if ((route.flags & kRtfGateway) != 0 && !InsideAllowed(route, allowed)) {
    out.push_back({std::string(kCheckRoutes), "route outside allowed_peers " + where});
  }
}

template <typename Parse>
void CheckRouteFile(const fs::path& path, bool has_header, Parse parse, const std::vector<config::Cidr>& allowed,
                    std::vector<LockdownFailure>& out) {
  std::ifstream in(path);
  if (!in) return;  // no IPv6 (or no IPv4) in this kernel: no routes of that family
  std::string line;
  if (has_header) std::getline(in, line);
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto route = parse(line);
    if (!route) {
      out.push_back({std::string(kCheckRoutes), "unreadable line in " + path.string()});
      continue;
    }
    CheckRoute(*route, allowed, out);
  }
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string Unescape(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size()) {
      int value = 0;
      const auto [end, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 4, value, 8);
      if (ec == std::errc() && end == text.data() + i + 4) {
        out += static_cast<char>(value);
        i += 3;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

bool Within(const fs::path& path, const fs::path& mount_point) {
  auto p = path.begin();
  for (auto m = mount_point.begin(); m != mount_point.end(); ++m, ++p) {
    if (m->empty()) continue;  // a trailing "/" yields an empty last element
    if (p == path.end() || *p != *m) return false;
  }
  return true;
}

}  // namespace

std::vector<LockdownFailure> CheckClipboardBridge(const fs::path& proc_root) {
  std::vector<LockdownFailure> out;
  for (const ProcessInfo& process : ListProcesses(proc_root)) {
    for (std::string_view name : kClipboardBridges) {
      if (NamedAs(process, name)) {
        out.push_back({std::string(kCheckClipboardBridge), fmt::format("{} running as pid {}", name, process.pid)});
      }
    }
  }
  return out;
}

std::vector<LockdownFailure> CheckRdpChannels(const fs::path& proc_root) {
  std::vector<LockdownFailure> out;
  for (const ProcessInfo& process : ListProcesses(proc_root)) {
    if (NamedAs(process, "xrdp-chansrv")) {
      out.push_back({std::string(kCheckRdpChannels), fmt::format("xrdp-chansrv running as pid {}", process.pid)});
    }
    if (!NamedAs(process, "freerdp-shadow-cli")) continue;
    for (std::size_t i = 1; i < process.argv.size(); ++i) {
      const std::string option = Lower(process.argv[i]);
      for (std::string_view word : kRedirectionWords) {
        if (option.find(word) == std::string::npos) continue;
        out.push_back({std::string(kCheckRdpChannels),
                       fmt::format("freerdp-shadow-cli pid {} has option {}", process.pid, process.argv[i])});
        break;
      }
    }
  }
  return out;
}

std::vector<LockdownFailure> CheckRoutes(const fs::path& proc_root, const std::vector<config::Cidr>& allowed_peers) {
  std::vector<LockdownFailure> out;
  if (!fs::exists(proc_root / "net" / "route")) {
    out.push_back({std::string(kCheckRoutes), "cannot read the IPv4 routing table"});
  }
  CheckRouteFile(proc_root / "net" / "route", true, ParseRoute4, allowed_peers, out);
  CheckRouteFile(proc_root / "net" / "ipv6_route", false, ParseRoute6, allowed_peers, out);
  return out;
}

std::vector<LockdownFailure> CheckDatasetReadOnly(const fs::path& proc_root, const fs::path& dataset_path) {
  if (dataset_path.empty()) return {};
  const fs::path wanted = dataset_path.lexically_normal();
  std::ifstream in(proc_root / "self" / "mountinfo");
  std::string best_point;
  std::string best_options;
  bool found = false;
  for (std::string line; std::getline(in, line);) {
    const auto f = Fields(line);
    if (f.size() < 6) continue;
    const std::string point = Unescape(f[4]);
    // The longest covering mount point wins; among equals the later (overmounting) line.
    if (!Within(wanted, point) || (found && point.size() < best_point.size())) continue;
    best_point = point;
    best_options = f[5];
    found = true;
  }
  if (!found) return {{std::string(kCheckDatasetReadOnly), "no mount holds " + wanted.string()}};
  std::istringstream options(best_options);
  for (std::string option; std::getline(options, option, ',');) {
    if (option == "ro") return {};
  }
  return {{std::string(kCheckDatasetReadOnly), fmt::format("{} is mounted {} at {}", wanted.string(),
                                                           best_options, best_point)}};
}

std::vector<LockdownFailure> RunLockdownChecks(const LockdownOptions& options) {
  std::vector<LockdownFailure> all;
  for (auto&& part : {CheckClipboardBridge(options.proc_root), CheckRdpChannels(options.proc_root),
                      CheckRoutes(options.proc_root, options.allowed_peers),
                      CheckDatasetReadOnly(options.proc_root, options.dataset_path)}) {
    all.insert(all.end(), part.begin(), part.end());
  }
  return all;
}

}  // namespace safedesk::agent
