#include "npuprobe/config/control_segment.h"

#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <set>
#include <string>

#include "npuprobe/base/checked_file.h"
#include "segment_file.h"
#include "sigbus_guard.h"
#include "signal_target.h"

namespace npuprobe::config {
namespace {

std::uint32_t load32(const unsigned char *base, std::size_t offset) {
  std::uint32_t v;
  std::memcpy(&v, base + offset, sizeof v);  // little-endian hosts only (x86-64, aarch64)
  return v;
}

void store32(unsigned char *base, std::size_t offset, std::uint32_t v) {
  std::memcpy(base + offset, &v, sizeof v);
}

// `base` holds the first 36 bytes; `size` is the segment's size.
std::string validate(const unsigned char *base, std::size_t size) {
  if (size < kControlPidsOffset) return "segment is " + std::to_string(size) + " bytes, < 36";
  if (load32(base, 0) != kControlMagic) return "wrong magic";
  if (load32(base, 4) != kControlVersion) return "unknown version " + std::to_string(load32(base, 4));
  if (load32(base, 8) != kControlHeaderLength) return "wrong header length";
  if (load32(base, 24) != kControlEndMarker) return "wrong end marker";
  const std::uint32_t length = load32(base, 28);
  if (kControlPidsOffset + std::size_t(length) * 4 > size) return "pid ring beyond the segment";
  return {};
}

// Reads the header; a segment truncated under us reads short and is reported as such.
bool read_header(int fd, std::size_t size, unsigned char (&header)[kControlPidsOffset],
                 std::string *problem) {
  if (size < kControlPidsOffset || !base::read_exact_at(fd, 0, header, kControlPidsOffset)) {
    *problem = "segment is shorter than its 36-byte header (truncated?)";
    return false;
  }
  *problem = validate(header, size);
  return problem->empty();
}

std::uint32_t max_procs() {
  const char *v = std::getenv("MS_SERVICE_METRIC_MAX_PROCS");
  const long n = v != nullptr ? std::strtol(v, nullptr, 10) : 1000;
  return n > 0 && n <= 1000000 ? static_cast<std::uint32_t>(n) : 1000;
}

bool create_segment(const std::string &name, std::string *error) {
  // O_EXCL: whatever is at the name already (a segment, a link, a FIFO) is not created over.
  const int fd = shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0666);
  if (fd < 0) {
    if (errno == EEXIST) return true;
    *error = name + ": " + std::strerror(errno);
    return false;
  }
  fchmod(fd, 0666);  // shared with other users' Python tool, like ms_service_metric
  const std::uint32_t procs = max_procs();
  const std::size_t size = kControlPidsOffset + 4 * std::size_t(procs);
  unsigned char header[kControlPidsOffset] = {};
  store32(header, 0, kControlMagic);
  store32(header, 4, kControlVersion);
  store32(header, 8, kControlHeaderLength);
  store32(header, 20, kControlHeaderLength);
  store32(header, 24, kControlEndMarker);
  store32(header, 28, procs);
  bool ok = ftruncate(fd, static_cast<off_t>(size)) == 0 &&
            base::write_all_at(fd, 0, header, sizeof header);
  if (!ok) *error = name + ": cannot initialise: " + std::strerror(errno);
  close(fd);
  return ok;
}

// A descriptor that refers to exactly one process: checked, then signalled, without a pid that
// was reused in between getting the signal (pidfd_send_signal fails once the process is gone).
struct ProcessHandle {
  int fd = -1;
  explicit ProcessHandle(int pid) {
#ifdef SYS_pidfd_open
    fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
#else
    static_cast<void>(pid);
#endif
  }
  ~ProcessHandle() {
    if (fd >= 0) close(fd);
  }
  int signal(int pid, int sig) const {
#ifdef SYS_pidfd_send_signal
    if (fd >= 0) return static_cast<int>(syscall(SYS_pidfd_send_signal, fd, sig, nullptr, 0));
#endif
    return kill(pid, sig);
  }
};

// The semaphore's file is 0666 too: refuse what is not one before sem_open maps it (a FIFO, a
// link, a file too short for a sem_t).
bool semaphore_file_usable(const std::string &sem_name, std::string *error) {
  const std::string path = shm_file_path(sem_name, "sem.");
  if (path.empty()) {
    *error = sem_name + ": not a valid POSIX semaphore name";
    return false;
  }
  struct stat info {};
  const int fd = open_segment_file(path, O_RDONLY, &info, error);
  if (fd < 0) return error->empty();  // absent: sem_open creates it
  close(fd);
  if (static_cast<std::size_t>(info.st_size) < sizeof(sem_t)) {
    *error = path + ": is " + std::to_string(info.st_size) + " bytes, not a semaphore";
    return false;
  }
  return true;
}

struct SemaphoreCall {
  sem_t *sem;
  bool wait;  // true: sem_timedwait (5 s), false: sem_post
  int result = -1;
  int error = 0;
};

void semaphore_call(void *arg) {
  auto *call = static_cast<SemaphoreCall *>(arg);
  if (call->wait) {
    timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 5;
    call->result = sem_timedwait(call->sem, &deadline);
  } else {
    call->result = sem_post(call->sem);
  }
  call->error = errno;
}

// Applies the command to an open, validated segment and signals the ring.
void apply_to_segment(int fd, const struct stat &info, const unsigned char *header,
                      const std::string &segment_path, ControlCommand command, std::uint32_t now,
                      CommandOutcome *out) {
  const bool was_on = load32(header, 12) != 0;
  std::uint32_t state = was_on ? 1 : 0;
  std::uint32_t stamp = load32(header, 16);
  if (command == ControlCommand::kOff) {
    state = 0;
  } else {
    state = 1;
    // Readers react to a *different* timestamp: two commands within one second must
    // still differ, so the stamp never repeats or goes back.
    if (command == ControlCommand::kRestart || !was_on) stamp = now > stamp ? now : stamp + 1;
  }
  if (!write_u32(fd, 12, state) || !write_u32(fd, 16, stamp)) {
    out->error = segment_path + ": cannot write: " + std::strerror(errno);
    return;
  }
  out->state.on = state != 0;
  out->state.timestamp = stamp;
  out->ok = true;
  // The ring, read with pread: a segment truncated meanwhile just ends the ring early.
  const std::uint32_t length = load32(header, 28);
  std::string ring(std::size_t(length) * 4, '\0');
  auto *ring_bytes = reinterpret_cast<unsigned char *>(&ring[0]);
  std::size_t readable = length;
  if (!base::read_exact_at(fd, kControlPidsOffset, ring_bytes, ring.size())) {
    struct stat now_info {};
    const std::size_t size = fstat(fd, &now_info) == 0 ? std::size_t(now_info.st_size) : 0;
    readable = size > kControlPidsOffset ? (size - kControlPidsOffset) / 4 : 0;
    if (readable > length) readable = length;
    if (readable > 0) base::read_exact_at(fd, kControlPidsOffset, ring_bytes, readable * 4);
  }
  // Root acts for the segment's owner; anyone else for themselves.
  const uid_t owner = geteuid() == 0 ? info.st_uid : geteuid();
  std::set<int> seen;
  for (std::size_t i = 0; i < readable; ++i) {
    const auto pid = static_cast<int>(load32(ring_bytes, 4 * i));
    if (pid <= 0) continue;
    const bool first = seen.insert(pid).second;
    const ProcessHandle process(pid);
    if (kill(pid, 0) != 0 && errno == ESRCH) {
      write_u32(fd, kControlPidsOffset + 4 * i, 0);
      if (first) out->cleared.push_back(pid);
      continue;
    }
    if (!first) continue;  // a pid listed twice is signalled once
    const TargetVerdict verdict = check_signal_target(pid, owner, segment_path);
    if (verdict == TargetVerdict::kSignal && process.signal(pid, SIGUSR1) == 0) {
      out->signalled.push_back(pid);
    } else {
      const std::string why = verdict == TargetVerdict::kSignal
                                  ? std::string("exited before the signal")
                                  : verdict_text(verdict, owner, segment_path);
      out->skipped.emplace_back(pid, why);
    }
  }
}

}  // namespace

std::string control_prefix_from_environment() {
  const char *v = std::getenv("MS_SERVICE_METRIC_SHM_PREFIX");
  return v != nullptr && v[0] != '\0' ? v : "/ms_service_metric";
}

std::optional<ControlState> read_control_segment(const std::string &prefix, std::string *error) {
  error->clear();
  const std::string name = prefix + "_control";
  const std::string path = shm_file_path(name);
  if (path.empty()) {
    *error = name + ": not a valid POSIX shared memory name";
    return std::nullopt;
  }
  struct stat info {};
  const int fd = open_segment_file(path, O_RDONLY, &info, error);
  if (fd < 0) return std::nullopt;  // `error` empty: no segment
  // A segment another user made before anyone else could switch this process off at will.
  if (info.st_uid != geteuid() && info.st_uid != 0) {
    close(fd);
    *error = path + ": belongs to uid " + std::to_string(info.st_uid) +
             ", neither this user nor root: ignored";
    return std::nullopt;
  }
  unsigned char header[kControlPidsOffset];
  std::string problem;
  const bool ok = read_header(fd, static_cast<std::size_t>(info.st_size), header, &problem);
  close(fd);
  if (!ok) {
    *error = name + ": " + problem;
    return std::nullopt;
  }
  ControlState state;
  state.on = load32(header, 12) != 0;
  state.timestamp = load32(header, 16);
  return state;
}

CommandOutcome apply_control_command(const std::string &prefix, ControlCommand command,
                                     std::uint32_t now) {
  CommandOutcome out;
  const std::string sem_name = prefix + "_semaphore";
  const std::string name = prefix + "_control";
  const std::string path = shm_file_path(name);
  if (path.empty()) {
    out.error = name + ": not a valid POSIX shared memory name";
    return out;
  }
  if (!semaphore_file_usable(sem_name, &out.error)) return out;
  sem_t *sem = sem_open(sem_name.c_str(), O_CREAT, 0666, 1);
  if (sem == SEM_FAILED) {
    out.error = sem_name + ": " + std::strerror(errno);
    return out;
  }
  SemaphoreCall wait{sem, true};
  if (!run_surviving_truncation(sem, sizeof(sem_t), &semaphore_call, &wait)) {
    out.error = sem_name + ": truncated by another process while waiting on it (nothing written)";
    sem_close(sem);
    return out;
  }
  if (wait.result != 0) {
    out.error = sem_name + ": not acquired within 5 s (" + std::strerror(wait.error) + ")";
    sem_close(sem);
    return out;
  }
  if (create_segment(name, &out.error)) {
    struct stat info {};
    const int fd = open_segment_file(path, O_RDWR, &info, &out.error);
    if (fd < 0 && out.error.empty()) out.error = path + ": removed while being opened";
    if (fd >= 0) {
      unsigned char header[kControlPidsOffset];
      std::string problem;
      if (!read_header(fd, static_cast<std::size_t>(info.st_size), header, &problem)) {
        out.error = name + ": " + problem + " (left untouched)";
      } else {
        apply_to_segment(fd, info, header, path, command, now, &out);
      }
      close(fd);
    }
  }
  SemaphoreCall post{sem, false};
  if (!run_surviving_truncation(sem, sizeof(sem_t), &semaphore_call, &post)) {
    out.error = sem_name + ": truncated by another process; the semaphore could not be released" +
                (out.ok ? " (the segment was written)" : "");
    out.ok = false;
  }
  sem_close(sem);
  return out;
}

}  // namespace npuprobe::config
