#include "agent/agent_service.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "agent/mask_feed.h"
#include "agent/visibility.h"
#include "agent/x11_watcher.h"
#include "common/clock.h"
#include "common/log.h"
#include "config/cli.h"

namespace safedesk::agent {
namespace {

using std::chrono::milliseconds;

// The tree is re-read at least this often even without events: X sends focus changes
// only to windows that selected them, so polling keeps focus_sensitive honest.
constexpr milliseconds kPollInterval{50};

// A descriptor that becomes readable on SIGINT/SIGTERM (blocked by main already).
int StopSignalFd() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return signalfd(-1, &set, SFD_CLOEXEC);
}

struct Loop {
  const config::AgentConfig& config;
  X11Watcher& watcher;
  MaskFeed& feed;
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
      watcher.DrainEvents();
      const auto sampled = clock.Monotonic();
      const DesktopState state = watcher.Snapshot();
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
  const int signal_fd = StopSignalFd();
  if (signal_fd < 0) {
    logger->error("cannot watch stop signals");
    return 1;
  }
  MaskFeed feed({config.agent.ca_cert, config.agent.cert, config.agent.key}, config.agent.gateway_feed,
                config.agent.desktop_id, SystemClock());
  // Flushed now: operators and tests wait for this line to know the service is up.
  logger->info("safedesk-agent watching display {}", config.agent.display);
  logger->flush();
  Loop loop{config.agent, **watcher, feed, SystemClock(), logger};
  const std::string signal = loop.Run(signal_fd);
  close(signal_fd);
  logger->info("safedesk-agent stopping cleanly on {}", signal);
  logger->flush();
  return 0;
}

}  // namespace safedesk::agent
