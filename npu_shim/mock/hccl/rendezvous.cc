#include "hccl/rendezvous.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace npumock::hccl {
namespace {

constexpr char kMagic[16] = "npumock-hccl-1";

// Lives in the shared file; lock-free atomics work across processes on a shared mapping.
struct Meeting {
  std::atomic<uint32_t> nranks;
  std::atomic<uint32_t> pad;
  std::atomic<uint64_t> arrived;  // bit r: rank r arrived (at most 64 ranks)
};
static_assert(std::atomic<uint64_t>::is_always_lock_free, "shared across processes");

uint64_t monotonic_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000 + uint64_t(ts.tv_nsec) / 1000000;
}

std::string meeting_path(const RootKey &key) {
  const char *dir = "/dev/shm";
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    dir = getenv("TMPDIR");
    if (dir == nullptr || *dir == '\0') dir = "/tmp";
  }
  return std::string(dir) + "/npumock-hccl-" + std::string(key.key, strnlen(key.key, sizeof key.key));
}

}  // namespace

void make_root_key(RootKey *out) {
  static std::atomic<uint32_t> counter{0};
  memset(out, 0, sizeof *out);
  memcpy(out->magic, kMagic, sizeof kMagic);
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  snprintf(out->key, sizeof out->key, "%d-%llx-%u", int(getpid()),
           static_cast<unsigned long long>(ts.tv_sec * 1000000000ll + ts.tv_nsec),
           counter.fetch_add(1));
}

bool valid_root_key(const HcclRootInfo &info) {
  RootKey key;
  memcpy(&key, info.internal, sizeof key);
  return memcmp(key.magic, kMagic, sizeof kMagic) == 0 && key.key[0] != '\0' &&
         memchr(key.key, '\0', sizeof key.key) != nullptr &&
         strchr(key.key, '/') == nullptr;
}

HcclResult rendezvous(const HcclRootInfo &info, uint32_t nranks, uint32_t rank,
                      uint32_t timeout_ms) {
  RootKey key;
  memcpy(&key, info.internal, sizeof key);
  const std::string path = meeting_path(key);
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return HCCL_E_SYSCALL;
  // Every rank sizes the file; a size it already has keeps its contents.
  if (ftruncate(fd, sizeof(Meeting)) != 0) {
    close(fd);
    return HCCL_E_SYSCALL;
  }
  void *map = mmap(nullptr, sizeof(Meeting), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (map == MAP_FAILED) return HCCL_E_SYSCALL;
  auto *m = static_cast<Meeting *>(map);
  HcclResult rc = HCCL_SUCCESS;
  uint32_t expected = 0;
  if (!m->nranks.compare_exchange_strong(expected, nranks) && expected != nranks) {
    rc = HCCL_E_PARA;  // the ranks disagree on the communicator's size
  } else if (m->arrived.fetch_or(uint64_t{1} << rank) & (uint64_t{1} << rank)) {
    rc = HCCL_E_PARA;  // two ranks claim the same rank id
  } else {
    const uint64_t all = nranks == 64 ? ~uint64_t{0} : (uint64_t{1} << nranks) - 1;
    const uint64_t deadline = monotonic_ms() + timeout_ms;
    while (m->arrived.load() != all) {
      if (monotonic_ms() >= deadline) {
        rc = HCCL_E_TIMEOUT;
        break;
      }
      usleep(1000);
    }
  }
  // Everyone has the file open by now (or gave up): the name is no longer needed.
  if (rc == HCCL_SUCCESS || rc == HCCL_E_TIMEOUT) unlink(path.c_str());
  munmap(map, sizeof(Meeting));
  return rc;
}

}  // namespace npumock::hccl
