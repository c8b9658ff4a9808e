#pragma once
// SessionGrant: what the gateway obeys for one session, as plain values. Policy (auth/)
// decides these; the gateway never evaluates roles. The canonical serialisation is the
// one form the grant ever travels in: its SHA-256 is the ticket's grant digest, and the
// broker hands the same bytes to the gateway. Spec: TICKET_FORMAT.md, "The grant".

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/crypto.h"
#include "common/result.h"

namespace safedesk {

// A window whose class or title matches is masked in the recording. An empty pattern
// matches nothing; a rule needs at least one pattern.
struct MaskRule {
  std::string wm_class_regex;
  std::string title_regex;

  bool operator==(const MaskRule&) const = default;
};

struct SessionGrant {
  bool allow_clipboard_paste_in = false;  // the only clipboard direction a project may allow
  bool allow_file_transfer = false;       // never true in this product; parse rejects true
  bool record_required = true;            // never false in this product; parse rejects false
  std::vector<MaskRule> mask_rules;
  bool watermark = true;
  std::chrono::seconds idle_timeout{0};
  std::chrono::seconds max_duration{0};
  bool require_user_verification = true;

  bool operator==(const SessionGrant&) const = default;
};

// Caps, each with the reason for its size.
// A project lists a handful of sensitive applications; 64 leaves room, bounds agent work.
inline constexpr std::size_t kMaxMaskRules = 64;
// A window-class or title pattern is a short regex; longer ones are a mistake or an attack.
inline constexpr std::size_t kMaxMaskPatternSize = 256;
// A week: longer sessions than that are not an analysis session but a standing door.
inline constexpr std::chrono::seconds kMaxGrantDuration{7 * 24 * 3600};
// The canonical text of a grant at the caps above stays well under this.
inline constexpr std::size_t kMaxGrantJsonSize = 64 * 1024;

// Checks the fixed values and the caps; the gateway calls it on every grant it receives.
Result<void> ValidateGrant(const SessionGrant& grant);

// Canonical JSON (spec: TICKET_FORMAT.md). Fails only if the grant does not validate.
Result<std::string> CanonicalGrantJson(const SessionGrant& grant);
// Accepts only the canonical form: any other spelling of the same grant is refused, so
// the bytes that were hashed are the bytes that are obeyed.
Result<SessionGrant> ParseGrantJson(std::string_view json);
// SHA-256 of the canonical JSON.
Result<Sha256Digest> GrantDigest(const SessionGrant& grant);

}  // namespace safedesk
