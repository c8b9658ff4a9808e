#pragma once
// The password factor through safedesk-auth-helper, for a broker that does not run as
// root: the helper (privileged, PAM in-process) answers AUTH_PASSWORD requests over a unix
// socket (PRIVSEP_PROTOCOL.md). One helper process per connection, one request at a time
// per connection; a dead, hung or misbehaving helper makes its connection unusable and the
// answer kUnavailable (fail closed). A helper is never restarted from here: the broker no
// longer has the rights to start one; its service manager restarts the broker.

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "auth/password_verifier.h"
#include "common/result.h"

namespace safedesk::auth {

struct HelperOptions {
  std::string helper_path;      // the safedesk-auth-helper executable
  std::string service;          // PAM service name, fixed on the helper's command line
  std::size_t connections = 4;  // helper processes; match the worker pool's threads
  std::chrono::milliseconds timeout{30'000};  // per request, waiting for a free helper included
};

class HelperPasswordVerifier final : public PasswordVerifier {
 public:
  // Starts options.connections helpers, each on its own socketpair. Call while the broker
  // still holds the rights the helper needs (before dropping root).
  static Result<std::unique_ptr<HelperPasswordVerifier>> Spawn(const HelperOptions& options);

  ~HelperPasswordVerifier() override;  // closes the sockets; helpers exit on EOF
  HelperPasswordVerifier(const HelperPasswordVerifier&) = delete;
  HelperPasswordVerifier& operator=(const HelperPasswordVerifier&) = delete;

  PasswordOutcome Verify(std::string_view user, Secret password,
                         std::string_view source_address) override;

  // The helpers' process ids (0 for a connection not spawned here); for tests.
  std::vector<pid_t> helper_pids() const;

 private:
  struct Connection {
    int fd = -1;  // -1 once broken
    pid_t pid = 0;
    bool busy = false;
  };

  HelperPasswordVerifier(std::vector<Connection> connections, std::chrono::milliseconds timeout);
  // A free, working connection's index, or -1 when none is left or the deadline passes.
  int Acquire(std::chrono::steady_clock::time_point deadline);
  void Release(int index, bool broken);
  Result<PasswordOutcome> Exchange(int fd, std::string_view user, const Secret& password,
                                   std::string_view source,
                                   std::chrono::steady_clock::time_point deadline);

  const std::chrono::milliseconds timeout_;
  mutable std::mutex mu_;
  std::condition_variable released_;
  std::vector<Connection> connections_;
};

}  // namespace safedesk::auth
