// safedesk-gateway: see gateway/DESIGN.md.
#include <iostream>

#include "config/cli.h"
#include "gateway/gateway_service.h"

int main(int argc, char** argv) {
  namespace config = safedesk::config;
  constexpr std::string_view kProgram = "safedesk-gateway";
  // Before any thread exists, so every later thread inherits the blocked mask.
  config::BlockStopSignals();
  config::CliOutcome cli = config::HandleConfigFlags(kProgram, config::Component::kGateway, argc,
                                                     argv, std::cout, std::cerr);
  if (cli.exit_code) return *cli.exit_code;
  if (!cli.args.empty()) {
    std::cerr << kProgram << ": unknown argument \"" << cli.args.front() << "\"; see --help\n";
    return config::kExitUsage;
  }
  if (auto logging = config::InitLogging(kProgram, cli.config->log); !logging) {
    std::cerr << kProgram << ": " << logging.error().message << "\n";
    return config::kExitConfigError;
  }
  return safedesk::gateway::Run(*cli.config);
}
