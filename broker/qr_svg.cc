#include "broker/qr_svg.h"

#include <qrencode.h>

#include <memory>

namespace safedesk::broker {
namespace {

constexpr int kQuietZone = 4;  // modules of white border readers need (ISO/IEC 18004)

struct QrFree {
  void operator()(QRcode* code) const {
    WipeBytes(code->data, static_cast<std::size_t>(code->width) * static_cast<std::size_t>(code->width));
    QRcode_free(code);
  }
};

std::string Path(const QRcode& code) {
  std::string path;
  for (int y = 0; y < code.width; ++y) {
    for (int x = 0; x < code.width; ++x) {
      if ((code.data[y * code.width + x] & 1) == 0) continue;  // bit 0: dark module
      path += "M" + std::to_string(x + kQuietZone) + " " + std::to_string(y + kQuietZone) + "h1v1h-1z";
    }
  }
  return path;
}

}  // namespace

Result<std::string> QrSvg(const Secret& text) {
  if (text.empty() || text.size() > kMaxQrInputBytes) return MakeError(Errc::kInvalidArgument, "QR input size");
  Secret terminated = Secret::OfSize(text.size() + 1);  // libqrencode takes a C string
  std::copy(text.bytes().begin(), text.bytes().end(), terminated.mutable_bytes().begin());
  std::unique_ptr<QRcode, QrFree> code(
      QRcode_encodeString(reinterpret_cast<const char*>(terminated.bytes().data()), 0, QR_ECLEVEL_M, QR_MODE_8, 1));
  if (code == nullptr) return MakeError(Errc::kInternal, "QR encoding failed");
  const std::string size = std::to_string(code->width + 2 * kQuietZone);
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + size + " " + size +
         "\" shape-rendering=\"crispEdges\"><rect width=\"" + size + "\" height=\"" + size +
         "\" fill=\"#fff\"/><path fill=\"#000\" d=\"" + Path(*code) + "\"/></svg>";
}

}  // namespace safedesk::broker
