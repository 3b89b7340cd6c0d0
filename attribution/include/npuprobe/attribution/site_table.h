// Captures aggregated by site, on the publisher thread. Each (kind, api, device, site) keeps a
// count, the summed duration and one full symbolized stack (the first seen). The metric label of
// a site is bounded: per kind, the first `max_labels` distinct site names get their own label and
// every later one counts as "other", so the series count stays fixed and a counter never moves
// from one series to another. The table itself is bounded too (kMaxEntries; later sites are
// merged into an "other" entry without a stack).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "npuprobe/attribution/captured_stack.h"
#include "npuprobe/attribution/symbolizer.h"

namespace npuprobe::attribution {

inline constexpr const char *kOtherSite = "other";

const char *to_string(CaptureKind kind);  // "sync", "slow_launch"

struct SiteEntry {
  CaptureKind kind = CaptureKind::kSync;
  std::string api;
  int device = 0;
  std::string site;    // site_name() of the site frame
  std::string label;   // the metric label: `site` or "other"
  std::uint64_t count = 0;
  double total_seconds = 0;
  std::vector<Frame> stack;    // the first stack seen for this entry, innermost first
  std::size_t site_index = 0;  // index of the site frame in `stack` (stack.size(): none)
  // Not the whole story: the stack does not reach a thread entry (reaches_thread_entry), was
  // truncated, or holds an address in no module (a library unloaded before it was named).
  bool partial = false;
  bool truncated = false;      // the capture hit attribution.max_depth
};

class SiteTable {
 public:
  static constexpr std::size_t kMaxEntries = 4096;

  explicit SiteTable(std::size_t max_labels_per_kind);

  // Counts one symbolized capture; returns the entry it was counted in (its `label` is the
  // metric label to add 1 under). The reference stays valid until clear().
  const SiteEntry &add(CaptureKind kind, std::string_view api, int device,
                       const std::vector<Frame> &stack, std::size_t site_index, bool truncated,
                       double seconds);

  // Every entry, highest count first (ties: kind, api, device, site).
  std::vector<const SiteEntry *> by_count() const;
  std::size_t size() const noexcept { return entries_.size(); }
  std::size_t max_labels_per_kind() const noexcept { return max_labels_; }
  // Fork child: forget everything.
  void clear();

 private:
  using Key = std::tuple<int, std::string, int, std::string>;  // kind, api, device, site
  std::size_t max_labels_;
  std::map<Key, SiteEntry> entries_;
  std::set<std::string> labelled_[kCaptureKindCount];
};

}  // namespace npuprobe::attribution
