#pragma once
// What every API handler may use, built once by the composition root (broker_service.cc)
// or by a test. Plain references: the context owns nothing.

#include "auth/factor_secret_box.h"
#include "auth/password_checker.h"
#include "auth/ticket_issuer.h"
#include "auth/totp.h"
#include "auth/webauthn.h"
#include "broker/store/store.h"
#include "broker/web_sessions.h"
#include "common/audit_event.h"
#include "common/clock.h"
#include "common/random.h"
#include "config/config.h"

namespace safedesk::broker {

class VmCredentialVault;
class TerminateOrders;
class AgentRegistry;

struct BrokerContext {
  const config::Config& config;
  Store& store;
  AuditSink& audit;
  Clock& clock;
  Random& random;
  WebSessions& web_sessions;
  auth::PasswordChecker& passwords;
  const auth::TotpVerifier& totp;
  const auth::FactorSecretBox& secret_box;
  auth::WebAuthn& webauthn;
  const auth::TicketIssuer& tickets;
  // Component state (component_*.h), owned by the composition root; null where a test or
  // deployment runs without the component API, and every user checks.
  VmCredentialVault* vm_credentials = nullptr;
  TerminateOrders* terminate_orders = nullptr;
  AgentRegistry* agents = nullptr;
};

}  // namespace safedesk::broker
