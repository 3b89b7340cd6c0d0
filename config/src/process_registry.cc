#include "npuprobe/config/process_registry.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <utility>

#include "npuprobe/base/checked_file.h"
#include "npuprobe/base/private_dir.h"

namespace npuprobe::config {
namespace {

constexpr char kMagic[8] = {'N', 'P', 'U', 'P', 'R', 'O', 'C', '1'};

// The file, 1024 bytes. Fixed-size strings, NUL-terminated (truncated when longer). Written and
// read whole with pwrite / pread, never mapped.
struct Record {
  char magic[8];
  std::uint64_t sequence;
  std::int64_t pid;
  std::uint64_t start_ticks;
  std::uint64_t devices;
  std::uint64_t config_generation;
  std::int64_t last_publish_unix_ms;
  std::uint32_t measuring;
  char format[4];
  char dp[32];
  char folder[384];
  char command[480];    // 512 before task_time: a reader of then still finds its NUL in here
  char task_time[64];  // zeros in records of older npuprobe versions: read as ""
};
static_assert(sizeof(Record) <= 1024, "the registry record fits its file");
static_assert(sizeof(Record) == 1024, "task_time took the record's last free bytes");
constexpr std::size_t kFileSize = 1024;
constexpr std::size_t kSequenceAt = offsetof(Record, sequence);

void copy_text(char *out, std::size_t size, const std::string &text) {
  const std::size_t n = std::min(size - 1, text.size());
  std::memcpy(out, text.data(), n);
  std::memset(out + n, 0, size - n);
}

std::string text_of(const char *field, std::size_t size) {
  return std::string(field, strnlen(field, size));
}

// Reads one entry file; false with `why` when it is not one (or keeps changing under us). A
// FIFO, a device or a link is refused at open without blocking; a file truncated by someone
// else while it is read is a short read, not a signal.
bool read_record(const std::string &path, ProcessStatus *out, std::string *why) {
  struct stat st {};
  const int fd = base::open_regular_for_read(path, kFileSize, why, &st, base::Links::kRefuse);
  if (fd < 0) return false;
  bool ok = false;
  if (st.st_size != static_cast<off_t>(kFileSize)) {
    *why = "is " + std::to_string(st.st_size) + " bytes, not a registry record (" +
           std::to_string(kFileSize) + ")";
  } else {
    *why = "kept changing while read";
    for (int attempt = 0; attempt < 100 && !ok; ++attempt) {
      Record r;
      std::uint64_t after = 0;
      if (!base::read_exact_at(fd, 0, &r, sizeof r) || !base::read_exact_at(fd, kSequenceAt, &after, sizeof after)) {
        *why = "was truncated while read";
        break;
      }
      if ((r.sequence & 1u) != 0 || after != r.sequence) {
        sched_yield();  // the writer is between its two stores
        continue;
      }
      if (std::memcmp(r.magic, kMagic, sizeof kMagic) != 0) {
        *why = "is not a registry record (wrong magic)";
        break;
      }
      ProcessStatus s;
      s.pid = static_cast<int>(r.pid);
      s.start_ticks = r.start_ticks;
      s.devices = r.devices;
      s.config_generation = r.config_generation;
      s.last_publish_unix_ms = r.last_publish_unix_ms;
      s.measuring = r.measuring != 0;
      s.format = text_of(r.format, sizeof r.format);
      s.dp = text_of(r.dp, sizeof r.dp);
      s.folder = text_of(r.folder, sizeof r.folder);
      s.command = text_of(r.command, sizeof r.command);
      s.task_time = text_of(r.task_time, sizeof r.task_time);
      *out = s;
      ok = true;
    }
  }
  ::close(fd);
  return ok;
}

bool is_alive(const ProcessStatus &s) {
  if (s.pid <= 0) return false;
  if (::kill(s.pid, 0) != 0 && errno != EPERM) return false;
  const std::uint64_t ticks = process_start_ticks(s.pid);
  return ticks == 0 || s.start_ticks == 0 || ticks == s.start_ticks;
}

}  // namespace

std::string registry_dir_from_environment() {
  const char *dir = std::getenv("NPUPROBE_REGISTRY_DIR");
  if (dir != nullptr && dir[0] != '\0') return dir;
  struct stat st {};
  const std::string base = ::stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp";
  return base + "/npuprobe-registry-" + std::to_string(::getuid());
}

std::uint64_t process_start_ticks(int pid) {
  // The main thread's own stat file (its tid is the pid): the same start time as
  // /proc/<pid>/stat, which the kernel takes from that thread too. Read this way because qemu
  // user-mode emulation (scripts/aarch64.sh) answers a process's reads of /proc/self/stat and
  // /proc/<own pid>/stat itself, with a start time of its own a few ticks off the kernel's that
  // every other process reads: each process would then be "dead" to `npuprobe status`.
  const std::string id = std::to_string(pid);
  std::ifstream in("/proc/" + id + "/task/" + id + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const std::size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return 0;
  std::size_t at = paren + 1;
  for (int field = 3; field < 22 && at != std::string::npos; ++field) {
    at = stat.find(' ', at + 1);
  }
  if (at == std::string::npos) return 0;
  return std::strtoull(stat.c_str() + at + 1, nullptr, 10);
}

std::string process_command(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!all.empty() && all.back() == '\0') all.pop_back();
  std::replace(all.begin(), all.end(), '\0', ' ');
  return all;
}

std::unique_ptr<RegistryEntry> RegistryEntry::create(const std::string &dir, std::string *error) {
  std::string why;
  if (!base::make_private_dir(dir, 0700, &why)) {
    *error = dir + ": " + why + " (refused)";
    return nullptr;
  }
  const std::string path = dir + "/" + std::to_string(::getpid()) + ".proc";
  // A stale entry of an earlier process with our pid (in our own folder): the name goes, a
  // link's target is never touched; then O_EXCL | O_NOFOLLOW.
  ::unlink(path.c_str());
  const int fd = base::create_new_file(path, O_RDWR, 0600, &why);
  if (fd < 0) {
    *error = "cannot create " + path + ": " + why;
    return nullptr;
  }
  if (::ftruncate(fd, static_cast<off_t>(kFileSize)) != 0) {
    *error = "cannot size " + path + ": " + std::strerror(errno);
    ::close(fd);
    ::unlink(path.c_str());
    return nullptr;
  }
  return std::unique_ptr<RegistryEntry>(new RegistryEntry(path, fd));
}

RegistryEntry::RegistryEntry(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}

RegistryEntry::~RegistryEntry() {
  if (fd_ >= 0) ::close(fd_);
}

void RegistryEntry::publish(const ProcessStatus &s) noexcept {
  if (fd_ < 0) return;
  Record r;
  std::memset(&r, 0, sizeof r);
  std::memcpy(r.magic, kMagic, sizeof kMagic);
  r.sequence = ++sequence_;  // odd: being written
  base::write_all_at(fd_, kSequenceAt, &r.sequence, sizeof r.sequence);
  r.pid = s.pid;
  r.start_ticks = s.start_ticks;
  r.devices = s.devices;
  r.config_generation = s.config_generation;
  r.last_publish_unix_ms = s.last_publish_unix_ms;
  r.measuring = s.measuring ? 1 : 0;
  copy_text(r.format, sizeof r.format, s.format);
  copy_text(r.dp, sizeof r.dp, s.dp);
  copy_text(r.folder, sizeof r.folder, s.folder);
  copy_text(r.command, sizeof r.command, s.command);
  copy_text(r.task_time, sizeof r.task_time, s.task_time);
  base::write_all_at(fd_, 0, &r, sizeof r);
  const std::uint64_t even = ++sequence_;
  base::write_all_at(fd_, kSequenceAt, &even, sizeof even);
}

void RegistryEntry::remove() noexcept {
  if (fd_ < 0) return;
  ::unlink(path_.c_str());
  ::close(fd_);
  fd_ = -1;
}

void RegistryEntry::forget_after_fork() noexcept {
  if (fd_ >= 0) ::close(fd_);  // the child's copy only
  fd_ = -1;
}

std::vector<ListedProcess> list_processes(const std::string &dir, bool clean_dead,
                                          std::vector<std::string> *skipped) {
  std::vector<ListedProcess> out;
  DIR *d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  std::size_t read = 0;
  while (const dirent *e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name.size() <= 5 || name.compare(name.size() - 5, 5, ".proc") != 0) continue;
    if (read++ == kMaxRegistryEntries) {
      if (skipped) skipped->push_back("more than " + std::to_string(kMaxRegistryEntries) +
                                      " entries: the rest were not read");
      break;
    }
    ListedProcess p;
    const std::string path = dir + "/" + name;
    std::string why;
    if (!read_record(path, &p.status, &why)) {
      if (skipped) skipped->push_back(name + ": " + why);
      continue;
    }
    p.alive = is_alive(p.status);
    if (!p.alive && clean_dead) p.removed = ::unlink(path.c_str()) == 0;
    out.push_back(p);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(), [](const ListedProcess &a, const ListedProcess &b) {
    return a.alive != b.alive ? a.alive : a.status.pid < b.status.pid;
  });
  return out;
}

}  // namespace npuprobe::config
