// safedeskctl: see ctl/DESIGN.md.
#include <iostream>
#include <string>
#include <vector>

#include "common/log.h"
#include "config/cli.h"
#include "ctl/audit_command.h"
#include "ctl/recording_command.h"
#include "ctl/user_command.h"

namespace safedesk::ctl {
namespace {

constexpr std::string_view kProgram = "safedeskctl";

void PrintCommands(std::ostream& out) {
  out << "Usage: " << kProgram << " [--config FILE] COMMAND [ARGS...]\n"
      << "Commands:\n"
      << "  audit ...   search and verify the audit log ('" << kProgram << " audit help')\n"
      << "  recording ... verify and recover session recordings ('" << kProgram << " recording help')\n"
      << "  user ...    manage users and their passwords ('" << kProgram << " user help')\n"
      << "  version     print the version\n"
      << "  help        print this help\n"
      << "Run '" << kProgram << " --help' for the configuration flags.\n";
}

// Defined in namespace safedesk::ctl so the unqualified RunAuditCommand below resolves
// whether audit_command.h declares it here, in safedesk, or globally.
int Dispatch(const std::vector<std::string>& args, const config::Config& config) {
  if (args.empty()) {
    PrintCommands(std::cerr);
    return config::kExitUsage;
  }
  const std::string& command = args.front();
  if (command == "help") {
    PrintCommands(std::cout);
    return config::kExitOk;
  }
  if (command == "version") {
    std::cout << kProgram << " " << config::Version() << "\n";
    return config::kExitOk;
  }
  if (command == "audit") {
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    return RunAuditCommand(rest, config, std::cout, std::cerr);
  }
  if (command == "recording") {
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    return RunRecordingCommand(rest, config, std::cout, std::cerr);
  }
  if (command == "user") {
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    return RunUserCommand(rest, config, std::cout, std::cerr);
  }
  std::cerr << kProgram << ": unknown command \"" << command << "\"\n";
  PrintCommands(std::cerr);
  return config::kExitUsage;
}

}  // namespace

int Main(int argc, char** argv) {
  config::CliOutcome cli = config::HandleConfigFlags(kProgram, config::Component::kCtl, argc, argv,
                                                     std::cout, std::cerr);
  if (cli.exit_code) return *cli.exit_code;
  if (auto logging = config::InitLogging(kProgram, cli.config->log); !logging) {
    std::cerr << kProgram << ": " << logging.error().message << "\n";
    return config::kExitConfigError;
  }
  // Debug, not info: a command-line tool's stderr belongs to its own messages.
  log::Main()->debug("{} {} starting; config: {}", kProgram, config::Version(), cli.config->source);
  return Dispatch(cli.args, *cli.config);
}

}  // namespace safedesk::ctl

int main(int argc, char** argv) { return safedesk::ctl::Main(argc, argv); }
