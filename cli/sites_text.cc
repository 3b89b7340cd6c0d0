#include "sites_text.h"

#include <algorithm>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <map>

namespace npuprobe::cli::sites {
namespace {

using attribution::Frame;
using attribution::SiteEntry;
using attribution::SitesReport;

// The files come from other processes: a control character in a name must not drive the
// terminal.
std::string printable(const std::string &text) {
  std::string out = text;
  for (char &c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
  }
  return out;
}

std::string basename(const std::string &path) {
  const std::size_t slash = path.rfind('/');
  return printable(slash == std::string::npos ? path : path.substr(slash + 1));
}

std::string format(const char *pattern, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char *pattern, ...) {
  va_list args, again;
  va_start(args, pattern);
  va_copy(again, args);
  const int size = std::vsnprintf(nullptr, 0, pattern, args);
  va_end(args);
  std::string text(size > 0 ? static_cast<std::size_t>(size) : 0, '\0');
  if (size > 0)
    std::vsnprintf(text.data(), text.size() + 1, pattern, again);  // demangled names run long
  va_end(again);
  return text;
}

void append_process_header(std::string *out, const ProcessSites &process, double now_unix_s) {
  const SitesReport &r = process.report;
  const double age = std::max(0.0, now_unix_s - r.updated_unix_s);
  *out +=
      format("pid %ld  %s  dp %s  %s  updated %.0f s ago\n", r.pid,
             r.process.empty() ? "?" : printable(r.process).c_str(),
             r.dp.empty() ? "-" : printable(r.dp).c_str(), process.alive ? "alive" : "exited", age);
  *out += "  captured:";
  for (int kind = 0; kind < attribution::kCaptureKindCount; ++kind) {
    *out += format("%s %" PRIu64 " %s", kind > 0 ? "," : "", r.captured[kind],
                   attribution::to_string(static_cast<attribution::CaptureKind>(kind)));
  }
  *out += format("; not captured: %" PRIu64 " over the rate limit, %" PRIu64 " ring full\n",
                 r.not_captured_rate_limit, r.not_captured_ring_full);
}

void append_entry(std::string *out, std::size_t rank, const SiteEntry &entry) {
  const double mean_ms = entry.count > 0 ? entry.total_seconds * 1e3 / entry.count : 0;
  *out += format("    [%zu] %s %s  count %" PRIu64 "  mean %.3f ms  total %.3f ms  site %s", rank,
                 attribution::to_string(entry.kind), printable(entry.api).c_str(), entry.count,
                 mean_ms, entry.total_seconds * 1e3, printable(entry.site).c_str());
  if (entry.label != entry.site) *out += "  (label \"" + printable(entry.label) + "\")";
  *out += "\n";
  if (entry.stack.empty()) *out += "          (no stack kept)\n";
  for (std::size_t i = 0; i < entry.stack.size(); ++i) {
    *out += format("       %s #%zu ", i == entry.site_index ? "->" : "  ", i);
    *out += format_frame(entry.stack[i]) + "\n";
  }
  if (entry.truncated)
    *out += "          (truncated at max depth)\n";
  else if (entry.partial)
    *out += "          (partial stack)\n";
}

}  // namespace

std::vector<const SiteEntry *> shown_entries(const SitesReport &report, std::size_t top) {
  std::vector<const SiteEntry *> all;
  for (const SiteEntry &entry : report.sites) all.push_back(&entry);
  std::stable_sort(all.begin(), all.end(),
                   [](const SiteEntry *a, const SiteEntry *b) { return a->count > b->count; });
  std::map<int, std::size_t> per_device;
  std::vector<const SiteEntry *> shown;
  for (const SiteEntry *entry : all) {
    if (per_device[entry->device]++ < top) shown.push_back(entry);
  }
  return shown;
}

std::string format_frame(const Frame &frame) {
  if (!frame.known_module) return format("0x%" PRIxPTR " (unknown module)", frame.pc);
  const std::string module = basename(frame.module);
  if (frame.function.empty()) return format("%s+0x%" PRIxPTR, module.c_str(), frame.module_offset);
  std::string text = printable(frame.function);
  if (!frame.file.empty())
    text += " at " + printable(frame.file) + ":" + std::to_string(frame.line);
  return text + " (" + module + ")";
}

std::string format_text(const std::vector<ProcessSites> &processes, std::size_t top,
                        double now_unix_s) {
  std::string out;
  for (const ProcessSites &process : processes) {
    if (!out.empty()) out += "\n";
    append_process_header(&out, process, now_unix_s);
    const std::vector<const SiteEntry *> shown = shown_entries(process.report, top);
    if (shown.empty()) out += "  no sites yet\n";
    std::map<int, std::vector<const SiteEntry *>> by_device;
    for (const SiteEntry *entry : shown) by_device[entry->device].push_back(entry);
    for (const auto &[device, entries] : by_device) {
      out += format("  device %d\n", device);
      for (std::size_t i = 0; i < entries.size(); ++i) append_entry(&out, i + 1, *entries[i]);
    }
  }
  return out;
}

std::string format_json(const std::vector<ProcessSites> &processes, std::size_t top) {
  std::string out = "[";
  for (std::size_t i = 0; i < processes.size(); ++i) {
    SitesReport shown = processes[i].report;
    shown.sites.clear();
    for (const SiteEntry *entry : shown_entries(processes[i].report, top))
      shown.sites.push_back(*entry);
    // to_json's object always opens with {"format":N, so "alive" goes in as the second key.
    std::string object = attribution::to_json(shown);
    while (!object.empty() && object.back() == '\n') object.pop_back();
    const std::size_t comma = object.find(',');
    object.insert(comma, processes[i].alive ? ",\"alive\":true" : ",\"alive\":false");
    out += (i > 0 ? ",\n" : "\n") + object;
  }
  return out + "\n]\n";
}

}  // namespace npuprobe::cli::sites
