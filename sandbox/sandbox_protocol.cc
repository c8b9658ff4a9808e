#include "sandbox/sandbox_protocol.h"

namespace safedesk::sandbox {
namespace {

void PutU16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}
void PutU32(std::string& out, std::uint32_t v) {
  PutU16(out, static_cast<std::uint16_t>(v >> 16));
  PutU16(out, static_cast<std::uint16_t>(v & 0xffff));
}
bool PutField(std::string& out, std::string_view field, std::size_t cap) {
  if (field.size() > cap) return false;
  PutU16(out, static_cast<std::uint16_t>(field.size()));
  out.append(field);
  return true;
}
Secret Framed(std::string& body) {
  std::string frame;
  PutU32(frame, static_cast<std::uint32_t>(body.size()));
  frame.append(body);
  Secret out(frame);
  WipeBytes(frame.data(), frame.size());
  WipeBytes(body.data(), body.size());
  return out;
}

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> in) : in_(in) {}
  bool U8(std::uint8_t& v) {
    if (in_.size() - at_ < 1) return false;
    v = in_[at_++];
    return true;
  }
  bool U16(std::uint16_t& v) {
    if (in_.size() - at_ < 2) return false;
    v = static_cast<std::uint16_t>(in_[at_] << 8 | in_[at_ + 1]);
    at_ += 2;
    return true;
  }
  bool U32(std::uint32_t& v) {
    std::uint16_t hi = 0, lo = 0;
    if (!U16(hi) || !U16(lo)) return false;
    v = static_cast<std::uint32_t>(hi) << 16 | lo;
    return true;
  }
  bool Field(std::string& v, std::size_t cap) {
    std::uint16_t n = 0;
    if (!U16(n) || n > cap || in_.size() - at_ < n) return false;
    v.assign(reinterpret_cast<const char*>(in_.data() + at_), n);
    at_ += n;
    return true;
  }
  bool Done() const { return at_ == in_.size(); }

 private:
  std::span<const std::uint8_t> in_;
  std::size_t at_ = 0;
};

Error Malformed() { return MakeError(Errc::kInvalidArgument, "malformed sandbox helper frame"); }

}  // namespace

Result<Secret> EncodeRequest(Request type, std::uint16_t sandbox, const LaunchParams* launch) {
  if (sandbox > kMaxSandbox || (type == Request::kLaunch) != (launch != nullptr)) {
    return MakeError(Errc::kInvalidArgument, "bad sandbox request");
  }
  std::string body;
  body.push_back(static_cast<char>(type));
  PutU16(body, sandbox);
  if (launch != nullptr) {
    PutU16(body, launch->width);
    PutU16(body, launch->height);
    if (!PutField(body, launch->sam_line.reveal(), kMaxSamLine) || !PutField(body, launch->dataset_path, kMaxPath) ||
        !PutField(body, launch->agent_config, kMaxAgentConfig) || !PutField(body, launch->agent_cert, kMaxAgentCert) ||
        !PutField(body, launch->agent_key.reveal(), kMaxAgentKey) || !PutField(body, launch->agent_ca, kMaxAgentCa)) {
      WipeBytes(body.data(), body.size());
      return MakeError(Errc::kInvalidArgument, "a launch field is over its cap");
    }
  }
  return Framed(body);
}

Result<DecodedRequest> DecodeRequest(std::span<const std::uint8_t> body) {
  Reader r(body);
  DecodedRequest out;
  std::uint8_t type = 0;
  if (!r.U8(type) || type < 1 || type > 5 || !r.U16(out.sandbox) || out.sandbox > kMaxSandbox) return Malformed();
  out.type = static_cast<Request>(type);
  if (out.type == Request::kLaunch) {
    std::string sam, key;
    const bool ok = r.U16(out.launch.width) && r.U16(out.launch.height) && r.Field(sam, kMaxSamLine) &&
                    r.Field(out.launch.dataset_path, kMaxPath) && r.Field(out.launch.agent_config, kMaxAgentConfig) &&
                    r.Field(out.launch.agent_cert, kMaxAgentCert) && r.Field(key, kMaxAgentKey) &&
                    r.Field(out.launch.agent_ca, kMaxAgentCa);
    out.launch.sam_line = Secret(sam);
    out.launch.agent_key = Secret(key);
    WipeBytes(sam.data(), sam.size());
    WipeBytes(key.data(), key.size());
    if (!ok) return Malformed();
  }
  if (!r.Done()) return Malformed();
  return out;
}

std::string EncodeAnswer(const Answer& answer) {
  std::string body;
  body.push_back(static_cast<char>(kAnswer));
  body.push_back(static_cast<char>(answer.code));
  PutU32(body, answer.value);
  PutField(body, answer.message.substr(0, kMaxMessage), kMaxMessage);
  std::string frame;
  PutU32(frame, static_cast<std::uint32_t>(body.size()));
  return frame + body;
}

Result<Answer> DecodeAnswer(std::span<const std::uint8_t> body) {
  Reader r(body);
  Answer out;
  std::uint8_t type = 0;
  if (!r.U8(type) || type != kAnswer || !r.U8(out.code) || !r.U32(out.value) || !r.Field(out.message, kMaxMessage) ||
      !r.Done()) {
    return Malformed();
  }
  return out;
}

}  // namespace safedesk::sandbox
