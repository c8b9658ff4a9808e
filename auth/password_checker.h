#pragma once
// The password factor as the broker calls it: lockout checked first, then the verifier
// (PAM, in-process or through the helper) on a bounded worker pool, then the failure
// counted and audited. Nothing here blocks the calling (network) thread.

#include <functional>
#include <string>

#include "auth/lockout.h"
#include "auth/password_verifier.h"
#include "common/secret.h"
#include "common/worker_pool.h"

namespace safedesk::auth {

class PasswordChecker {
 public:
  using Done = std::function<void(PasswordOutcome)>;

  // All three must outlive the checker; shut the pool down before destroying the others.
  PasswordChecker(PasswordVerifier& verifier, Lockout& lockout, WorkerPool& pool);

  // Checks `password` and calls `done` exactly once: on a pool thread after PAM, or on the
  // calling thread before CheckAsync returns when the attempt is refused without PAM
  // (locked_out, empty_password, unavailable because the pool is full). Callers on an
  // Asio strand post the result back to it. The password is wiped after use.
  void CheckAsync(std::string user, Secret password, std::string source, Done done);

 private:
  // Runs on a pool thread.
  PasswordOutcome Run(const std::string& user, Secret password, const std::string& source);
  // The outcome when Lockout refuses, after auditing it; nullopt when the attempt may go on.
  std::optional<PasswordOutcome> Refused(const std::string& user, const std::string& source);
  void Account(const std::string& user, const std::string& source, PasswordOutcome outcome);

  PasswordVerifier& verifier_;
  Lockout& lockout_;
  WorkerPool& pool_;
};

}  // namespace safedesk::auth
