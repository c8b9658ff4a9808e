// safedesk-broker: see broker/DESIGN.md.
#include "config/cli.h"
#include "broker/broker_service.h"

int main(int argc, char** argv) {
  return safedesk::config::ServiceMain("safedesk-broker", safedesk::config::Component::kBroker, argc, argv,
                                       &safedesk::broker::Run);
}
