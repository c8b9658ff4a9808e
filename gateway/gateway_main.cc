// safedesk-gateway: see gateway/DESIGN.md.
#include "config/cli.h"
#include "gateway/gateway_service.h"

int main(int argc, char** argv) {
  return safedesk::config::ServiceMain("safedesk-gateway", safedesk::config::Component::kGateway, argc, argv,
                                       &safedesk::gateway::Run);
}
