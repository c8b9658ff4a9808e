#include "gateway/rdp_link.h"

#include <freerdp/channels/channels.h>
#include <freerdp/freerdp.h>
#include <freerdp/gdi/gdi.h>
#include <freerdp/input.h>
#include <winpr/synch.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "common/log.h"

namespace safedesk::gateway {
namespace {

constexpr DWORD kWaitSliceMs = 100;  // how often the loop looks at the stop flag

}  // namespace

const std::vector<std::string>& AllowedStaticChannels() {
  static const std::vector<std::string> allowed;  // none: see the header
  return allowed;
}

struct RdpLink::Impl {
  RdpTarget target;
  RdpLinkHandlers handlers;
  std::atomic<bool> stop{false};
  std::thread thread;

  // Guards `instance` for input from other threads; the link thread holds it while it
  // creates and destroys the connection, never while it waits or paints.
  std::mutex input_mu;
  freerdp* instance = nullptr;
  bool connected = false;
  int last_buttons = 0;

  void Run();
  std::string Connect(freerdp* inst);
  void Loop(freerdp* inst);
};

namespace {

struct LinkContext {
  rdpContext base;  // must be first: FreeRDP allocates ContextSize and casts
  RdpLink::Impl* impl;
  std::string failure;  // why a callback refused, for the end reason
};

RdpLink::Impl* ImplOf(rdpContext* context) { return reinterpret_cast<LinkContext*>(context)->impl; }

void WipeSettingString(char*& text) {
  if (text == nullptr) return;
  std::memset(text, 0, std::strlen(text));
  free(text);
  text = nullptr;
}

BOOL OnBeginPaint(rdpContext* context) {
  HGDI_WND hwnd = context->gdi->primary->hdc->hwnd;
  hwnd->invalid->null = TRUE;
  hwnd->ninvalid = 0;
  return TRUE;
}

BOOL OnEndPaint(rdpContext* context) {
  rdpGdi* gdi = context->gdi;
  HGDI_WND hwnd = gdi->primary->hdc->hwnd;
  if (hwnd->invalid->null || hwnd->ninvalid <= 0) return TRUE;
  FrameView frame;
  frame.at = std::chrono::system_clock::now();
  frame.width = static_cast<int>(gdi->width);
  frame.height = static_cast<int>(gdi->height);
  frame.stride = static_cast<int>(gdi->stride);
  frame.pixels = {gdi->primary_buffer, static_cast<std::size_t>(gdi->stride) * gdi->height};
  frame.dirty.reserve(static_cast<std::size_t>(hwnd->ninvalid));
  for (int i = 0; i < hwnd->ninvalid; ++i) {
    const auto& r = hwnd->cinvalid[i];
    // Clip to the framebuffer: the invalid list is the server's word, not a promise.
    const int x0 = std::clamp(static_cast<int>(r.x), 0, frame.width);
    const int y0 = std::clamp(static_cast<int>(r.y), 0, frame.height);
    const int x1 = std::clamp(static_cast<int>(r.x + r.w), 0, frame.width);
    const int y1 = std::clamp(static_cast<int>(r.y + r.h), 0, frame.height);
    if (x1 > x0 && y1 > y0) frame.dirty.push_back({x0, y0, x1 - x0, y1 - y0});
  }
  hwnd->invalid->null = TRUE;
  hwnd->ninvalid = 0;
  if (frame.dirty.empty()) return TRUE;
  RdpLink::Impl* impl = ImplOf(context);
  if (impl->handlers.on_frame) {
    auto handled = impl->handlers.on_frame(frame);
    if (!handled) {
      reinterpret_cast<LinkContext*>(context)->failure = handled.error().message;
      return FALSE;
    }
  }
  return TRUE;
}

BOOL OnDesktopResize(rdpContext* context) {
  rdpSettings* s = context->settings;
  return gdi_resize(context->gdi, s->DesktopWidth, s->DesktopHeight);
}

BOOL OnPreConnect(freerdp* instance) {
  rdpSettings* s = instance->settings;
  // The allow-list is checked here, after every setting is final and before a byte goes
  // to the desktop: a build or a setting that would announce another channel is refused.
  const auto& allowed = AllowedStaticChannels();
  for (UINT32 i = 0; i < s->ChannelCount; ++i) {
    const std::string name = s->ChannelDefArray[i].name;
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      reinterpret_cast<LinkContext*>(instance->context)->failure = "channel not allowed: " + name;
      return FALSE;
    }
  }
  if (s->DynamicChannelCount != 0 || s->SupportDynamicChannels || s->RedirectClipboard || s->DeviceRedirection) {
    reinterpret_cast<LinkContext*>(instance->context)->failure = "transfer settings not off";
    return FALSE;
  }
  return TRUE;
}

BOOL OnPostConnect(freerdp* instance) {
  if (!gdi_init(instance, PIXEL_FORMAT_BGRX32)) return FALSE;
  instance->update->BeginPaint = OnBeginPaint;
  instance->update->EndPaint = OnEndPaint;
  instance->update->DesktopResize = OnDesktopResize;
  return TRUE;
}

void OnPostDisconnect(freerdp* instance) { gdi_free(instance); }

// The desktop's RDP server makes its own self-signed certificate. Its identity is proven
// by NLA instead: CredSSP binds the TLS key to the per-session credential, which only the
// desktop and this gateway hold.
DWORD OnVerifyCertificate(freerdp*, const char*, UINT16, const char*, const char*, const char*, const char*, DWORD) {
  return 2;  // accept for this connection only, never stored
}
DWORD OnVerifyChangedCertificate(freerdp*, const char*, UINT16, const char*, const char*, const char*, const char*,
                                 const char*, const char*, const char*, DWORD) {
  return 2;
}

BOOL OnReceiveChannelData(freerdp* instance, UINT16 channel_id, const BYTE*, size_t size, UINT32, size_t) {
  RdpLink::Impl* impl = ImplOf(instance->context);
  std::string name = "id:" + std::to_string(channel_id);
  if (const char* known = freerdp_channels_get_name_by_id(instance, channel_id)) name = known;
  if (impl->handlers.on_blocked_channel) impl->handlers.on_blocked_channel(name, size);
  return TRUE;  // dropped: no channel is open, so nothing is ever delivered
}

void ApplySettings(rdpSettings* s, const RdpTarget& target) {
  freerdp_settings_set_string(s, FreeRDP_ServerHostname, target.host.c_str());
  s->ServerPort = target.port;
  freerdp_settings_set_string(s, FreeRDP_Username, target.username.c_str());
  {
    const std::string password(target.password.reveal());
    freerdp_settings_set_string(s, FreeRDP_Password, password.c_str());
    // std::string's buffer: wipe before it is freed.
    std::memset(const_cast<char*>(password.data()), 0, password.size());
  }
  s->DesktopWidth = static_cast<UINT32>(target.width);
  s->DesktopHeight = static_cast<UINT32>(target.height);
  s->ColorDepth = 32;
  s->SoftwareGdi = TRUE;
  // NLA only: a desktop that cannot do it is not one of ours.
  s->NlaSecurity = TRUE;
  s->TlsSecurity = FALSE;
  s->RdpSecurity = FALSE;
  s->ExtSecurity = FALSE;
  s->AutoLogonEnabled = TRUE;
  s->AutoReconnectionEnabled = FALSE;  // would keep the password in memory
  // Legacy bitmap codecs: cheap to decode, and the shadow server's frame rate is the
  // same with them (see DESIGN.md for the figures).
  s->RemoteFxCodec = FALSE;
  s->NSCodec = FALSE;
  s->SupportGraphicsPipeline = FALSE;
  s->GfxH264 = FALSE;
  s->GfxAVC444 = FALSE;
  // Every transfer path off; the three after them would force-load rdpdr.
  s->RedirectClipboard = FALSE;
  s->DeviceRedirection = FALSE;
  s->RedirectDrives = FALSE;
  s->RedirectHomeDrive = FALSE;
  s->RedirectPrinters = FALSE;
  s->RedirectSmartCards = FALSE;
  s->RedirectSerialPorts = FALSE;
  s->RedirectParallelPorts = FALSE;
  s->AudioPlayback = FALSE;
  s->AudioCapture = FALSE;
  s->RemoteConsoleAudio = FALSE;
  s->NetworkAutoDetect = FALSE;
  s->SupportHeartbeatPdu = FALSE;
  s->SupportMultitransport = FALSE;
  s->SupportDynamicChannels = FALSE;
  s->SupportDisplayControl = FALSE;
  s->SupportEchoChannel = FALSE;
  s->SupportSSHAgentChannel = FALSE;
  s->SupportVideoOptimized = FALSE;
  s->SupportGeometryTracking = FALSE;
  s->EncomspVirtualChannel = FALSE;
  s->RemdeskVirtualChannel = FALSE;
  s->RemoteApplicationMode = FALSE;
  s->MultiTouchInput = FALSE;
  s->TcpConnectTimeout = 5000;
}

}  // namespace

std::unique_ptr<RdpLink> RdpLink::Start(RdpTarget target, RdpLinkHandlers handlers) {
  auto impl = std::make_unique<Impl>();
  impl->target = std::move(target);
  impl->handlers = std::move(handlers);
  Impl* raw = impl.get();
  std::unique_ptr<RdpLink> link(new RdpLink(std::move(impl)));
  raw->thread = std::thread([raw] { raw->Run(); });
  return link;
}

RdpLink::RdpLink(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RdpLink::~RdpLink() {
  Stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void RdpLink::Stop() { impl_->stop = true; }

void RdpLink::SendKey(std::uint16_t scancode, bool down) {
  std::lock_guard lock(impl_->input_mu);
  if (!impl_->connected) return;
  freerdp_input_send_keyboard_event_ex(impl_->instance->input, down ? TRUE : FALSE, scancode);
}

void RdpLink::SendPointer(int x, int y, int buttons) {
  std::lock_guard lock(impl_->input_mu);
  if (!impl_->connected) return;
  rdpInput* input = impl_->instance->input;
  const auto ux = static_cast<UINT16>(std::max(0, x));
  const auto uy = static_cast<UINT16>(std::max(0, y));
  const int changed = buttons ^ impl_->last_buttons;
  freerdp_input_send_mouse_event(input, PTR_FLAGS_MOVE, ux, uy);
  struct Button {
    int bit;
    UINT16 flag;
  };
  for (Button b : {Button{1, PTR_FLAGS_BUTTON1}, Button{4, PTR_FLAGS_BUTTON2}, Button{2, PTR_FLAGS_BUTTON3}}) {
    if ((changed & b.bit) == 0) continue;
    const UINT16 flags = static_cast<UINT16>(b.flag | ((buttons & b.bit) ? PTR_FLAGS_DOWN : 0));
    freerdp_input_send_mouse_event(input, flags, ux, uy);
  }
  impl_->last_buttons = buttons;
}

void RdpLink::SendWheel(int x, int y, int delta) {
  std::lock_guard lock(impl_->input_mu);
  if (!impl_->connected || delta == 0) return;
  // One notch is 120; RDP carries a 9-bit magnitude with a sign flag.
  const int magnitude = std::min(std::abs(delta), 0xFF);
  UINT16 flags = static_cast<UINT16>(PTR_FLAGS_WHEEL | (magnitude & WheelRotationMask));
  if (delta < 0) flags = static_cast<UINT16>(PTR_FLAGS_WHEEL | PTR_FLAGS_WHEEL_NEGATIVE | ((0x200 - magnitude) & 0xFF));
  freerdp_input_send_mouse_event(impl_->instance->input, flags, static_cast<UINT16>(std::max(0, x)),
                                 static_cast<UINT16>(std::max(0, y)));
}

std::string RdpLink::Impl::Connect(freerdp* inst) {
  ApplySettings(inst->settings, target);
  target.password.Wipe();
  const BOOL ok = freerdp_connect(inst);
  WipeSettingString(inst->settings->Password);
  if (!ok) {
    auto* ctx = reinterpret_cast<LinkContext*>(inst->context);
    if (!ctx->failure.empty()) return ctx->failure;
    return std::string("desktop connect failed: ") +
           freerdp_get_last_error_string(freerdp_get_last_error(inst->context));
  }
  return {};
}

void RdpLink::Impl::Loop(freerdp* inst) {
  while (!stop && !freerdp_shall_disconnect(inst)) {
    HANDLE handles[MAXIMUM_WAIT_OBJECTS];
    const DWORD count = freerdp_get_event_handles(inst->context, handles, MAXIMUM_WAIT_OBJECTS);
    if (count == 0) break;
    WaitForMultipleObjects(count, handles, FALSE, kWaitSliceMs);
    if (!freerdp_check_event_handles(inst->context)) break;
  }
}

void RdpLink::Impl::Run() {
  freerdp* inst = freerdp_new();
  std::string reason;
  if (inst == nullptr) {
    if (handlers.on_end) handlers.on_end("desktop link: out of memory");
    return;
  }
  inst->ContextSize = sizeof(LinkContext);
  inst->PreConnect = OnPreConnect;
  inst->PostConnect = OnPostConnect;
  inst->PostDisconnect = OnPostDisconnect;
  inst->VerifyCertificateEx = OnVerifyCertificate;
  inst->VerifyChangedCertificateEx = OnVerifyChangedCertificate;
  if (!freerdp_context_new(inst)) {
    freerdp_free(inst);
    if (handlers.on_end) handlers.on_end("desktop link: context");
    return;
  }
  reinterpret_cast<LinkContext*>(inst->context)->impl = this;
  inst->ReceiveChannelData = OnReceiveChannelData;
  reason = Connect(inst);
  if (reason.empty()) {
    {
      std::lock_guard lock(input_mu);
      instance = inst;
      connected = true;
    }
    Result<void> accepted = Ok();
    if (handlers.on_connected) {
      accepted = handlers.on_connected(static_cast<int>(inst->settings->DesktopWidth),
                                       static_cast<int>(inst->settings->DesktopHeight));
    }
    if (accepted) Loop(inst);
    auto* ctx = reinterpret_cast<LinkContext*>(inst->context);
    if (!accepted) reason = accepted.error().message;
    else if (stop) reason = "stopped";
    else if (!ctx->failure.empty()) reason = ctx->failure;
    else reason = "desktop closed the connection";
    {
      std::lock_guard lock(input_mu);
      connected = false;
    }
    freerdp_disconnect(inst);
  }
  {
    std::lock_guard lock(input_mu);
    instance = nullptr;
  }
  freerdp_context_free(inst);
  freerdp_free(inst);
  if (handlers.on_end) handlers.on_end(reason);
}

}  // namespace safedesk::gateway
