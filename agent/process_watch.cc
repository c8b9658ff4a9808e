#include "agent/process_watch.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <iterator>
#include <span>

#include "common/crypto.h"
#include "common/encoding.h"

namespace safedesk::agent {
namespace {

namespace fs = std::filesystem;

// A cmdline longer than this is cut: ARG_MAX-sized command lines are not worth more.
constexpr std::size_t kMaxCmdlineBytes = 64 * 1024;

std::optional<std::string> ReadSmallFile(const fs::path& path, std::size_t cap) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string out(cap, '\0');
  in.read(out.data(), static_cast<std::streamsize>(cap));
  out.resize(static_cast<std::size_t>(in.gcount()));
  return out;
}

std::vector<std::string> SplitNul(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto end = text.find('\0');
    out.emplace_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return out;
}

std::optional<int> PidOf(const std::string& name) {
  int pid = 0;
  const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
  if (ec != std::errc() || end != name.data() + name.size() || pid <= 0) return std::nullopt;
  return pid;
}

}  // namespace

std::vector<ProcessInfo> ListProcesses(const fs::path& proc_root) {
  std::vector<ProcessInfo> out;
  std::error_code ec;
  for (fs::directory_iterator it(proc_root, ec), end; !ec && it != end; it.increment(ec)) {
    const auto pid = PidOf(it->path().filename().string());
    if (!pid) continue;
    auto cmdline = ReadSmallFile(it->path() / "cmdline", kMaxCmdlineBytes);
    if (!cmdline) continue;
    ProcessInfo info{*pid, ReadSmallFile(it->path() / "comm", 64).value_or(""), SplitNul(*cmdline)};
    if (!info.comm.empty() && info.comm.back() == '\n') info.comm.pop_back();
    out.push_back(std::move(info));
  }
  std::sort(out.begin(), out.end(), [](const ProcessInfo& a, const ProcessInfo& b) { return a.pid < b.pid; });
  return out;
}

ProcessReport ShapeProcess(const ProcessInfo& process, config::ProcessArgs mode) {
  ProcessReport report;
  report.exe = process.argv.empty() ? process.comm : process.argv.front();
  if (mode == config::ProcessArgs::kOff) return report;
  std::string joined;
  const char separator = mode == config::ProcessArgs::kHashed ? '\0' : ' ';
  for (std::size_t i = 1; i < process.argv.size(); ++i) {
    if (i > 1) joined += separator;
    joined += process.argv[i];
  }
  report.has_args = true;
  if (mode == config::ProcessArgs::kHashed) {
    const auto digest = Sha256(std::span(reinterpret_cast<const std::uint8_t*>(joined.data()), joined.size()));
    report.args = HexEncode(digest);
  } else {
    report.args = joined.substr(0, kMaxTruncatedArgsBytes);
  }
  return report;
}

std::vector<ProcessInfo> ProcessWatch::Poll() {
  std::vector<ProcessInfo> now = ListProcesses(proc_root_);
  std::vector<ProcessInfo> started;
  std::map<int, std::vector<std::string>> seen;
  for (ProcessInfo& process : now) {
    const auto known = known_.find(process.pid);
    // New pid, or a known one whose command line changed: it exec'd something else (a
    // fork caught before its exec shows the parent's command line first).
    const bool fresh = known == known_.end() || known->second != process.argv;
    seen.emplace(process.pid, process.argv);
    // Kernel threads have no cmdline and run nothing the researcher started.
    if (primed_ && fresh && !process.argv.empty()) started.push_back(std::move(process));
  }
  known_ = std::move(seen);  // a pid reused after its process exited counts again
  primed_ = true;
  return started;
}

}  // namespace safedesk::agent
