#include "gateway/recorder.h"

#include <algorithm>
#include <cstring>

#include "common/log.h"

namespace safedesk::gateway {
namespace {

using recording::PixelRect;

PixelRect ToPixel(const Rect& r) { return PixelRect{r.x, r.y, r.width, r.height}; }

// The mask fill: flat grey with a diagonal hatch fixed to screen coordinates (so it
// compresses and never carries anything of the frame).
void PaintSpan(std::uint8_t* row, int y, int x0, int x1) {
  for (int x = x0; x < x1; ++x) {
    const std::uint8_t v = ((x + y) & 7) == 0 ? 0x40 : 0x80;
    std::uint8_t* p = row + 4 * x;
    p[0] = v, p[1] = v, p[2] = v, p[3] = 0;
  }
}

// Merges rectangles that overlap or touch into their bounding boxes: dirty rectangles
// often arrive as thin bands, and scroll detection needs the whole scrolled area. The
// encoder narrows each box to the pixels that changed, so a loose box costs only a compare.
std::vector<Rect> Coalesce(std::vector<Rect> rects) {
  bool merged = true;
  while (merged) {
    merged = false;
    for (std::size_t i = 0; i < rects.size() && !merged; ++i) {
      for (std::size_t j = i + 1; j < rects.size(); ++j) {
        const Rect& a = rects[i];
        const Rect& b = rects[j];
        if (a.x > b.x + b.width || b.x > a.x + a.width || a.y > b.y + b.height || b.y > a.y + a.height) continue;
        const int x0 = std::min(a.x, b.x), y0 = std::min(a.y, b.y);
        const int x1 = std::max(a.x + a.width, b.x + b.width), y1 = std::max(a.y + a.height, b.y + b.height);
        rects[i] = Rect{x0, y0, x1 - x0, y1 - y0};
        rects.erase(rects.begin() + static_cast<std::ptrdiff_t>(j));
        merged = true;
        break;
      }
    }
  }
  return rects;
}

}  // namespace

struct Recorder::Item {
  enum class Kind { kFrame, kInput } kind = Kind::kFrame;
  std::int64_t t_ms = 0;
  std::chrono::steady_clock::time_point arrival;  // for the masks, decided on the writer thread
  std::vector<Rect> rects;  // frame: where `pixels` (packed rows) go
  std::vector<std::uint8_t> pixels;
  MaskSet masks;  // set by Run once the agent has spoken after `arrival`
  InputEvent input;
};

Result<std::unique_ptr<Recorder>> Recorder::Start(RecorderOptions options, Ed25519PrivateKey seal_key,
                                                  std::optional<Secret> aead_key, Clock& clock,
                                                  Random& random, FailureCallback on_failure) {
  if (options.width <= 0 || options.height <= 0 || options.width > 8192 || options.height > 8192) {
    return MakeError(Errc::kInvalidArgument, "recording screen size out of range");
  }
  recording::Header header;
  header.session_id = options.session_id;
  SAFEDESK_TRY(random.Fill(header.recording_id));
  header.start_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock.Now().time_since_epoch()).count();
  header.width = static_cast<std::uint32_t>(options.width);
  header.height = static_cast<std::uint32_t>(options.height);
  if (aead_key) {
    header.flags |= recording::kFlagEncrypted;
    header.key_id = options.key_id;
  }
  auto writer = recording::RecordingWriter::Create(options.path, std::move(header), std::move(seal_key),
                                                   std::move(aead_key), random);
  if (!writer) return writer.error();
  std::unique_ptr<Recorder> r(new Recorder(std::move(options), std::move(*writer), clock, std::move(on_failure)));
  r->thread_ = std::thread([p = r.get()] { p->Run(); });
  return r;
}

Recorder::Recorder(RecorderOptions options, std::unique_ptr<recording::RecordingWriter> writer, Clock& clock,
                   FailureCallback on_failure)
    : options_(std::move(options)),
      writer_(std::move(writer)),
      clock_(clock),
      on_failure_(std::move(on_failure)),
      compositor_(options_.masks, options_.width, options_.height),
      start_(std::chrono::system_clock::time_point(std::chrono::milliseconds(writer_->header().start_unix_ms))),
      mirror_(std::size_t(options_.width) * options_.height * 4, 0),
      masked_(mirror_.size(), 0),
      encoder_(options_.width, options_.height) {}

Recorder::~Recorder() { (void)Finish(); }

void Recorder::Fail(const char* reason, const std::string& detail) {
  {
    std::lock_guard lock(mu_);
    if (error_) return;
    failed_ = true;
    error_ = MakeError(Errc::kIo, std::string(reason) + ": " + detail);
  }
  log::Main()->error("session {}: {}: {}", options_.session_id, reason, detail);
  if (on_failure_) on_failure_(reason);
}

Result<void> Recorder::Push(std::unique_ptr<Item> item) {
  {
    std::lock_guard lock(mu_);
    if (failed_ || finished_) return error_ ? *error_ : MakeError(Errc::kUnavailable, "recording closed");
    if (queue_.size() < static_cast<std::size_t>(std::max(options_.queue_frames, 1))) {
      queue_.push_back(std::move(item));
      cv_.notify_one();
      return Ok();
    }
  }
  Fail(kBackpressure, "recording queue full");
  return MakeError(Errc::kLimitExceeded, kBackpressure);
}

Result<void> Recorder::OnFrame(const FrameView& frame) {
  if (frame.width != options_.width || frame.height != options_.height) {
    Fail(kFailed, "screen size changed");
    return MakeError(Errc::kInvalidArgument, "recording: screen size changed");
  }
  auto item = std::make_unique<Item>();
  item->t_ms = std::chrono::duration_cast<std::chrono::milliseconds>(frame.at - start_).count();
  item->arrival = clock_.Monotonic();
  if (first_frame_) {
    item->rects.push_back(Rect{0, 0, frame.width, frame.height});
    first_frame_ = false;
  } else {
    for (const Rect& d : frame.dirty) {
      Rect c = ClipRect(d, frame.width, frame.height);
      if (c.width > 0 && c.height > 0) item->rects.push_back(c);
    }
  }
  std::size_t bytes = 0;
  for (const Rect& r : item->rects) bytes += std::size_t(r.width) * r.height * 4;
  item->pixels.resize(bytes);
  std::uint8_t* out = item->pixels.data();
  for (const Rect& r : item->rects) {
    for (int y = r.y; y < r.y + r.height; ++y) {
      std::memcpy(out, frame.pixels.data() + std::size_t(y) * frame.stride + std::size_t(r.x) * 4,
                  std::size_t(r.width) * 4);
      out += std::size_t(r.width) * 4;
    }
  }
  return Push(std::move(item));
}

Result<void> Recorder::OnInput(const InputEvent& event) {
  auto item = std::make_unique<Item>();
  item->kind = Item::Kind::kInput;
  item->t_ms = std::chrono::duration_cast<std::chrono::milliseconds>(event.at - start_).count();
  item->arrival = clock_.Monotonic();
  item->input = event;
  if (event.kind != InputEvent::Kind::kKey) {
    if (options_.pointer == PointerPolicy::kOff) return Ok();
    if (options_.pointer == PointerPolicy::kClicks && event.buttons == 0 && event.wheel_delta == 0) return Ok();
  }
  return Push(std::move(item));
}

void Recorder::OnMasks(const MaskSnapshot& masks) {
  std::lock_guard lock(mu_);
  compositor_.Update(masks);
  cv_.notify_all();
}

void Recorder::OnEnd(const std::string& reason) {
  log::Main()->info("session {}: recording ends ({})", options_.session_id, reason);
  (void)Finish();
}

void Recorder::Run() {
  for (;;) {
    std::unique_ptr<Item> item;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return !queue_.empty() || closing_; });
      if (queue_.empty()) return;
      // The head waits until the agent has reported after it, or until its stale
      // deadline; at the session's end whatever is still unconfirmed is fully masked.
      // The deadline is on the injected clock, hence the short real-time waits.
      MaskResolution resolved = compositor_.Resolve(queue_.front()->arrival, clock_.Monotonic());
      while (!resolved.ready && !closing_ && !failed_) {
        cv_.wait_for(lock, std::chrono::milliseconds(5));
        resolved = compositor_.Resolve(queue_.front()->arrival, clock_.Monotonic());
      }
      item = std::move(queue_.front());
      queue_.pop_front();
      if (failed_) continue;  // nothing more reaches the file after a failure
      item->masks = resolved.ready ? std::move(resolved.masks) : MaskSet{true, true, {}};
    }
    if (auto done = Process(*item); !done) Fail(kFailed, done.error().message);
  }
}

Result<void> Recorder::CloseChunk() {
  chunk_open_ = false;
  auto payload = encoder_.FinishChunk();
  if (!payload) return payload.error();
  return writer_->AppendChunk(stats_, *payload);
}

Result<void> Recorder::Process(Item& item) {
  bool redacted = false;
  if (item.kind == Item::Kind::kInput && item.input.kind == InputEvent::Kind::kKey) {
    const bool sensitive = item.masks.full || item.masks.focus_sensitive;
    if (sensitive && options_.sensitive_keys == KeyPolicy::kNever) return Ok();
    redacted = sensitive && options_.sensitive_keys != KeyPolicy::kFull;
    if (redacted) item.input.scancode = 0;
  }
  const std::int64_t t = std::max(item.t_ms, last_ms_);
  if (chunk_open_ && item.kind == Item::Kind::kFrame && t - stats_.start_ms >= options_.chunk_duration.count()) {
    SAFEDESK_TRY(CloseChunk());
  }
  if (!chunk_open_) {
    stats_ = recording::ChunkStats{t, t, 0, 0, 0};
    encoder_.BeginChunk();
    chunk_open_ = true;
  }
  last_ms_ = t;
  stats_.end_ms = t;
  if (item.kind == Item::Kind::kInput) {
    const InputEvent& e = item.input;
    if (e.kind == InputEvent::Kind::kKey) {
      encoder_.AddKey(t, e.scancode, e.down, redacted);
    } else {
      encoder_.AddPointer(t, e.x, e.y, e.buttons, e.wheel_delta);
    }
    return Ok();
  }
  const int w = options_.width, h = options_.height;
  const std::size_t stride = std::size_t(w) * 4;
  const std::uint8_t* in = item.pixels.data();
  for (const Rect& r : item.rects) {
    for (int y = r.y; y < r.y + r.height; ++y, in += std::size_t(r.width) * 4) {
      std::memcpy(mirror_.data() + std::size_t(y) * stride + std::size_t(r.x) * 4, in, std::size_t(r.width) * 4);
    }
  }
  // Regions whose masked pixels may differ from the previous frame.
  std::vector<Rect> regions;
  const MaskSet& m = item.masks;
  if (m.full != last_full_ || (stats_.frame_count == 0 && writer_->chunk_count() == 0)) {
    regions.push_back(Rect{0, 0, w, h});
  } else if (!m.full) {
    regions = item.rects;
    regions.insert(regions.end(), last_masks_.begin(), last_masks_.end());
    regions.insert(regions.end(), m.rects.begin(), m.rects.end());
  }
  std::uint64_t masked = 0;
  if (m.full) {
    for (int y = 0; y < h; ++y) PaintSpan(masked_.data() + std::size_t(y) * stride, y, 0, w);
    masked = std::uint64_t(w) * h;
  } else {
    for (const Rect& r : regions) {
      for (int y = r.y; y < r.y + r.height; ++y) {
        const std::size_t off = std::size_t(y) * stride + std::size_t(r.x) * 4;
        std::memcpy(masked_.data() + off, mirror_.data() + off, std::size_t(r.width) * 4);
      }
    }
    std::vector<std::pair<int, int>> spans;
    for (int y = 0; y < h && !m.rects.empty(); ++y) {
      spans.clear();
      for (const Rect& r : m.rects) {
        if (y >= r.y && y < r.y + r.height) spans.emplace_back(r.x, r.x + r.width);
      }
      std::sort(spans.begin(), spans.end());
      int covered = 0;
      for (auto [a, b] : spans) {
        a = std::max(a, covered);
        if (b <= a) continue;
        PaintSpan(masked_.data() + std::size_t(y) * stride, y, a, b);
        masked += std::uint64_t(b - a);
        covered = b;
      }
    }
  }
  std::vector<PixelRect> pixel_regions, pixel_masks;
  for (const Rect& r : Coalesce(std::move(regions))) pixel_regions.push_back(ToPixel(r));
  for (const Rect& r : m.rects) pixel_masks.push_back(ToPixel(r));
  encoder_.AddFrame(t, masked_, pixel_regions, m.full, pixel_masks);
  last_full_ = m.full;
  last_masks_ = m.rects;
  ++stats_.frame_count;
  stats_.pixel_area += std::uint64_t(w) * h;
  stats_.masked_area += masked;
  return Ok();
}

Result<void> Recorder::Finish() {
  {
    std::lock_guard lock(mu_);
    if (finished_) return error_ ? Result<void>(*error_) : Ok();
    closing_ = true;
    cv_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
  Result<void> done = Ok();
  bool failed;
  {
    std::lock_guard lock(mu_);
    failed = failed_;
  }
  if (!failed) {
    if (chunk_open_) done = CloseChunk();
    if (done) done = writer_->Seal(last_ms_);
    if (!done) Fail(kFailed, done.error().message);
  }
  std::lock_guard lock(mu_);
  finished_ = true;
  return error_ ? Result<void>(*error_) : done;
}

}  // namespace safedesk::gateway
