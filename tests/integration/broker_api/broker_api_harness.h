#pragma once
// The broker's JSON API in one process, for API tests: a real BrokerContext (SQLite store
// in a temporary directory, the real audit log, PAM through pam_wrapper + pam_matrix,
// lockout, worker pool, TOTP, factor secret box, WebAuthn for rp "localhost", ticket
// issuer) behind the real HttpServer + Router on 127.0.0.1:0 with a test PKI, and a
// small synchronous HTTPS client with a cookie jar and the CSRF header.
//
// Time is a ManualClock and randomness a SeededRandom. The binary re-executes itself
// under pam_wrapper (tests/integration/pam/pam_test_env.cc), so it runs the same under
// ctest and by hand.
//
// Typical use:
//   class MyApiTest : public testing::BrokerApiTest {
//     void AddRoutes(broker::Router& r, broker::BrokerContext& c) override { AddMyRoutes(r, c); }
//   };
//   TEST_F(MyApiTest, Something) {
//     harness().CreateUser("rita", {"researcher"});
//     testing::ApiClient rita = harness().LoginWithTotp("rita");
//     auto answer = rita.Post("/api/requests", {{"project", testing::kTestProject}, ...});
//     EXPECT_EQ(answer.status, 200);
//   }
// The login/enroll/step-up/me/logout routes are always registered.

#include <gtest/gtest.h>

#include <boost/json/value.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/broker_context.h"
#include "broker/http/router.h"
#include "common/audit_record.h"
#include "common/clock.h"
#include "common/random.h"
#include "common/result.h"
#include "common/secret.h"
#include "config/config.h"
#include "tests/testing/test_support.h"
#include "tests/testing/tls_test_certs.h"

namespace safedesk::testing {

// The one project of the test configuration; its members are added by CreateUser.
inline constexpr const char* kTestProject = "genomics";
// What WebAuthn accepts as the page's origin (a software authenticator writes it into
// clientDataJSON); rp id "localhost".
inline constexpr const char* kTestOrigin = "https://localhost";
// The PAM service the harness's verifier uses (written by the harness).
inline constexpr const char* kBrokerApiPamService = "safedesk-broker-api";

// The password CreateUser gives `user` in PAM's passdb.
std::string DefaultPassword(std::string_view user);

struct ApiResponse {
  int status = 0;
  std::string body;
  boost::json::value json;               // null when the body is not JSON
  std::vector<std::string> set_cookies;  // raw Set-Cookie header values, in order
  std::map<std::string, std::string> headers;  // lower-case name → last value

  // json["key"] as a string, or "" when absent or not a string.
  std::string String(std::string_view key) const;
  // json["error"] as a string, or "".
  std::string Error() const { return String("error"); }
};

class BrokerApiHarness;

// One browser: its own cookie jar and CSRF token, connecting from `source` (any
// 127.0.0.0/8 address: Linux routes them all to lo, so a test can appear to move).
// A fresh TLS connection per request. Not thread-safe.
class ApiClient {
 public:
  ApiClient(const BrokerApiHarness& harness, std::string source = "127.0.0.1");

  ApiResponse Get(const std::string& path);
  // POSTs `body` serialised; adds X-CSRF-Token when a token is known.
  ApiResponse Post(const std::string& path, const boost::json::value& body = boost::json::object{});
  // POSTs `body` as is (malformed JSON, oversized bodies).
  ApiResponse PostRaw(const std::string& path, std::string body, std::string content_type = "application/json");
  // Sends only the headers of a POST announcing `content_length` body bytes, then reads
  // the answer: the server refuses an oversized body on its Content-Length, and writing
  // megabytes it will not read would end in a reset that loses its 413.
  ApiResponse PostDeclaringLength(const std::string& path, std::size_t content_length);

  // Cookies as the browser would send them. A Set-Cookie with Max-Age=0 removes one.
  std::optional<std::string> Cookie(const std::string& name) const;
  void SetCookie(const std::string& name, const std::string& value) { cookies_[name] = value; }
  void ClearCookies() { cookies_.clear(); }

  // Set from a login answer's "csrf" by the harness's login helpers; sent on POSTs.
  const std::string& csrf() const { return csrf_; }
  void set_csrf(std::string token) { csrf_ = std::move(token); }
  const std::string& source() const { return source_; }
  void set_source(std::string source) { source_ = std::move(source); }

 private:
  ApiResponse Send(int method, const std::string& path, std::string body, const std::string& content_type,
                   std::optional<std::size_t> declared_length = std::nullopt);
  void RememberCookies(const ApiResponse& response);

  const BrokerApiHarness* harness_;
  std::string source_;
  std::map<std::string, std::string> cookies_;
  std::string csrf_;
};

struct BrokerApiOptions {
  int lockout_threshold = 5;
  // Extra routes (the lead's or another helper's handlers), added before the server starts.
  std::function<void(broker::Router&, broker::BrokerContext&)> add_routes;
};

class BrokerApiHarness {
 public:
  BrokerApiHarness();
  ~BrokerApiHarness();
  BrokerApiHarness(const BrokerApiHarness&) = delete;
  BrokerApiHarness& operator=(const BrokerApiHarness&) = delete;

  // Builds everything and starts serving; an error names what failed.
  Result<void> Start(BrokerApiOptions options = {});

  broker::BrokerContext& ctx() { return *ctx_; }
  const config::Config& config() const { return config_; }
  // Writes `config`'s projects over the store's (tests change membership as they go).
  void WriteProjects(const config::Config& config);
  broker::Store& store();
  ManualClock& clock() { return clock_; }
  std::uint16_t port() const;
  const TestPki& pki() const { return pki_; }

  // A Store user with these roles (member of kTestProject), and a PAM account with
  // DefaultPassword(name). Fails the test on error.
  void CreateUser(const std::string& name, const std::vector<std::string>& roles,
                  const std::string& display_name = "");
  // A PAM account without a Store user (the broker must refuse it like an unknown one).
  void AddPamAccount(const std::string& name, const std::string& password);

  ApiClient NewClient(std::string source = "127.0.0.1") const { return ApiClient(*this, std::move(source)); }

  // Password, then TOTP: enrolls TOTP first when the user has no factor (the secret is
  // kept for later logins), else answers with the next code (advancing the clock one TOTP
  // step first, so a code is never a replay). Returns the last answer; on success the
  // client holds the session cookie and the CSRF token.
  ApiResponse LoginWithTotp(ApiClient& client, const std::string& user, const std::string& password);
  // As above on a new client from 127.0.0.1 with DefaultPassword(user); fails the test
  // unless the login succeeds.
  ApiClient LoginWithTotp(const std::string& user);

  // The TOTP secret the harness enrolled for `user` (empty if none).
  const Secret* TotpSecretOf(const std::string& user) const;
  void SetTotpSecret(const std::string& user, Secret secret);
  // Advances the clock one TOTP step and returns the code for `user`'s enrolled secret.
  std::string NextTotpCode(const std::string& user);
  // POST /api/stepup/totp with the next code.
  ApiResponse StepUpWithTotp(ApiClient& client, const std::string& user);

  // The audit log read back (every complete record, in order), and filters on it.
  std::vector<AuditRecord> AuditRecords() const;
  std::vector<AuditRecord> AuditOfType(std::string_view type) const;
  std::string AuditText() const;
  // The broker's log file (log::Main() is pointed at it by Start()).
  std::string LogText() const;

 private:
  struct Services;

  config::Config MakeConfig() const;
  Result<void> OpenServices(const BrokerApiOptions& options);
  Result<void> StartServer(const BrokerApiOptions& options);

  TempDir dir_;
  ManualClock clock_;
  SeededRandom random_{0x5afe};
  TestPki pki_;
  config::Config config_;
  std::unique_ptr<Services> services_;
  std::unique_ptr<broker::BrokerContext> ctx_;
  std::map<std::string, Secret> totp_secrets_;
};

// A fixture with one started harness. Override AddRoutes to register more handlers.
class BrokerApiTest : public ::testing::Test {
 protected:
  void SetUp() override;
  virtual void AddRoutes(broker::Router& router, broker::BrokerContext& ctx);
  virtual BrokerApiOptions Options() { return {}; }
  BrokerApiHarness& harness() { return harness_; }

 private:
  BrokerApiHarness harness_;
};

}  // namespace safedesk::testing
