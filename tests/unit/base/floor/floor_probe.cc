// Everything the glibc floor (base/floor/glibc_floor.c) reroutes, used for real from a shared
// library built the way the shipped ones are: each wrapper must call a function that works.
#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>

namespace {

int fail(const char *what) {
  std::fprintf(stderr, "floor_probe: %s\n", what);
  return 1;
}

__attribute__((noinline)) void throw_through_frames(int depth) {
  if (depth == 0) throw std::runtime_error("deep");
  throw_through_frames(depth - 1);
}

// Exceptions thrown on one thread while another loads and unloads a library, for about a
// second. The unwinder's _dl_find_object (the floor's, through dl_iterate_phdr) must not take
// the loader's locks in the other order than dlopen and dlclose do: that deadlocked, now and
// then, every thread of a process in the loader (seen under aarch64 emulation). A deadlock
// shows as a watchdog failure after 20 s, not as a hung test.
int exceptions_while_loading() {
  std::atomic<bool> stop{false};
  std::atomic<int> finished{0};
  long thrown = 0, loads = 0;
  std::thread thrower([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      try {
        throw_through_frames(3);
      } catch (const std::runtime_error &) {
        ++thrown;
      }
    }
    finished.fetch_add(1);
  });
  std::thread loader([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      if (void *z = dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL)) {
        dlclose(z);
        ++loads;
      }
    }
    finished.fetch_add(1);
  });
  std::this_thread::sleep_for(std::chrono::seconds(1));
  stop.store(true);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (finished.load() < 2) {
    if (std::chrono::steady_clock::now() > deadline) {
      std::fprintf(stderr, "floor_probe: exceptions while loading: deadlocked\n");
      std::_Exit(5);  // the two threads cannot be joined
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  thrower.join();
  loader.join();
  if (thrown == 0 || loads == 0) return fail("exceptions while loading: nothing ran");
  return 0;
}

}  // namespace

extern "C" __attribute__((visibility("default"))) int floor_probe_run() {
  if (exceptions_while_loading() != 0) return 1;
  // Exceptions: libgcc's unwinder finds this library's frames through _dl_find_object.
  try {
    throw_through_frames(5);
    return fail("no exception");
  } catch (const std::runtime_error &e) {
    if (std::string(e.what()) != "deep") return fail("wrong exception");
  }
  // Threads, thread-local keys, once.
  int ran = 0;
  std::thread worker([&] { ran = 1; });
  worker.join();
  if (ran != 1) return fail("thread did not run");
  static thread_local std::string per_thread = "tls";
  if (per_thread != "tls") return fail("thread_local");
  pthread_key_t key;
  if (pthread_key_create(&key, nullptr) != 0 || pthread_setspecific(key, &ran) != 0 ||
      pthread_getspecific(key) != &ran || pthread_key_delete(key) != 0) {
    return fail("pthread keys");
  }
  // A steady-clock wait (pthread_cond_clockwait): times out after about 20 ms, not at once and
  // not never.
  std::mutex mutex;
  std::condition_variable cv;
  std::unique_lock<std::mutex> lock(mutex);
  const auto start = std::chrono::steady_clock::now();
  const bool woken = cv.wait_for(lock, std::chrono::milliseconds(20), [] { return false; });
  const auto waited = std::chrono::steady_clock::now() - start;
  if (woken || waited < std::chrono::milliseconds(19) || waited > std::chrono::seconds(5)) {
    return fail("condition_variable wait_for");
  }
  // std::random_device (arc4random): two draws of 64 bits are not both zero.
  std::random_device device;
  if ((static_cast<unsigned long long>(device()) << 32 | device()) == 0 && device() == 0) {
    return fail("random_device");
  }
  // stat, lstat, fstat (through __xstat on old glibc).
  struct stat st {};
  if (stat("/", &st) != 0 || !S_ISDIR(st.st_mode)) return fail("stat");
  if (lstat("/", &st) != 0 || !S_ISDIR(st.st_mode)) return fail("lstat");
  const int fd = open("/", O_RDONLY | O_DIRECTORY);
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode)) return fail("fstat");
  close(fd);
  // Shared memory and named semaphores (librt and libpthread on old glibc).
  const std::string name = "/npuprobe_floor_probe_" + std::to_string(getpid());
  const int shm = shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
  if (shm < 0 || shm_unlink(name.c_str()) != 0) return fail("shm_open");
  close(shm);
  sem_t *sem = sem_open(name.c_str(), O_CREAT | O_EXCL, 0600, 0);
  if (sem == SEM_FAILED || sem_post(sem) != 0 || sem_wait(sem) != 0 || sem_close(sem) != 0 ||
      sem_unlink(name.c_str()) != 0) {
    return fail("sem_open");
  }
  // The dynamic loader (libdl on old glibc).
  void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
  if (libc == nullptr) return fail(dlerror());
  Dl_info info{};
  void *map = nullptr;
  if (dladdr1(reinterpret_cast<void *>(&floor_probe_run), &info, &map, RTLD_DL_LINKMAP) == 0 ||
      map == nullptr || dladdr(reinterpret_cast<void *>(&floor_probe_run), &info) == 0) {
    return fail("dladdr1");
  }
  if (dlvsym(libc, "dl_iterate_phdr", "GLIBC_2.2.5") == nullptr &&
      dlvsym(libc, "dl_iterate_phdr", "GLIBC_2.17") == nullptr) {
    return fail("dlvsym");
  }
  dlclose(libc);
  return 0;
}
