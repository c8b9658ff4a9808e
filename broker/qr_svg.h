#pragma once
// A QR code as an SVG document, rendered server-side so the enrollment page needs no QR
// library. Used for the TOTP otpauth:// URI, which holds the seed: the input is a Secret
// and libqrencode's module buffer is wiped before it is freed.

#include <string>

#include "common/result.h"
#include "common/secret.h"

namespace safedesk::broker {

// An otpauth URI is ~150 bytes; the cap keeps the code (and the SVG) small.
inline constexpr std::size_t kMaxQrInputBytes = 512;

// `text` as a QR code (error correction M, 4-module quiet zone), one <path> of unit
// squares scaled by the viewBox. kInvalidArgument when empty or over the cap.
Result<std::string> QrSvg(const Secret& text);

}  // namespace safedesk::broker
