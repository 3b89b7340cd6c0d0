// The runtime switch shared with the Python ms_service_metric tool (docs/config.md, "The runtime
// switch"): POSIX shared memory `<prefix>_control` guarded by the POSIX semaphore
// `<prefix>_semaphore`, prefix from MS_SERVICE_METRIC_SHM_PREFIX (default "/ms_service_metric").
//
// Layout (little-endian uint32): 0 magic 0x4D534D54, 4 version 1, 8 header length 28, 12 state
// (0 off, 1 on), 16 timestamp (unix seconds), 20 process-list offset 28, 24 end marker
// 0xDEADBEEF, 28 list length, 32 cursor, 36.. pid ring. Size 36 + 4 * max_procs.
//
// Instrumented processes only read it (from the publisher thread); they never install a signal
// handler and never add themselves to the pid ring. `npuprobe on|off|restart` write it exactly as
// `ms-service-metric` does.
//
// The segment is mode 0666: any local user can truncate it, replace it with a FIFO or a link,
// or write pids into the ring. Neither side maps it (a truncation would be SIGBUS); both open
// /dev/shm/<name> with O_NOFOLLOW | O_NONBLOCK, check it with fstat and use pread / pwrite
// (src/segment_file.h). Pids in the ring are signalled only after src/signal_target.h's checks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace npuprobe::config {

inline constexpr std::uint32_t kControlMagic = 0x4D534D54;
inline constexpr std::uint32_t kControlVersion = 1;
inline constexpr std::uint32_t kControlHeaderLength = 28;
inline constexpr std::uint32_t kControlEndMarker = 0xDEADBEEF;
inline constexpr std::size_t kControlPidsOffset = 36;

struct ControlState {
  bool on = true;
  std::uint32_t timestamp = 0;
  bool operator==(const ControlState &o) const { return on == o.on && timestamp == o.timestamp; }
};

// MS_SERVICE_METRIC_SHM_PREFIX, else "/ms_service_metric".
std::string control_prefix_from_environment();

// Reads the segment's header without the semaphore (pread of 36 bytes). nullopt with an empty
// `error` when there is no segment; nullopt with `error` set when it is refused (not a regular
// file, a link, too large, owned by a user that is neither this one nor root) or malformed
// (wrong magic, version, marker, short size: also a segment truncated while it was read).
std::optional<ControlState> read_control_segment(const std::string &prefix, std::string *error);

enum class ControlCommand { kOn, kOff, kRestart };

struct CommandOutcome {
  bool ok = false;
  std::string error;
  ControlState state;
  std::vector<int> signalled;  // pids sent SIGUSR1
  std::vector<int> cleared;    // dead pids zeroed in the ring
  std::vector<std::pair<int, std::string>> skipped;  // live pids not signalled, and why
};

// Creates the segment if missing (max_procs from MS_SERVICE_METRIC_MAX_PROCS, default 1000),
// applies the command under the semaphore, then SIGUSR1 to every distinct live pid in the ring
// that is a process of the acting user (root: of the segment's owner), maps the segment (what
// ms_service_metric's processes do) and handles SIGUSR1; the others are `skipped`. `now` is the
// unix time to stamp (a parameter for tests).
CommandOutcome apply_control_command(const std::string &prefix, ControlCommand command,
                                     std::uint32_t now);

}  // namespace npuprobe::config
