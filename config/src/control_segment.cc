#include "npuprobe/config/control_segment.h"

#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

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

// A mapping closed on scope exit.
struct Mapping {
  int fd = -1;
  unsigned char *base = nullptr;
  std::size_t size = 0;
  ~Mapping() {
    if (base != nullptr) munmap(base, size);
    if (fd >= 0) close(fd);
  }
};

bool map_segment(const std::string &name, bool writable, Mapping *m, std::string *error) {
  m->fd = shm_open(name.c_str(), writable ? O_RDWR : O_RDONLY, 0);
  if (m->fd < 0) {
    if (errno != ENOENT) *error = name + ": " + std::strerror(errno);
    return false;
  }
  struct stat st;
  if (fstat(m->fd, &st) != 0 || st.st_size <= 0) {
    *error = name + ": empty segment";
    return false;
  }
  m->size = static_cast<std::size_t>(st.st_size);
  void *p = mmap(nullptr, m->size, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED,
                 m->fd, 0);
  if (p == MAP_FAILED) {
    *error = name + ": mmap: " + std::strerror(errno);
    return false;
  }
  m->base = static_cast<unsigned char *>(p);
  return true;
}

std::uint32_t max_procs() {
  const char *v = std::getenv("MS_SERVICE_METRIC_MAX_PROCS");
  const long n = v != nullptr ? std::strtol(v, nullptr, 10) : 1000;
  return n > 0 && n <= 1000000 ? static_cast<std::uint32_t>(n) : 1000;
}

bool create_segment(const std::string &name, std::string *error) {
  const int fd = shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0666);
  if (fd < 0) {
    if (errno == EEXIST) return true;
    *error = name + ": " + std::strerror(errno);
    return false;
  }
  fchmod(fd, 0666);  // shared with other users' Python tool, like ms_service_metric
  const std::uint32_t procs = max_procs();
  const std::size_t size = kControlPidsOffset + 4 * std::size_t(procs);
  bool ok = ftruncate(fd, static_cast<off_t>(size)) == 0;
  void *p = ok ? mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
  if (p != MAP_FAILED) {
    auto *base = static_cast<unsigned char *>(p);
    store32(base, 0, kControlMagic);
    store32(base, 4, kControlVersion);
    store32(base, 8, kControlHeaderLength);
    store32(base, 12, 0);
    store32(base, 16, 0);
    store32(base, 20, kControlHeaderLength);
    store32(base, 24, kControlEndMarker);
    store32(base, 28, procs);
    store32(base, 32, 0);
    munmap(p, size);
  } else {
    ok = false;
    *error = name + ": cannot initialise: " + std::strerror(errno);
  }
  close(fd);
  return ok;
}

// True when `pid` has a SIGUSR1 handler (SigCgt in /proc/<pid>/status): the default action of
// SIGUSR1 kills, so a process that did not ask for it must never get one.
bool catches_sigusr1(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("SigCgt:", 0) == 0) {
      const unsigned long long mask = std::strtoull(line.c_str() + 7, nullptr, 16);
      return (mask >> (SIGUSR1 - 1)) & 1u;
    }
  }
  return false;
}

}  // namespace

std::string control_prefix_from_environment() {
  const char *v = std::getenv("MS_SERVICE_METRIC_SHM_PREFIX");
  return v != nullptr && v[0] != '\0' ? v : "/ms_service_metric";
}

std::optional<ControlState> read_control_segment(const std::string &prefix, std::string *error) {
  error->clear();
  Mapping m;
  if (!map_segment(prefix + "_control", false, &m, error)) return std::nullopt;
  const std::string problem = validate(m.base, m.size);
  if (!problem.empty()) {
    *error = prefix + "_control: " + problem;
    return std::nullopt;
  }
  ControlState state;
  state.on = load32(m.base, 12) != 0;
  state.timestamp = load32(m.base, 16);
  return state;
}

CommandOutcome apply_control_command(const std::string &prefix, ControlCommand command,
                                     std::uint32_t now) {
  CommandOutcome out;
  const std::string sem_name = prefix + "_semaphore";
  sem_t *sem = sem_open(sem_name.c_str(), O_CREAT, 0666, 1);
  if (sem == SEM_FAILED) {
    out.error = sem_name + ": " + std::strerror(errno);
    return out;
  }
  timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 5;
  if (sem_timedwait(sem, &deadline) != 0) {
    out.error = sem_name + ": not acquired within 5 s (" + std::strerror(errno) + ")";
    sem_close(sem);
    return out;
  }
  const std::string name = prefix + "_control";
  Mapping m;
  if (create_segment(name, &out.error) && map_segment(name, true, &m, &out.error)) {
    const std::string problem = validate(m.base, m.size);
    if (!problem.empty()) {
      out.error = name + ": " + problem + " (left untouched)";
    } else {
      const bool was_on = load32(m.base, 12) != 0;
      if (command == ControlCommand::kOff) {
        store32(m.base, 12, 0);
      } else {
        store32(m.base, 12, 1);
        // Readers react to a *different* timestamp: two commands within one second must
        // still differ, so the stamp never repeats or goes back.
        const std::uint32_t previous = load32(m.base, 16);
        const std::uint32_t stamp = now > previous ? now : previous + 1;
        if (command == ControlCommand::kRestart || !was_on) store32(m.base, 16, stamp);
      }
      out.state.on = load32(m.base, 12) != 0;
      out.state.timestamp = load32(m.base, 16);
      const std::uint32_t length = load32(m.base, 28);
      for (std::uint32_t i = 0; i < length; ++i) {
        const auto pid = static_cast<int>(load32(m.base, kControlPidsOffset + 4 * i));
        if (pid <= 0) continue;
        if (kill(pid, 0) != 0 && errno == ESRCH) {
          store32(m.base, kControlPidsOffset + 4 * i, 0);
          out.cleared.push_back(pid);
        } else if (catches_sigusr1(pid) && kill(pid, SIGUSR1) == 0) {
          out.signalled.push_back(pid);
        }
      }
      out.ok = true;
    }
  }
  sem_post(sem);
  sem_close(sem);
  return out;
}

}  // namespace npuprobe::config
