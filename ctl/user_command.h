#pragma once
// safedeskctl user ...: manage the broker's users (SQLite state) and, for sites that
// authenticate with pam_pwdfile (the demo, small sites), the password file PAM reads.

#include <ostream>
#include <string>
#include <vector>

#include "config/config.h"

namespace safedesk::ctl {

int RunUserCommand(const std::vector<std::string>& args, const config::Config& config, std::ostream& out,
                   std::ostream& err);

// Replaces or appends "user:hash" in a pam_pwdfile password file, atomically (mode 0600).
bool WritePasswordEntry(const std::string& file, const std::string& user, const std::string& hash,
                        std::string& error);

}  // namespace safedesk::ctl
