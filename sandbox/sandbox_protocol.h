#pragma once
// The broker ↔ safedesk-sandbox-helper wire format: length-prefixed frames over a unix
// socket, a small numbered request table and one answer shape. Specified in
// SANDBOX_PROTOCOL.md; this file is its only implementation.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/secret.h"

namespace safedesk::sandbox {

enum class Request : std::uint8_t {
  kCreateNetwork = 1,  // netns sd-N, veth sdvN, addresses, route
  kLaunch = 2,         // the desktop, fixed command shape, inside sd-N
  kStatus = 3,         // is the desktop of N still running?
  kDestroy = 4,        // kill, remove netns, veth, files of N
  kSweep = 5,          // remove every leftover with the helper's prefixes
};
inline constexpr std::uint8_t kAnswer = 0x80;

// Sandbox numbers are the third octet of the sandbox range: 1..254 (0 is the gateway's).
inline constexpr std::uint16_t kMaxSandbox = 254;
// Field caps, reasons in SANDBOX_PROTOCOL.md.
inline constexpr std::size_t kMaxSamLine = 512;
inline constexpr std::size_t kMaxPath = 1024;
inline constexpr std::size_t kMaxAgentConfig = 16 * 1024;
inline constexpr std::size_t kMaxAgentCert = 8 * 1024;
inline constexpr std::size_t kMaxAgentKey = 1024;
inline constexpr std::size_t kMaxAgentCa = 16 * 1024;
inline constexpr std::size_t kMaxMessage = 512;
inline constexpr std::size_t kMaxRequestBody = 1 + 2 + 2 + 2 + 2 + kMaxSamLine + 2 + kMaxPath + 2 + kMaxAgentConfig +
                                               2 + kMaxAgentCert + 2 + kMaxAgentKey + 2 + kMaxAgentCa;
inline constexpr std::size_t kMaxAnswerBody = 1 + 1 + 4 + 2 + kMaxMessage;

struct LaunchParams {
  std::uint16_t width = 1280;
  std::uint16_t height = 800;
  Secret sam_line;           // "user:::NThash:::\n"; never the password
  std::string dataset_path;  // absolute; bound read-only at /data
  std::string agent_config;  // empty: no agent in this desktop
  // The agent's own certificate (PEM, chain after the leaf), its private key and the CA
  // it trusts for the broker and gateway; each empty when the desktop has none.
  std::string agent_cert;
  Secret agent_key;
  std::string agent_ca;
};

struct DecodedRequest {
  Request type = Request::kSweep;
  std::uint16_t sandbox = 0;
  LaunchParams launch;  // kLaunch only
};

struct Answer {
  std::uint8_t code = 0;  // 0 ok, else an Errc value
  std::uint32_t value = 0;
  std::string message;
};

// Complete frames, length prefix included. kInvalidArgument when a field is over its cap.
Result<Secret> EncodeRequest(Request type, std::uint16_t sandbox, const LaunchParams* launch = nullptr);
Result<DecodedRequest> DecodeRequest(std::span<const std::uint8_t> body);
std::string EncodeAnswer(const Answer& answer);
Result<Answer> DecodeAnswer(std::span<const std::uint8_t> body);

}  // namespace safedesk::sandbox
