#pragma once
// A small HTTP server for the WebAuthn browser test: it serves the test page from
// tests/browser/webauthn/ and a JSON API backed by safedesk_auth's WebAuthn, on
// http://localhost:<port> (bound to 127.0.0.1, port chosen by the kernel). Plain HTTP:
// browsers treat http://localhost as a secure context, and rpId "localhost" is valid.
//
//   POST /api/register/begin          {"user"}                 → {"ceremonyId","publicKey"}
//   POST /api/register-direct/begin   same, attestation "direct"
//   POST /api/register{,-direct}/finish  {"ceremonyId","credential"} → {"ok"}
//   POST /api/login/begin             {"user"}                 → {"ceremonyId","publicKey"}
//   POST /api/login/finish            {"ceremonyId","credential"} → {"ok"}
//
// Each finish request carries an X-Test-Step header; the server records, per step, the
// outcome the library reached (ok, or the reason it audited), for the gtest to compare.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "auth/webauthn.h"
#include "common/audit_event.h"
#include "common/clock.h"
#include "common/random.h"

namespace safedesk::testing {

struct StepOutcome {
  std::string step;
  std::string endpoint;
  bool ok = false;
  std::string reason;             // the audited reason when refused
  std::uint32_t sign_count = 0;   // after a successful login or registration
  std::string algorithm;          // COSE name, for registrations
};

class WebAuthnTestServer {
 public:
  // `page_dir` holds index.html and webauthn_page.mjs.
  WebAuthnTestServer(std::filesystem::path page_dir, Clock& clock, Random& random, MemoryAuditSink& audit);
  ~WebAuthnTestServer();
  WebAuthnTestServer(const WebAuthnTestServer&) = delete;
  WebAuthnTestServer& operator=(const WebAuthnTestServer&) = delete;

  // Binds 127.0.0.1:0 and serves on a background thread; returns the port.
  std::uint16_t Start();
  void Stop();
  std::string origin() const;

  std::vector<StepOutcome> outcomes() const;
  std::optional<StepOutcome> Outcome(const std::string& step) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace safedesk::testing
