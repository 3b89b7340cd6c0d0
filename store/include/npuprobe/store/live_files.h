// `npuprobe gc`: live gauge files (gauge_live*_<pid>[-npu].db) of processes that no longer
// exist, and temporary files left by writers that were killed while making a file.
// prometheus_client's mark_process_dead() would do the former, but vLLM rarely calls it, and
// it never sees npuprobe's own file names.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace npuprobe::store {

// The pid a store file name belongs to (gauge_<mode>_<pid>[-npu].db, <type>_<pid>[-npu].db,
// .<name>.tmp<pid>), or -1.
pid_t pid_of_store_file(const std::string &file_name);

bool is_live_gauge_file_name(const std::string &file_name);

struct GarbageReport {
  std::vector<std::string> removed;
  std::vector<std::string> errors;
};

// Removes the live gauge and temporary files of `directory` whose pid is not running.
// `dry_run` reports without removing.
GarbageReport collect_garbage(const std::string &directory, bool dry_run);

bool is_process_alive(pid_t pid);

}  // namespace npuprobe::store
