#include "signal_target.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <sstream>

#include "npuprobe/base/checked_file.h"

namespace npuprobe::config {
namespace {

constexpr std::size_t kMaxStatusBytes = 64 * 1024;
constexpr std::size_t kMaxMapsBytes = 64u << 20;  // a large process maps a few MiB of lines

bool ends_with(const std::string &line, const std::string &tail) {
  return line.size() >= tail.size() &&
         line.compare(line.size() - tail.size(), tail.size(), tail) == 0;
}

// A maps line names the segment (" (deleted)" once ms_service_metric recreated it: still a
// process that registered itself).
bool maps_segment(const std::string &line, const std::string &segment_path) {
  return ends_with(line, " " + segment_path) || ends_with(line, " " + segment_path + " (deleted)");
}

// 1: maps the segment, 0: does not, -1: cannot tell (maps unreadable or too large).
int maps_the_segment(int pid, const std::string &segment_path) {
  const std::string path = "/proc/" + std::to_string(pid) + "/maps";
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return -1;
  std::string pending;
  char chunk[64 * 1024];
  std::size_t total = 0;
  int found = 0;
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      found = -1;
      break;
    }
    if (n == 0) break;
    total += static_cast<std::size_t>(n);
    if (total > kMaxMapsBytes) {
      found = -1;
      break;
    }
    pending.append(chunk, static_cast<std::size_t>(n));
    std::size_t start = 0;
    for (std::size_t end; (end = pending.find('\n', start)) != std::string::npos; start = end + 1) {
      if (maps_segment(pending.substr(start, end - start), segment_path)) found = 1;
    }
    pending.erase(0, start);
    if (found == 1) break;
  }
  if (found == 0 && !pending.empty() && maps_segment(pending, segment_path)) found = 1;
  ::close(fd);
  return found;
}

}  // namespace

TargetVerdict check_signal_target(int pid, uid_t owner, const std::string &segment_path) {
  std::string status, why;
  if (!base::read_regular_file("/proc/" + std::to_string(pid) + "/status", kMaxStatusBytes,
                               &status, &why)) {
    return TargetVerdict::kUnreadable;
  }
  bool uid_ok = false, handler = false;
  std::istringstream lines(status);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("Uid:", 0) == 0) {
      std::istringstream ids(line.substr(4));
      unsigned long real = 0, effective = 0;
      uid_ok = static_cast<bool>(ids >> real >> effective) && real == owner && effective == owner;
    } else if (line.rfind("SigCgt:", 0) == 0) {
      const unsigned long long mask = std::strtoull(line.c_str() + 7, nullptr, 16);
      handler = (mask >> (SIGUSR1 - 1)) & 1u;
    }
  }
  if (!uid_ok) return TargetVerdict::kOtherUser;
  const int mapped = maps_the_segment(pid, segment_path);
  if (mapped < 0) return TargetVerdict::kUnreadable;
  if (mapped == 0) return TargetVerdict::kNotInstrumented;
  return handler ? TargetVerdict::kSignal : TargetVerdict::kNoHandler;
}

std::string verdict_text(TargetVerdict verdict, uid_t owner, const std::string &segment_path) {
  switch (verdict) {
    case TargetVerdict::kSignal: return "signalled";
    case TargetVerdict::kOtherUser: return "not of uid " + std::to_string(owner);
    case TargetVerdict::kNotInstrumented:
      return "not an instrumented process (does not map " + segment_path + ")";
    case TargetVerdict::kNoHandler: return "no SIGUSR1 handler";
    case TargetVerdict::kUnreadable: return "its /proc entries cannot be read";
  }
  return "?";
}

}  // namespace npuprobe::config
