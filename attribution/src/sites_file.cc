// npuprobe_sites_<pid>.json: the writer (the publisher thread of libnpuprobe.so). Hand-written
// JSON on base's string writer (base/json_string.h), because the preload links no JSON library;
// the reader is sites_file_reader.cc.
#include "npuprobe/attribution/sites_file.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "npuprobe/base/checked_file.h"
#include "npuprobe/base/json_string.h"

namespace npuprobe::attribution {
namespace {

constexpr std::string_view kNamePrefix = "npuprobe_sites_";
constexpr std::string_view kNameSuffix = ".json";

// A JSON string: well-formed UTF-8 passes through, so names stay readable; a byte that is not
// part of it (a Latin-1 file name, a truncated symbol) is written as \u00XX so the file stays
// valid JSON for every reader (Python's json refuses invalid UTF-8).
void append_string(std::string *out, std::string_view s) {
  base::append_json_string(*out, s, base::JsonStringStyle::kUtf8);
}

void append_key(std::string *out, const char *key) {
  append_string(out, key);
  out->push_back(':');
}

// %.17g reads back to the same double; JSON has no NaN or infinity, so those become 0.
void append_double(std::string *out, double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", std::isfinite(value) ? value : 0.0);
  out->append(text);
}

void append_unsigned(std::string *out, unsigned long long value) {
  out->append(std::to_string(value));
}

// Addresses as "0x..." strings: a JSON number is a double for most readers and would lose the
// low bits of a 64-bit address.
void append_hex(std::string *out, std::uintptr_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "\"0x%llx\"", static_cast<unsigned long long>(value));
  out->append(text);
}

void append_frame(std::string *out, const Frame &frame) {
  out->append("{\"pc\":");
  append_hex(out, frame.pc);
  // Lets an empty module path of a known module (rare: the main program under some loaders)
  // read back as known; readers default it to module != "" (sites_file.h).
  out->append(",\"known_module\":");
  out->append(frame.known_module ? "true" : "false");
  out->append(",\"module\":");
  append_string(out, frame.module);
  out->append(",\"offset\":");
  append_hex(out, frame.module_offset);
  out->append(",\"function\":");
  append_string(out, frame.function);
  out->append(",\"file\":");
  append_string(out, frame.file);
  out->append(",\"line\":");
  out->append(std::to_string(frame.line));
  out->push_back('}');
}

void append_site(std::string *out, const SiteEntry &site) {
  out->append("{\"kind\":");
  append_string(out, to_string(site.kind));
  out->append(",\"api\":");
  append_string(out, site.api);
  out->append(",\"device\":");
  out->append(std::to_string(site.device));
  out->append(",\"site\":");
  append_string(out, site.site);
  out->append(",\"label\":");
  append_string(out, site.label);
  out->append(",\"count\":");
  append_unsigned(out, site.count);
  out->append(",\"total_seconds\":");
  append_double(out, site.total_seconds);
  out->append(site.partial ? ",\"partial\":true" : ",\"partial\":false");
  out->append(site.truncated ? ",\"truncated\":true" : ",\"truncated\":false");
  out->append(",\"site_frame\":");  // null: no usable frame (site_index == stack.size())
  if (site.site_index < site.stack.size()) {
    append_unsigned(out, site.site_index);
  } else {
    out->append("null");
  }
  out->append(",\"stack\":[");
  for (std::size_t i = 0; i < site.stack.size(); ++i) {
    if (i > 0) out->push_back(',');
    append_frame(out, site.stack[i]);
  }
  out->append("]}");
}

}  // namespace

std::string sites_file_name(long pid) {
  return std::string(kNamePrefix) + std::to_string(pid) + std::string(kNameSuffix);
}

bool parse_sites_file_name(std::string_view name, long *pid) {
  if (name.size() <= kNamePrefix.size() + kNameSuffix.size()) return false;
  if (name.substr(0, kNamePrefix.size()) != kNamePrefix) return false;
  if (name.substr(name.size() - kNameSuffix.size()) != kNameSuffix) return false;
  const std::string_view digits =
      name.substr(kNamePrefix.size(), name.size() - kNamePrefix.size() - kNameSuffix.size());
  // Exactly what sites_file_name() writes: no sign, no leading zero, fits a pid.
  if (digits.size() > 10 || digits[0] == '0') return false;
  long value = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  if (value > 0x7FFFFFFF) return false;
  if (pid != nullptr) *pid = value;
  return true;
}

std::string to_json(const SitesReport &report) {
  std::string out;
  out.reserve(1024 + 512 * std::min(report.sites.size(), kMaxSitesInFile));
  out.append("{\"format\":");
  out.append(std::to_string(kSitesFileFormat));
  out.append(",\"pid\":");
  out.append(std::to_string(report.pid));
  out.append(",\"dp\":");
  append_string(&out, report.dp);
  out.append(",\"process\":");
  append_string(&out, report.process);
  out.append(",\"updated_unix_s\":");
  append_double(&out, report.updated_unix_s);
  out.append(",\"max_labels\":");
  append_unsigned(&out, report.max_labels);
  out.append(",\"captures\":{");
  for (int kind = 0; kind < kCaptureKindCount; ++kind) {
    if (kind > 0) out.push_back(',');
    append_key(&out, to_string(static_cast<CaptureKind>(kind)));
    append_unsigned(&out, report.captured[kind]);
  }
  out.append("},\"not_captured\":{\"rate_limit\":");
  append_unsigned(&out, report.not_captured_rate_limit);
  out.append(",\"ring_full\":");
  append_unsigned(&out, report.not_captured_ring_full);
  out.append("},\"sites\":[");
  const std::size_t sites = std::min(report.sites.size(), kMaxSitesInFile);
  for (std::size_t i = 0; i < sites; ++i) {
    out.append(i > 0 ? ",\n " : "\n ");  // one site per line: a file `grep` and `diff` can read
    append_site(&out, report.sites[i]);
  }
  out.append("]}\n");
  return out;
}

// The temporary file is ".<name>.tmp<writer pid>" (the store's own convention), so
// `npuprobe gc` can remove one left by a killed writer. One writer per process (the publisher
// thread), so the name is never shared. No fsync: a reader needs the rename to be atomic, not
// the file to survive a power cut.
bool write_sites_file(const std::string &dir, const SitesReport &report, std::string *error) {
  const auto fail = [&](const std::string &message) {
    if (error != nullptr) *error = message;
    return false;
  };
  try {
    const std::string name = sites_file_name(report.pid);
    const std::string path = dir + "/" + name;
    const std::string temporary =
        dir + "/." + name + ".tmp" + std::to_string(static_cast<long>(::getpid()));
    const std::string text = to_json(report);
    // A new temporary (O_EXCL, never through a link another user planted at its name), then
    // renamed over the file: a root publisher never writes into someone else's file.
    std::string why;
    if (!base::replace_file_using(path, temporary, text, 0644, &why)) return fail(path + ": " + why);
    return true;
  } catch (...) {  // bad_alloc while building the text or a message
    try {
      return fail("cannot write the sites file: out of memory");
    } catch (...) {
      return false;
    }
  }
}

}  // namespace npuprobe::attribution
