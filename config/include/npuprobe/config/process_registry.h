// The registry of instrumented processes behind `npuprobe status`: one small file per process,
// `<dir>/<pid>.proc`, that the process rewrites with pwrite from its publisher thread after
// every flush, and that `npuprobe status` reads with pread.
//
// dir: NPUPROBE_REGISTRY_DIR, else /dev/shm/npuprobe-registry-<uid> (else /tmp/... where /dev/shm
// is missing). A process removes its file at normal exit; one that ended otherwise (_exit,
// crash, kill) leaves it behind, and `npuprobe status` shows it as dead and removes it. A pid
// reused by another process is told apart by its start time (/proc/<pid>/stat).
//
// On a hostile host: the folder is used only when it is private (base::make_private_dir: ours,
// not a link, not writable by others), and the entry is created with O_EXCL | O_NOFOLLOW, so a
// folder or a link another user planted is refused, never written through. Nobody maps a record
// (a truncation by someone else could not become SIGBUS); a reader opens each file without
// blocking, takes regular files of exactly the record's size only, and reads with pread.
//
// Readers and the writer share a sequence lock: the writer makes `sequence` odd, writes, makes it
// even; a reader retries while it is odd or changed under it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace npuprobe::config {

// What a process says about itself.
struct ProcessStatus {
  int pid = 0;
  std::uint64_t start_ticks = 0;   // /proc/<pid>/stat field 22 (pid-reuse check)
  std::string command;             // /proc/<pid>/cmdline, arguments joined by spaces (479 bytes)
  std::uint64_t devices = 0;       // bit d: device d was set by some thread (d < 64)
  std::string dp;                  // the dp label
  bool measuring = true;           // the runtime switch's state in this process
  std::uint64_t config_generation = 0;  // 0: no configuration file
  std::int64_t last_publish_unix_ms = 0;
  std::string folder;              // store folder
  std::string format;              // "v1" | "v2"
  // Task time: "" (off), "<mode> on", "<mode> off" or "<mode> refused: <reason>" (mode aclprof
  // or mspti; reason as in npuprobe:task_time_active{reason}); MSPTI refusing only its HCCL kind:
  // "mspti on, refused: <reason>" (or "mspti off, ..."). At most 63 bytes.
  std::string task_time;
};

std::string registry_dir_from_environment();

// This process's own entry. Publisher thread only.
class RegistryEntry {
 public:
  // Creates <dir>/<pid>.proc (and dir, mode 0700). nullptr with `error` set when it cannot,
  // also when dir is not private (another user's, a link, writable by others: refused).
  static std::unique_ptr<RegistryEntry> create(const std::string &dir, std::string *error);
  ~RegistryEntry();  // closes; the file stays (remove() deletes it)
  RegistryEntry(const RegistryEntry &) = delete;
  RegistryEntry &operator=(const RegistryEntry &) = delete;

  void publish(const ProcessStatus &status) noexcept;
  void remove() noexcept;
  // Fork child: the descriptor and the file are the parent's; let go of them without writing.
  void forget_after_fork() noexcept;

 private:
  RegistryEntry(std::string path, int fd);
  std::string path_;
  int fd_;
  std::uint64_t sequence_ = 0;
};

struct ListedProcess {
  ProcessStatus status;
  bool alive = false;
  bool removed = false;  // dead entry deleted by this listing
};

// Every entry of `dir`, live ones first, by pid. Dead entries are deleted when `clean_dead`.
// `*.proc` files that are not entries (not a regular file, a link, wrong size or magic, changing
// too fast) are skipped, each with "<name>: <why>" in `skipped` (optional). At most
// kMaxRegistryEntries files are read.
inline constexpr std::size_t kMaxRegistryEntries = 10000;
std::vector<ListedProcess> list_processes(const std::string &dir, bool clean_dead,
                                          std::vector<std::string> *skipped = nullptr);

// /proc/<pid>/stat field 22 (start time in clock ticks since boot, read from the main thread's
// /proc/<pid>/task/<pid>/stat); 0 when unknown.
std::uint64_t process_start_ticks(int pid);
// /proc/<pid>/cmdline with the arguments joined by spaces.
std::string process_command(int pid);

}  // namespace npuprobe::config
