#include "npuprobe/config/process_registry.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <utility>

namespace npuprobe::config {
namespace {

constexpr char kMagic[8] = {'N', 'P', 'U', 'P', 'R', 'O', 'C', '1'};

// The file, 1024 bytes. Fixed-size strings, NUL-terminated (truncated when longer).
struct Record {
  char magic[8];
  std::atomic<std::uint64_t> sequence;
  std::int64_t pid;
  std::uint64_t start_ticks;
  std::uint64_t devices;
  std::uint64_t config_generation;
  std::int64_t last_publish_unix_ms;
  std::uint32_t measuring;
  char format[4];
  char dp[32];
  char folder[384];
  char command[512];
};
static_assert(sizeof(Record) <= 1024, "the registry record fits its file");
constexpr std::size_t kFileSize = 1024;

// The sequence lock's fences. ThreadSanitizer does not model std::atomic_thread_fence (GCC
// refuses it there); the writer and reader are different processes, which TSan never sees
// together, so under TSan an ordered access to the sequence itself stands in.
void writer_fence(std::atomic<std::uint64_t> &sequence) {
#if defined(NPUPROBE_SANITIZER_TSAN)
  sequence.fetch_add(0, std::memory_order_acq_rel);
#else
  static_cast<void>(sequence);
  std::atomic_thread_fence(std::memory_order_release);
#endif
}

void reader_fence(const std::atomic<std::uint64_t> &sequence) {
#if defined(NPUPROBE_SANITIZER_TSAN)
  static_cast<void>(sequence.load(std::memory_order_acquire));
#else
  static_cast<void>(sequence);
  std::atomic_thread_fence(std::memory_order_acquire);
#endif
}

void copy_text(char *out, std::size_t size, const std::string &text) {
  const std::size_t n = std::min(size - 1, text.size());
  std::memcpy(out, text.data(), n);
  std::memset(out + n, 0, size - n);
}

std::string text_of(const char *field, std::size_t size) {
  return std::string(field, strnlen(field, size));
}

bool mkdir_private(const std::string &dir, std::string *error) {
  if (::mkdir(dir.c_str(), 0700) == 0 || errno == EEXIST) return true;
  *error = "cannot create " + dir + ": " + std::strerror(errno);
  return false;
}

// Reads one entry file; false when it is not one (or keeps changing under us).
bool read_record(const std::string &path, ProcessStatus *out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  void *map = MAP_FAILED;
  if (::fstat(fd, &st) == 0 && st.st_size == static_cast<off_t>(kFileSize)) {
    map = ::mmap(nullptr, kFileSize, PROT_READ, MAP_SHARED, fd, 0);
  }
  ::close(fd);
  if (map == MAP_FAILED) return false;
  const auto *r = static_cast<const Record *>(map);
  bool ok = false;
  for (int attempt = 0; attempt < 100 && !ok; ++attempt) {
    const std::uint64_t before = r->sequence.load(std::memory_order_acquire);
    if (before & 1u) continue;
    ProcessStatus s;
    s.pid = static_cast<int>(r->pid);
    s.start_ticks = r->start_ticks;
    s.devices = r->devices;
    s.config_generation = r->config_generation;
    s.last_publish_unix_ms = r->last_publish_unix_ms;
    s.measuring = r->measuring != 0;
    s.format = text_of(r->format, sizeof r->format);
    s.dp = text_of(r->dp, sizeof r->dp);
    s.folder = text_of(r->folder, sizeof r->folder);
    s.command = text_of(r->command, sizeof r->command);
    reader_fence(r->sequence);
    if (std::memcmp(r->magic, kMagic, sizeof kMagic) == 0 &&
        r->sequence.load(std::memory_order_relaxed) == before) {
      *out = s;
      ok = true;
    }
  }
  ::munmap(map, kFileSize);
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
  if (!mkdir_private(dir, error)) return nullptr;
  const std::string path = dir + "/" + std::to_string(::getpid()) + ".proc";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    *error = "cannot create " + path + ": " + std::strerror(errno);
    return nullptr;
  }
  void *map = MAP_FAILED;
  if (::ftruncate(fd, static_cast<off_t>(kFileSize)) == 0) {
    map = ::mmap(nullptr, kFileSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  }
  const int saved = errno;
  ::close(fd);
  if (map == MAP_FAILED) {
    *error = "cannot map " + path + ": " + std::strerror(saved);
    ::unlink(path.c_str());
    return nullptr;
  }
  return std::unique_ptr<RegistryEntry>(new RegistryEntry(path, map));
}

RegistryEntry::RegistryEntry(std::string path, void *mapping)
    : path_(std::move(path)), mapping_(mapping) {}

RegistryEntry::~RegistryEntry() {
  if (mapping_ != nullptr) ::munmap(mapping_, kFileSize);
}

void RegistryEntry::publish(const ProcessStatus &s) noexcept {
  if (mapping_ == nullptr) return;
  auto *r = static_cast<Record *>(mapping_);
  const std::uint64_t sequence = r->sequence.load(std::memory_order_relaxed);
  r->sequence.store(sequence + 1, std::memory_order_relaxed);  // odd: being written
  writer_fence(r->sequence);
  std::memcpy(r->magic, kMagic, sizeof kMagic);
  r->pid = s.pid;
  r->start_ticks = s.start_ticks;
  r->devices = s.devices;
  r->config_generation = s.config_generation;
  r->last_publish_unix_ms = s.last_publish_unix_ms;
  r->measuring = s.measuring ? 1 : 0;
  copy_text(r->format, sizeof r->format, s.format);
  copy_text(r->dp, sizeof r->dp, s.dp);
  copy_text(r->folder, sizeof r->folder, s.folder);
  copy_text(r->command, sizeof r->command, s.command);
  r->sequence.store(sequence + 2, std::memory_order_release);
}

void RegistryEntry::remove() noexcept {
  if (mapping_ == nullptr) return;
  ::unlink(path_.c_str());
  ::munmap(mapping_, kFileSize);
  mapping_ = nullptr;
}

void RegistryEntry::forget_after_fork() noexcept {
  if (mapping_ != nullptr) ::munmap(mapping_, kFileSize);  // the child's view only
  mapping_ = nullptr;
}

std::vector<ListedProcess> list_processes(const std::string &dir, bool clean_dead) {
  std::vector<ListedProcess> out;
  DIR *d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (const dirent *e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name.size() <= 5 || name.compare(name.size() - 5, 5, ".proc") != 0) continue;
    ListedProcess p;
    const std::string path = dir + "/" + name;
    if (!read_record(path, &p.status)) continue;
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
