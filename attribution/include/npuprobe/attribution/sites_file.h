// The small JSON file the publisher writes beside the store files, one per process:
// `npuprobe_sites_<pid>.json` (Python's MultiProcessCollector only reads *.db, so it never
// sees it). `npuprobe sites` reads them. Written atomically (temporary file + rename); kept
// after the process exits, like its .db files, until `npuprobe gc`.
//
// {"format": 1, "pid": 123, "dp": "0", "process": "npu-sim", "updated_unix_s": 1.7e9,
//  "max_labels": 20, "captures": {"sync": 10, "slow_launch": 2},
//  "not_captured": {"rate_limit": 0, "ring_full": 0},
//  "sites": [{"kind": "sync", "api": "stream", "device": 0, "site": "f (a.cc:12)",
//             "label": "f (a.cc:12)", "count": 10, "total_seconds": 0.5,
//             "partial": false, "truncated": false, "site_frame": 3,
//             "stack": [{"pc": "0x7f...", "known_module": true, "module": "/x/liba.so",
//                        "offset": "0x1234", "function": "f", "file": "/src/a.cc", "line": 12},
//                       ...]}, ...]}
// "sites" is sorted by count, highest first, and holds at most kMaxSitesInFile entries.
// "site_frame" is the index of the site in "stack", or null when no frame was usable.
// "known_module" is optional when reading (absent: module != "").
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "npuprobe/attribution/site_table.h"

namespace npuprobe::attribution {

inline constexpr int kSitesFileFormat = 1;
inline constexpr std::size_t kMaxSitesInFile = 200;
// The largest sites file read_sites_file reads: 200 sites of at most 64 frames, with names that
// C++ templates make a few KiB long, stay under it; a larger file is refused, not read.
inline constexpr std::size_t kMaxSitesFileBytes = std::size_t{64} << 20;

struct SitesReport {
  long pid = 0;
  std::string dp;
  std::string process;
  double updated_unix_s = 0;
  std::size_t max_labels = 0;
  std::uint64_t captured[kCaptureKindCount] = {};  // by CaptureKind
  std::uint64_t not_captured_rate_limit = 0;       // waits skipped by the per-second budget
  std::uint64_t not_captured_ring_full = 0;        // captures the publisher had no room for
  std::vector<SiteEntry> sites;                    // highest count first
};

// "npuprobe_sites_<pid>.json"
std::string sites_file_name(long pid);
// True for a name sites_file_name() makes; *pid gets its pid.
bool parse_sites_file_name(std::string_view name, long *pid);

// Serializes `report` (at most kMaxSitesInFile sites) into `dir`/sites_file_name(report.pid)
// through a temporary file and rename(). False with *error on failure. Never throws.
bool write_sites_file(const std::string &dir, const SitesReport &report, std::string *error);
std::string to_json(const SitesReport &report);

// Parses a file written by write_sites_file (a newer format or a malformed file is an error).
// Only a regular file of at most kMaxSitesFileBytes is read, opened without blocking.
// In npuprobe_attribution_reader (src/sites_file_reader.cc; it needs npuprobe_config's JSON
// parser, which the preload does not link).
bool read_sites_file(const std::string &path, SitesReport *report, std::string *error);
bool parse_sites_json(std::string_view text, SitesReport *report, std::string *error);

}  // namespace npuprobe::attribution
