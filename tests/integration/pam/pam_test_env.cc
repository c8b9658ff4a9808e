#include "tests/integration/pam/pam_test_env.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/testing/test_support.h"

namespace safedesk::testing {
namespace {

// pam_wrapper works by interposing libpam's entry points, so it must be preloaded before
// the process starts: re-execute once with LD_PRELOAD set. Runs before main (static
// initialiser), before any thread exists.
bool ReexecUnderPamWrapper() {
  const char* active = std::getenv("PAM_WRAPPER");
  if (active != nullptr && std::string(active) == "1") return true;
  std::ifstream cmdline("/proc/self/cmdline", std::ios::binary);
  const std::string raw((std::istreambuf_iterator<char>(cmdline)),
                        std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  for (std::size_t start = 0; start < raw.size();) {
    const std::size_t end = raw.find('\0', start);
    args.push_back(raw.substr(start, end - start));
    start = end == std::string::npos ? raw.size() : end + 1;
  }
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  setenv("PAM_WRAPPER", "1", 1);
  setenv("LD_PRELOAD", SAFEDESK_PAM_WRAPPER_LIBRARY, 1);
#if defined(__SANITIZE_ADDRESS__)
  // ASan wants its runtime first in the initial library list and aborts otherwise, but
  // LD_PRELOAD puts pam_wrapper ahead of it. pam_wrapper interposes only PAM functions,
  // none that ASan intercepts, so the order check can be skipped safely. pam_wrapper
  // dlopens libpam with RTLD_DEEPBIND, which ASan refuses ("incompatible with sanitizer
  // runtime"). pam_wrapper(1) documents PAM_WRAPPER_DISABLE_DEEPBIND, but Debian 12's
  // libpam-wrapper 1.1.4 reads UID_WRAPPER_DISABLE_DEEPBIND (`strings libpam_wrapper.so`):
  // set both.
  const char* asan = std::getenv("ASAN_OPTIONS");
  std::string options = asan != nullptr && *asan != '\0' ? std::string(asan) + ":" : "";
  setenv("ASAN_OPTIONS", (options + "verify_asan_link_order=0").c_str(), 1);
  setenv("PAM_WRAPPER_DISABLE_DEEPBIND", "1", 1);
  setenv("UID_WRAPPER_DISABLE_DEEPBIND", "1", 1);
#endif
  execv("/proc/self/exe", argv.data());
  std::perror("re-exec under pam_wrapper");
  std::abort();
}

const bool kUnderPamWrapper = ReexecUnderPamWrapper();

std::string ServiceFile(const std::string& passdb, const char* matrix_options) {
  const std::string matrix =
      std::string(SAFEDESK_PAM_MATRIX) + " passdb=" + passdb + matrix_options;
  // pam_matrix answers PAM_AUTH_ERR for a user it does not know; the known-users module
  // in front of it answers PAM_USER_UNKNOWN, as pam_unix does for a missing account.
  return std::string("auth requisite ") + SAFEDESK_PAM_KNOWN_USERS + " passdb=" + passdb + "\n" +
         "auth required " + matrix + "\n" + "account required " + matrix + "\n";
}

void WriteServiceDir(const TempDir& dir) {
  const std::string passdb =
      dir.Write("passdb", std::string(kAlice) + ":" + kAlicePassword + ":" + kPamService + "\n" +
                              kBob + ":" + kBobPassword + ":sshd\n" + kCarol + ":" +
                              kCarolPassword + ":" + kPamVerboseService + "\n");
  dir.Write(std::string("services/") + kPamService, ServiceFile(passdb, ""));
  dir.Write(std::string("services/") + kPamVerboseService, ServiceFile(passdb, " verbose"));
  // Accepts anything: proves a refusal happened before PAM was called.
  dir.Write(std::string("services/") + kPamPermitService,
            "auth required " SAFEDESK_PAM_PERMIT "\naccount required " SAFEDESK_PAM_PERMIT "\n");
  dir.Write(
      std::string("services/") + kPamBrokenService,
      "auth required /nonexistent/pam_missing.so\naccount required /nonexistent/pam_missing.so\n");
  // libpam falls back to "other" for a missing service and logs an error when that is
  // missing too.
  dir.Write("services/other",
            "auth required " SAFEDESK_PAM_DENY "\naccount required " SAFEDESK_PAM_DENY "\n");
  setenv("PAM_WRAPPER_SERVICE_DIR", (dir.path() / "services").c_str(), 1);
}

}  // namespace

void SetUpPamWrapper() {
  (void)kUnderPamWrapper;
  // Removed at exit; helpers started by the tests are reaped before that.
  static const TempDir dir;
  static const bool written = (WriteServiceDir(dir), true);
  (void)written;
}

}  // namespace safedesk::testing
