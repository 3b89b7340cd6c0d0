#include "npuprobe/attribution/site_table.h"

#include <algorithm>

#include "npuprobe/attribution/site_policy.h"
#include "npuprobe/store/registry.h"

namespace npuprobe::attribution {

namespace {

// A site as a label value: C++ names run long (templates, parameter lists), and the registry
// cuts any label value past store::kMaxLabelValueBytes with a warning meant for values nobody
// chose (docs/contract.md). A site is cut here instead, visibly ("..." at the end, never inside
// a UTF-8 character); the sites file keeps the whole name.
std::string site_label(const std::string &site) {
  constexpr std::size_t kCap = store::kMaxLabelValueBytes;
  if (site.size() <= kCap) return site;
  std::size_t end = kCap - 3;
  while (end > 0 && (static_cast<unsigned char>(site[end]) & 0xC0) == 0x80) --end;
  return site.substr(0, end) + "...";
}

}  // namespace

const char *to_string(CaptureKind kind) {
  switch (kind) {
    case CaptureKind::kSync:
      return "sync";
    case CaptureKind::kSlowLaunch:
      return "slow_launch";
  }
  return "unknown";
}

SiteTable::SiteTable(std::size_t max_labels_per_kind) : max_labels_(max_labels_per_kind) {}

const SiteEntry &SiteTable::add(CaptureKind kind, std::string_view api, int device,
                                const std::vector<Frame> &stack, std::size_t site_index,
                                bool truncated, double seconds) {
  int kind_index = static_cast<int>(kind);
  // A kind this build does not know (a corrupt capture) still counts, as a sync.
  if (kind_index < 0 || kind_index >= kCaptureKindCount) {
    kind = CaptureKind::kSync;
    kind_index = 0;
  }
  const bool has_site = site_index < stack.size();
  Key key{kind_index, std::string(api), device,
          has_site ? site_name(stack[site_index]) : "unknown"};

  auto found = entries_.find(key);
  if (found == entries_.end() && entries_.size() >= kMaxEntries) {
    // The table is full: later sites share one entry per (kind, api, device), so the table grows
    // past kMaxEntries by at most that many and every capture is still counted.
    std::get<3>(key) = kOtherSite;
    const auto [other, inserted] = entries_.try_emplace(key);
    if (inserted) {
      other->second.kind = kind;
      other->second.api = std::get<1>(key);
      other->second.device = device;
      other->second.site = kOtherSite;
      other->second.label = kOtherSite;  // no stack: site_index 0 == stack.size()
    }
    found = other;
  }
  if (found == entries_.end()) {
    SiteEntry entry;
    entry.kind = kind;
    entry.api = std::get<1>(key);
    entry.device = device;
    entry.site = std::get<3>(key);
    // First come, first labelled: a site keeps the label it got first (for every api and
    // device), so a series never changes meaning and the label count per kind stays bounded.
    std::set<std::string> &labelled = labelled_[kind_index];
    const std::string label = site_label(entry.site);
    if (labelled.count(label) != 0) {
      entry.label = label;
    } else if (labelled.size() < max_labels_) {
      labelled.insert(label);
      entry.label = label;
    } else {
      entry.label = kOtherSite;
    }
    entry.stack = stack;
    entry.site_index = has_site ? site_index : stack.size();
    entry.partial = !reaches_thread_entry(stack) || truncated ||
                    std::any_of(stack.begin(), stack.end(),
                                [](const Frame &f) { return !f.known_module; });
    entry.truncated = truncated;
    found = entries_.emplace(std::move(key), std::move(entry)).first;
  }
  SiteEntry &entry = found->second;
  ++entry.count;
  entry.total_seconds += seconds;
  return entry;
}

std::vector<const SiteEntry *> SiteTable::by_count() const {
  std::vector<const SiteEntry *> sorted;
  sorted.reserve(entries_.size());
  for (const auto &item : entries_) sorted.push_back(&item.second);
  // The map is in key order (kind, api, device, site), so a stable sort keeps that for ties.
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const SiteEntry *a, const SiteEntry *b) { return a->count > b->count; });
  return sorted;
}

void SiteTable::clear() {
  entries_.clear();
  for (std::set<std::string> &labelled : labelled_) labelled.clear();
}

}  // namespace npuprobe::attribution
