// The store folder `npuprobe run` hands the service (exported as PROMETHEUS_MULTIPROC_DIR). vLLM
// reads the folder with prometheus_client's MultiProcessCollector only when the variable is set,
// and requires it wiped between runs: files of an earlier run add old counts to /metrics, and
// files of another format make the collector raise. So run refuses an empty name, refuses a
// folder holding files of earlier runs unless told to wipe them, and without --dir makes a fresh
// folder of its own that it removes when the service exits, as vLLM does with its
// TemporaryDirectory.
#pragma once

#include <string>
#include <vector>

namespace npuprobe::cli {

// The files of earlier runs in `dir`: prometheus_client's `*.db` files and npuprobe's sites
// files, sorted. Links count (they are removed, never followed).
std::vector<std::string> earlier_run_files(const std::string &dir);

// Removes them; false (with `why`) at the first that cannot be removed.
bool remove_earlier_run_files(const std::string &dir, std::string *why);

// A fresh private folder under $TMPDIR (else /tmp): "" with `why` when none can be made.
std::string make_fresh_run_folder(std::string *why);

// Removes the folder made by make_fresh_run_folder and the files the service left in it.
void remove_run_folder(const std::string &dir);

}  // namespace npuprobe::cli
