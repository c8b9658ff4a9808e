#include "gateway/gateway_service.h"

#include "common/log.h"
#include "config/cli.h"

namespace safedesk::gateway {

int Run(const config::Config& config) {
  auto logger = log::Main();
  logger->info("safedesk-gateway {} starting; config: {}", config::Version(), config.source);
  // Flushed now: operators and tests wait for this line to know the service is up.
  logger->flush();
  const std::string_view signal = config::WaitForStopSignal();
  logger->info("safedesk-gateway stopping cleanly on {}", signal);
  logger->flush();
  return 0;
}

}  // namespace safedesk::gateway
