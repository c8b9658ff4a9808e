#pragma once
// The PAM world the tests in this folder share, through pam_wrapper + pam_matrix: a
// service directory and passdb written once per process, before the first pam_start
// (pam_wrapper copies the service directory at its first pam_start and never rereads
// PAM_WRAPPER_SERVICE_DIR; checked by hand with two directories in one process).
//
// The test binary re-executes itself with pam_wrapper preloaded (see pam_test_env.cc),
// so it runs the same under ctest and by hand.

#include <string>

namespace safedesk::testing {

// Services (files in the service directory):
inline constexpr const char* kPamService = "safedesk-test";
// Same passdb, pam_matrix "verbose": its info messages come with resp == NULL.
inline constexpr const char* kPamVerboseService = "safedesk-verbose";
// pam_permit: any password passes.
inline constexpr const char* kPamPermitService = "safedesk-permit";
// Names a module that does not exist.
inline constexpr const char* kPamBrokenService = "safedesk-broken";

// passdb users.
inline constexpr const char* kAlice = "alice";  // allowed on kPamService
inline constexpr const char* kAlicePassword = "correct horse battery staple";
inline constexpr const char* kBob = "bob";  // right password, but only allowed on "sshd"
inline constexpr const char* kBobPassword = "hunter2";
inline constexpr const char* kCarol = "carol";  // allowed on kPamVerboseService
inline constexpr const char* kCarolPassword = "tr0ub4dor&3";

// Writes the service directory and passdb (once) and points pam_wrapper at them.
void SetUpPamWrapper();

}  // namespace safedesk::testing
