// `npuprobe sites`' output from the sites files it read (attribution/sites_file.h): which
// entries are shown and the text or JSON they are shown as. A library of its own, like
// top_table.h, so tests/unit/cli checks it without running the command.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "npuprobe/attribution/sites_file.h"

namespace npuprobe::cli::sites {

struct ProcessSites {
  attribution::SitesReport report;
  bool alive = false;  // kill(pid, 0) found it (a reused pid reads as alive: best effort)
};

// The entries shown for one process: per device, the `top` with the highest count; in the
// order highest count first (ties: the file's order).
std::vector<const attribution::SiteEntry *> shown_entries(const attribution::SitesReport &report,
                                                          std::size_t top);

// One stack frame: "function at file:line (module)", "function (module)", "module+0xOFF" or
// "0xPC (unknown module)" (module as its basename).
std::string format_frame(const attribution::Frame &frame);

// Per process, per device, the shown entries, each with its full stack (the site frame marked
// "->"). `now_unix_s` dates the "updated ... ago" of each process.
std::string format_text(const std::vector<ProcessSites> &processes, std::size_t top,
                        double now_unix_s);

// A JSON array with one object per process: its sites file as written (format 1, sites_file.h)
// with "sites" cut to the shown entries and an "alive" boolean added after "format".
std::string format_json(const std::vector<ProcessSites> &processes, std::size_t top);

}  // namespace npuprobe::cli::sites
