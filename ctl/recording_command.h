#pragma once
// `safedeskctl recording ...`: checks session recordings (format: common/RECORDING_FORMAT.md).
//
//   recording verify [--public-key FILE] FILE
//       Checks the header, the chunk hash chain, the index and the seal. The seal must be
//       signed by --public-key (PEM) or, without one, by the public half of [recording]
//       seal_key_file. Prints "OK (sealed|recovered): duration, frames, masked share" and
//       exits 0; or "UNSEALED: ..." / "BROKEN at chunk N: reason" and exits 1; exits 2
//       for a usage error.
//   recording recover FILE
//       After a gateway crash: drops a torn tail and seals the intact chunks with
//       [recording] seal_key_file, marked recovered.
//   recording help

#include <ostream>
#include <string>
#include <vector>

#include "config/config.h"

namespace safedesk::ctl {

int RunRecordingCommand(const std::vector<std::string>& args, const safedesk::config::Config& config,
                        std::ostream& out, std::ostream& err);

}  // namespace safedesk::ctl
