// safedesk-agent: see agent/DESIGN.md.
#include "config/cli.h"
#include "agent/agent_service.h"

int main(int argc, char** argv) {
  return safedesk::config::ServiceMain("safedesk-agent", safedesk::config::Component::kAgent, argc, argv,
                                       &safedesk::agent::Run);
}
