#include "agent/agent_service.h"

#include "common/log.h"
#include "config/cli.h"

namespace safedesk::agent {

int Run(const config::Config& config) {
  auto logger = log::Main();
  logger->info("safedesk-agent {} starting; config: {}", config::Version(), config.source);
  // Flushed now: operators and tests wait for this line to know the service is up.
  logger->flush();
  const std::string_view signal = config::WaitForStopSignal();
  logger->info("safedesk-agent stopping cleanly on {}", signal);
  logger->flush();
  return 0;
}

}  // namespace safedesk::agent
