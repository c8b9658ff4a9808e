#pragma once
// `safedeskctl audit ...`: checks the audit log (format: common/AUDIT_FORMAT.md).
//
//   audit verify [--live] [--public-key FILE]... [LOG]
//       LOG defaults to [audit] file. Signatures are checked against each --public-key
//       (PEM), or, without one, against the public half of [audit] signing_key.
//       Prints "OK: ..." and exits 0, or "BROKEN at line L (seq S): reason: detail" and
//       exits 1; exits 2 for a usage error or a file that cannot be read.
//   audit public-key
//       Prints the PEM public key of [audit] signing_key, for auditors to verify with.
//   audit help

#include <ostream>
#include <string>
#include <vector>

#include "config/config.h"

namespace safedesk::ctl {

// `args` are the words after "audit". Returns the process exit code.
int RunAuditCommand(const std::vector<std::string>& args, const safedesk::config::Config& config,
                    std::ostream& out, std::ostream& err);

}  // namespace safedesk::ctl
