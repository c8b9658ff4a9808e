#include "agent/agent_service.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "agent/broker_reporter.h"
#include "agent/lockdown.h"
#include "agent/mask_feed.h"
#include "agent/process_watch.h"
#include "agent/visibility.h"
#include "agent/x11_watcher.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/encoding.h"
#include "common/log.h"
#include "config/cli.h"

namespace safedesk::agent {
namespace {

using std::chrono::milliseconds;

// The tree is re-read at least this often even without events: X sends focus changes
// only to windows that selected them, so polling keeps focus_sensitive honest.
constexpr milliseconds kPollInterval{50};
// How often /proc is scanned for started processes (the issue asks for 500 ms).
constexpr milliseconds kProcessPollInterval{500};
// How often the lockdown checks run again after start: a check that starts failing
// mid-session withdraws the desktop at the broker.
constexpr milliseconds kLockdownRecheckInterval{5000};
// The broker's heartbeat: well under broker.agent_heartbeat_timeout (15 s by default).
constexpr milliseconds kBrokerHeartbeat{1000};

// A descriptor that becomes readable on SIGINT/SIGTERM (blocked by main already).
int StopSignalFd() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return signalfd(-1, &set, SFD_CLOEXEC);
}

std::string TitleDigest(const std::string& title) {
  return HexEncode(Sha256(std::span(reinterpret_cast<const std::uint8_t*>(title.data()), title.size())));
}

std::set<std::string> FailedChecks(const std::vector<LockdownFailure>& failures) {
  std::set<std::string> names;
  for (const LockdownFailure& failure : failures) names.insert(failure.check);
  return names;
}

LockdownOptions LockdownOptionsOf(const config::AgentConfig& config) {
  return LockdownOptions{"/proc", config.dataset_path, config.allowed_peers};
}

// Everything the broker hears besides register and heartbeat: started processes, newly
// shown sensitive windows (class and a digest of the title, never contents), checks that
// start failing after start.
struct SessionEvents {
  SessionEvents(const config::AgentConfig& c, BrokerReporter& r, std::shared_ptr<spdlog::logger> l)
      : config(c), reporter(r), logger(std::move(l)) {}

  const config::AgentConfig& config;
  BrokerReporter& reporter;
  std::shared_ptr<spdlog::logger> logger;
  ProcessWatch processes{"/proc"};
  std::set<std::uint64_t> shown;
  std::set<std::string> failed_checks;
  Clock::SteadyTime next_process_poll{};
  Clock::SteadyTime next_lockdown{};

  void Windows(const DesktopState& state) {
    std::set<std::uint64_t> now;
    for (const SensitiveWindow& window : state.shown) {
      now.insert(window.id);
      if (shown.contains(window.id)) continue;
      reporter.Report({"window.sensitive_shown",
                       {{"wmClass", window.properties.wm_class}, {"titleSha256", TitleDigest(window.properties.title)}}});
    }
    shown = std::move(now);
  }

  void Poll(Clock::SteadyTime now) {
    if (now >= next_process_poll) {
      next_process_poll = now + kProcessPollInterval;
      for (const ProcessInfo& process : processes.Poll()) {
        const ProcessReport report = ShapeProcess(process, config.process_args);
        BrokerEvent event{"process.started", {{"exe", report.exe}}};
        if (report.has_args) event.detail.emplace_back("args", report.args);
        reporter.Report(std::move(event));
      }
    }
    if (now >= next_lockdown) {
      next_lockdown = now + kLockdownRecheckInterval;
      for (const LockdownFailure& failure : RunLockdownChecks(LockdownOptionsOf(config))) {
        if (!failed_checks.insert(failure.check).second) continue;
        logger->error("lockdown check {} failed: {}", failure.check, failure.detail);
        reporter.AddLockdownFailure(failure.check);
        reporter.Report({"lockdown.failed", {{"check", failure.check}}});
      }
    }
  }
};

struct Loop {
  const config::AgentConfig& config;
  X11Watcher& watcher;
  MaskFeed& feed;
  SessionEvents& events;
  Clock& clock;
  std::shared_ptr<spdlog::logger> logger;

  // Runs until a stop signal; returns its name.
  std::string Run(int signal_fd) {
    DesktopState sent;
    bool have_sent = false;
    auto next_heartbeat = clock.Monotonic();
    for (;;) {
      const auto now = clock.Monotonic();
      const auto until_heartbeat =
          std::chrono::duration_cast<milliseconds>(next_heartbeat - now);
      const auto wait = std::clamp(until_heartbeat, milliseconds(0), kPollInterval);
      pollfd fds[2] = {{watcher.fd(), POLLIN, 0}, {signal_fd, POLLIN, 0}};
      poll(fds, 2, static_cast<int>(wait.count()));
      if ((fds[1].revents & POLLIN) != 0) {
        signalfd_siginfo info{};
        const ssize_t n = read(signal_fd, &info, sizeof info);
        return n == sizeof info && info.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM";
      }
      const auto sampled_unix_ms =
          std::chrono::duration_cast<milliseconds>(clock.Now().time_since_epoch()).count();
      watcher.DrainEvents();
      const auto sampled = clock.Monotonic();
      DesktopState state = watcher.Snapshot();
      state.sampled_unix_ms = sampled_unix_ms;
      events.Windows(state);
      events.Poll(sampled);
      const bool changed = !have_sent || !state.SameMasks(sent);
      if (!changed && sampled < next_heartbeat) continue;
      const bool was_connected = feed.connected();
      auto result = feed.Send(state);
      if (result) {
        if (!was_connected) logger->info("mask feed connected to {}", config.gateway_feed.ToString());
        sent = state;
        have_sent = true;
      } else if (was_connected) {
        logger->warn("mask feed lost: {}", result.error().message);
        have_sent = false;
      }
      // Aim at 80% of the interval so scheduling jitter never stretches a gap past it.
      next_heartbeat = sampled + config.heartbeat_interval * 4 / 5;
    }
  }
};

}  // namespace

int Run(const config::Config& config) {
  auto logger = config.agent.session_id.empty() ? log::Main()
                                                : log::ForSession(config.agent.session_id);
  logger->info("safedesk-agent {} starting; config: {}", config::Version(), config.source);
  if (!IsValidMaskDesktopId(config.agent.desktop_id)) {
    logger->error("agent.desktop_id is not set; the provider writes it for each desktop");
    return 2;
  }
  auto rules = MaskRuleSet::Compile(config.agent.mask_rules);
  if (!rules) {
    logger->error("{}", rules.error().message);
    return 2;
  }
  auto watcher = X11Watcher::Open(config.agent.display, std::move(*rules));
  if (!watcher) {
    logger->error("{}", watcher.error().message);
    return 1;
  }
  auto broker_url = config::ParseHttpsUrl(config.agent.broker_url);
  if (!broker_url) {
    logger->error("agent.broker_url: {}", broker_url.error().message);
    return 2;
  }
  const TlsClientFiles files{config.agent.ca_cert, config.agent.cert, config.agent.key};
  // Lockdown at start: the result goes with the register, and the broker keeps the
  // desktop from researchers while any check fails (fail closed).
  const auto failures = RunLockdownChecks(LockdownOptionsOf(config.agent));
  for (const LockdownFailure& failure : failures) {
    logger->error("lockdown check {} failed: {}", failure.check, failure.detail);
  }
  const std::set<std::string> failed = FailedChecks(failures);
  BrokerReporter reporter(files, *broker_url, config.agent.desktop_id, kBrokerHeartbeat);
  reporter.Start(std::vector<std::string>(failed.begin(), failed.end()));
  SessionEvents events(config.agent, reporter, logger);
  events.failed_checks = failed;
  events.next_lockdown = SystemClock().Monotonic() + kLockdownRecheckInterval;
  const int signal_fd = StopSignalFd();
  if (signal_fd < 0) {
    logger->error("cannot watch stop signals");
    return 1;
  }
  MaskFeed feed(files, config.agent.gateway_feed, config.agent.desktop_id, SystemClock());
  // Flushed now: operators and tests wait for this line to know the service is up.
  logger->info("safedesk-agent watching display {}", config.agent.display);
  logger->flush();
  Loop loop{config.agent, **watcher, feed, events, SystemClock(), logger};
  const std::string signal = loop.Run(signal_fd);
  close(signal_fd);
  logger->info("safedesk-agent stopping cleanly on {}", signal);
  logger->flush();
  return 0;
}

}  // namespace safedesk::agent
