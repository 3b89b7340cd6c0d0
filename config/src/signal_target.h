// Whether `npuprobe on|off|restart` may send SIGUSR1 to a pid it found in the control segment's
// pid ring. The ring lives in a segment every local user can write (mode 0666), so a pid there
// proves nothing: SIGUSR1's default action kills, and a process that handles it for its own
// reasons must not get one either. A pid is signalled only when the process
//   - belongs to the user the command acts for (the caller; for root, the segment's owner),
//   - is one that ms_service_metric instruments: it keeps the control segment mapped (its
//     SharedMemoryManager does, from connect() on; /proc/<pid>/maps names the segment),
//   - has a SIGUSR1 handler (SigCgt in /proc/<pid>/status).
// npuprobe's own processes never join the ring (they poll the segment), so they never qualify.
#pragma once

#include <sys/types.h>

#include <string>

namespace npuprobe::config {

enum class TargetVerdict { kSignal, kOtherUser, kNotInstrumented, kNoHandler, kUnreadable };

// `segment_path`: the segment's file, "/dev/shm/<prefix>_control".
TargetVerdict check_signal_target(int pid, uid_t owner, const std::string &segment_path);

// Why a verdict skips a pid, for the command's output ("not an instrumented process").
std::string verdict_text(TargetVerdict verdict, uid_t owner, const std::string &segment_path);

}  // namespace npuprobe::config
