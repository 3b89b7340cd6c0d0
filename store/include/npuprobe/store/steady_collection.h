// A store folder read again and again by one server (`npuprobe serve`, the exposer plugin).
// Every scrape answers exactly what collect_folder + the exposition would (MultiProcessCollector
// semantics, the folder as it is at that moment), but when no file was added, removed or given
// a new key since the last full read, the keys are not decoded again: the files are read, their
// key bytes compared with the last read, and only the values are combined and formatted. Files
// kept open are mapped instead: their values are loaded where they lie and their keys compared
// one file per scrape, in turn (a key rewritten in place, which no writer does, shows within as
// many scrapes as there are files; docs/exposition.md). The cost of a steady-state scrape
// follows the values, not the keys (bench/README.md). What it keeps
// is bounded (64 MiB: the exposer plugin runs inside the served process); a folder past that is
// collected in full at every scrape.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "npuprobe/store/metric_types.h"

namespace npuprobe::store {

class SteadyCollection {
 public:
  // `max_held_files`: how many of the folder's files may stay open between scrapes (0: none;
  // steady_reread.h says when a kept one is used).
  SteadyCollection(std::string directory, FormatPreference format,
                   std::size_t max_held_files = 0);
  ~SteadyCollection();
  SteadyCollection(const SteadyCollection &) = delete;
  SteadyCollection &operator=(const SteadyCollection &) = delete;

  struct Scrape {
    std::string body;                 // text format 0.0.4 or OpenMetrics
    std::vector<std::string> errors;  // as collect_folder's: one per skipped file or sample
    bool values_only = false;         // the keys were those of the last full read
  };
  // Not thread-safe: one scrape at a time (the caller serialises them).
  Scrape scrape(bool openmetrics);

 private:
  struct Plan;
  std::string directory_;
  FormatPreference format_;
  std::size_t max_held_files_;
  std::unique_ptr<Plan> plan_;
  bool too_big_ = false;  // a plan would keep more than its limit: plain collections from then on
};

}  // namespace npuprobe::store
