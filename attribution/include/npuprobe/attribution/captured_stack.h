// One native stack as the hot path captured it: addresses only, fixed size, no allocation.
// The publisher thread turns it into symbolized frames (symbolizer.h) and a site (site_policy.h).
#pragma once

#include <cstdint>

namespace npuprobe::attribution {

// Why the stack was captured. The api byte is probes::SyncApi for kSync and probes::LaunchApi
// for kSlowLaunch (attribution/ does not depend on probes: it carries the label string instead,
// see AttributionEvent).
enum class CaptureKind : std::uint8_t { kSync = 0, kSlowLaunch = 1 };
inline constexpr int kCaptureKindCount = 2;

// Deepest stack kept; attribution.max_depth is clamped to it.
inline constexpr int kMaxFrames = 64;

struct CapturedStack {
  CaptureKind kind = CaptureKind::kSync;
  std::uint8_t api = 0;        // index into the kind's api names (see AttributionEvent)
  std::uint16_t depth = 0;     // frames[0, depth) are valid, innermost first
  std::int32_t device = 0;
  bool truncated = false;      // the unwinder filled every slot: outer frames are missing
  std::uint64_t duration_ns = 0;  // the wait or the launch that was captured
  // Not zero-initialized: a wrapper keeps one of these on its stack for every wait, and only
  // frames[0, depth) are ever read.
  std::uintptr_t frames[kMaxFrames];
};

}  // namespace npuprobe::attribution
