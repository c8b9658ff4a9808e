#include "common/result.h"

namespace safedesk {

std::string_view ErrcName(Errc code) {
  switch (code) {
    case Errc::kInvalidArgument: return "invalid_argument";
    case Errc::kNotFound: return "not_found";
    case Errc::kAlreadyExists: return "already_exists";
    case Errc::kPermissionDenied: return "permission_denied";
    case Errc::kUnauthenticated: return "unauthenticated";
    case Errc::kLockedOut: return "locked_out";
    case Errc::kExpired: return "expired";
    case Errc::kReplay: return "replay";
    case Errc::kLimitExceeded: return "limit_exceeded";
    case Errc::kCorrupt: return "corrupt";
    case Errc::kIo: return "io";
    case Errc::kUnavailable: return "unavailable";
    case Errc::kInternal: return "internal";
  }
  return "unknown";
}

}  // namespace safedesk
