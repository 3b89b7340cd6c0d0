/* The glibc floor: what lets one build of a shipped ELF file load on glibc 2.28 (Kylin V10,
 * EulerOS 2.x, openEuler 20.03) although it is linked on a newer glibc.
 *
 * Linking against glibc >= 2.34 binds each call to the newest version of its symbol:
 * pthread_create@GLIBC_2.34, stat@GLIBC_2.33, ..., and an older ld.so then refuses the file
 * ("version `GLIBC_2.34' not found"). The link options of cmake/GlibcFloor.cmake
 * (-Wl,--wrap=<name> for every name below) send each such reference, ours and those inside the
 * static libstdc++ and libgcc alike, to the __wrap_<name> here, which calls the oldest version
 * of the same function, bound with .symver: the one every glibc since the architecture's first
 * has (GLIBC_2.2.5 on x86-64, GLIBC_2.17 on aarch64). The functions that glibc 2.28 does not
 * have at all are done here with what it has (stat through __xstat, pthread_cond_clockwait
 * through pthread_cond_timedwait, _dl_find_object through dl_iterate_phdr, arc4random through
 * getrandom), and __libc_single_threaded is defined as 0: libstdc++ then always uses atomics.
 * Old glibc has these functions in libpthread, libdl and librt: the same link options name them
 * as needed libraries (on glibc >= 2.34 they are empty and cost nothing). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#if defined(__x86_64__)
#define FLOOR_BASE "GLIBC_2.2.5"
#define FLOOR_DLADDR1 "GLIBC_2.3.3"
#define FLOOR_STAT_VER 1 /* _STAT_VER_LINUX */
#elif defined(__aarch64__)
#define FLOOR_BASE "GLIBC_2.17"
#define FLOOR_DLADDR1 "GLIBC_2.17"
#define FLOOR_STAT_VER 0
#else
#error "the glibc floor knows x86-64 and aarch64"
#endif

#define HIDDEN __attribute__((visibility("hidden")))
/* old_<name> is <name>@<version>: a reference the linker binds to that exact version. */
#define OLD(name, version) __asm__(".symver old_" #name ", " #name "@" version)

/* ---- Functions that moved into libc in 2.34 (libpthread, libdl, librt before). ---- */

OLD(pthread_create, FLOOR_BASE);
OLD(pthread_join, FLOOR_BASE);
OLD(pthread_detach, FLOOR_BASE);
OLD(pthread_once, FLOOR_BASE);
OLD(pthread_kill, FLOOR_BASE);
OLD(pthread_sigmask, FLOOR_BASE);
OLD(pthread_key_create, FLOOR_BASE);
OLD(__pthread_key_create, FLOOR_BASE);
OLD(pthread_key_delete, FLOOR_BASE);
OLD(pthread_getspecific, FLOOR_BASE);
OLD(pthread_setspecific, FLOOR_BASE);
OLD(sem_open, FLOOR_BASE);
OLD(sem_close, FLOOR_BASE);
OLD(sem_unlink, FLOOR_BASE);
OLD(sem_post, FLOOR_BASE);
OLD(sem_wait, FLOOR_BASE);
OLD(sem_timedwait, FLOOR_BASE);
OLD(shm_open, FLOOR_BASE);
OLD(shm_unlink, FLOOR_BASE);
OLD(dlopen, FLOOR_BASE);
OLD(dlclose, FLOOR_BASE);
OLD(dlerror, FLOOR_BASE);
OLD(dlvsym, FLOOR_BASE);
OLD(dlinfo, FLOOR_DLADDR1); /* dladdr1 and dlinfo came in 2.3.3 */
OLD(__libc_start_main, FLOOR_BASE);
OLD(dladdr, FLOOR_BASE);
OLD(dladdr1, FLOOR_DLADDR1);
OLD(__xstat, FLOOR_BASE);
OLD(__lxstat, FLOOR_BASE);
OLD(__fxstat, FLOOR_BASE);

int old_pthread_create(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
int old_pthread_join(pthread_t, void **);
int old_pthread_detach(pthread_t);
int old_pthread_once(pthread_once_t *, void (*)(void));
int old_pthread_kill(pthread_t, int);
int old_pthread_sigmask(int, const sigset_t *, sigset_t *);
int old_pthread_key_create(pthread_key_t *, void (*)(void *));
int old___pthread_key_create(pthread_key_t *, void (*)(void *));
int old_pthread_key_delete(pthread_key_t);
void *old_pthread_getspecific(pthread_key_t);
int old_pthread_setspecific(pthread_key_t, const void *);
sem_t *old_sem_open(const char *, int, ...);
int old_sem_close(sem_t *);
int old_sem_unlink(const char *);
int old_sem_post(sem_t *);
int old_sem_wait(sem_t *);
int old_sem_timedwait(sem_t *, const struct timespec *);
int old_shm_open(const char *, int, mode_t);
int old_shm_unlink(const char *);
void *old_dlopen(const char *, int);
int old_dlclose(void *);
char *old_dlerror(void);
void *old_dlvsym(void *, const char *, const char *);
int old_dlinfo(void *, int, void *);
int old_dladdr(const void *, Dl_info *);
int old_dladdr1(const void *, Dl_info *, void **, int);
int old___xstat(int, const char *, struct stat *);
int old___lxstat(int, const char *, struct stat *);
int old___fxstat(int, int, struct stat *);

HIDDEN int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*f)(void *),
                                 void *arg) {
  return old_pthread_create(t, a, f, arg);
}
HIDDEN int __wrap_pthread_join(pthread_t t, void **r) { return old_pthread_join(t, r); }
HIDDEN int __wrap_pthread_detach(pthread_t t) { return old_pthread_detach(t); }
HIDDEN int __wrap_pthread_once(pthread_once_t *o, void (*f)(void)) { return old_pthread_once(o, f); }
HIDDEN int __wrap_pthread_kill(pthread_t t, int s) { return old_pthread_kill(t, s); }
HIDDEN int __wrap_pthread_sigmask(int how, const sigset_t *set, sigset_t *old) {
  return old_pthread_sigmask(how, set, old);
}
HIDDEN int __wrap_pthread_key_create(pthread_key_t *k, void (*d)(void *)) {
  return old_pthread_key_create(k, d);
}
HIDDEN int __wrap___pthread_key_create(pthread_key_t *k, void (*d)(void *)) {
  return old___pthread_key_create(k, d);
}
HIDDEN int __wrap_pthread_key_delete(pthread_key_t k) { return old_pthread_key_delete(k); }
HIDDEN void *__wrap_pthread_getspecific(pthread_key_t k) { return old_pthread_getspecific(k); }
HIDDEN int __wrap_pthread_setspecific(pthread_key_t k, const void *v) {
  return old_pthread_setspecific(k, v);
}
HIDDEN sem_t *__wrap_sem_open(const char *name, int flags, mode_t mode, unsigned value) {
  /* mode and value are read only with O_CREAT; passing them on is harmless otherwise. */
  return old_sem_open(name, flags, mode, value);
}
HIDDEN int __wrap_sem_close(sem_t *s) { return old_sem_close(s); }
HIDDEN int __wrap_sem_unlink(const char *n) { return old_sem_unlink(n); }
HIDDEN int __wrap_sem_post(sem_t *s) { return old_sem_post(s); }
HIDDEN int __wrap_sem_wait(sem_t *s) { return old_sem_wait(s); }
HIDDEN int __wrap_sem_timedwait(sem_t *s, const struct timespec *t) {
  return old_sem_timedwait(s, t);
}
HIDDEN int __wrap_shm_open(const char *n, int f, mode_t m) { return old_shm_open(n, f, m); }
HIDDEN int __wrap_shm_unlink(const char *n) { return old_shm_unlink(n); }
HIDDEN void *__wrap_dlopen(const char *f, int m) { return old_dlopen(f, m); }
/* The preload's own dlclose calls reach libc's directly, not its dlclose interposer. */
HIDDEN int __wrap_dlclose(void *h) { return old_dlclose(h); }
HIDDEN char *__wrap_dlerror(void) { return old_dlerror(); }
HIDDEN void *__wrap_dlvsym(void *h, const char *n, const char *v) { return old_dlvsym(h, n, v); }
HIDDEN int __wrap_dlinfo(void *h, int request, void *arg) { return old_dlinfo(h, request, arg); }
HIDDEN int __wrap_dladdr(const void *a, Dl_info *i) { return old_dladdr(a, i); }
HIDDEN int __wrap_dladdr1(const void *a, Dl_info *i, void **e, int f) {
  return old_dladdr1(a, i, e, f);
}

/* ---- Program start (executables only). glibc >= 2.34's crt1.o passes no init function and
 * leaves the program's constructors to libc; glibc < 2.34 runs only the init function it is
 * given. So one is given: it runs what the old __libc_csu_init ran (preinit array, _init, init
 * array), and a newer libc, given an init function, runs that instead of its own, not both. */

typedef void (*floor_init_fn)(int, char **, char **);
extern floor_init_fn __preinit_array_start[] __attribute__((weak, visibility("hidden")));
extern floor_init_fn __preinit_array_end[] __attribute__((weak, visibility("hidden")));
extern floor_init_fn __init_array_start[] __attribute__((weak, visibility("hidden")));
extern floor_init_fn __init_array_end[] __attribute__((weak, visibility("hidden")));
extern void _init(void) __attribute__((weak, visibility("hidden")));

static void floor_run_constructors(int argc, char **argv, char **env) {
  for (floor_init_fn *f = __preinit_array_start; f && f < __preinit_array_end; ++f) {
    (*f)(argc, argv, env);
  }
  if (_init) _init();
  for (floor_init_fn *f = __init_array_start; f && f < __init_array_end; ++f) {
    (*f)(argc, argv, env);
  }
}

typedef int (*floor_main_fn)(int, char **, char **);
int old___libc_start_main(floor_main_fn, int, char **, floor_init_fn, void (*)(void),
                          void (*)(void), void *);

HIDDEN int __wrap___libc_start_main(floor_main_fn main, int argc, char **argv,
                                    floor_init_fn init, void (*fini)(void),
                                    void (*rtld_fini)(void), void *stack_end) {
  return old___libc_start_main(main, argc, argv, init ? init : floor_run_constructors, fini,
                               rtld_fini, stack_end);
}

/* ---- stat and friends became functions of their own in 2.33; before, the headers turned
 * them into __xstat(_STAT_VER, ...). ---- */

HIDDEN int __wrap_stat(const char *p, struct stat *s) { return old___xstat(FLOOR_STAT_VER, p, s); }
HIDDEN int __wrap_lstat(const char *p, struct stat *s) {
  return old___lxstat(FLOOR_STAT_VER, p, s);
}
HIDDEN int __wrap_fstat(int fd, struct stat *s) { return old___fxstat(FLOOR_STAT_VER, fd, s); }
/* On both architectures struct stat64 is struct stat. */
HIDDEN int __wrap_fstat64(int fd, struct stat *s) { return old___fxstat(FLOOR_STAT_VER, fd, s); }
HIDDEN int __wrap_stat64(const char *p, struct stat *s) {
  return old___xstat(FLOOR_STAT_VER, p, s);
}
HIDDEN int __wrap_lstat64(const char *p, struct stat *s) {
  return old___lxstat(FLOOR_STAT_VER, p, s);
}

/* ---- New after 2.28. ---- */

/* 2.30; std::condition_variable's waits on steady_clock. The deadline on `clock` becomes the
 * same distance from now on CLOCK_REALTIME (a condition variable's default clock). */
HIDDEN int __wrap_pthread_cond_clockwait(pthread_cond_t *cond, pthread_mutex_t *mutex,
                                         clockid_t clock, const struct timespec *deadline) {
  struct timespec now_on_clock, now_real;
  if (clock_gettime(clock, &now_on_clock) != 0) return EINVAL;
  clock_gettime(CLOCK_REALTIME, &now_real);
  int64_t left_ns = (int64_t)(deadline->tv_sec - now_on_clock.tv_sec) * 1000000000 +
                    (deadline->tv_nsec - now_on_clock.tv_nsec);
  if (left_ns < 0) left_ns = 0;
  const int64_t at_ns = (int64_t)now_real.tv_nsec + left_ns % 1000000000;
  struct timespec real_deadline = {now_real.tv_sec + (time_t)(left_ns / 1000000000) +
                                       (time_t)(at_ns / 1000000000),
                                   (long)(at_ns % 1000000000)};
  return pthread_cond_timedwait(cond, mutex, &real_deadline);
}

/* 2.36; std::random_device. */
HIDDEN uint32_t __wrap_arc4random(void) {
  uint32_t value = 0;
  unsigned char *bytes = (unsigned char *)&value;
  size_t done = 0;
  while (done < sizeof(value)) {
    const ssize_t n = getrandom(bytes + done, sizeof(value) - done, 0);
    if (n > 0) done += (size_t)n;
    else if (n < 0 && errno != EINTR) break; /* never on Linux >= 3.17 */
  }
  return value;
}

/* 2.32; read by libstdc++ to skip atomics in a single-threaded process. 0: never skip. */
HIDDEN char __libc_single_threaded = 0;

/* 2.35; libgcc's unwinder asks it for the .eh_frame_hdr of the object holding a pc and has no
 * fallback when it fails, so exceptions depend on it. The same answer from dl_iterate_phdr
 * (2.2.5). The layout is glibc's struct dl_find_object (dlfcn.h, 2.35). */
struct floor_dl_find_object {
  unsigned long long dlfo_flags;
  void *dlfo_map_start;
  void *dlfo_map_end;
  struct link_map *dlfo_link_map;
  void *dlfo_eh_frame;
  unsigned long long reserved[7];
};

struct floor_search {
  uintptr_t pc;
  struct floor_dl_find_object *out;
  int found;
};

static int floor_visit(struct dl_phdr_info *info, size_t size, void *data) {
  (void)size;
  struct floor_search *search = data;
  uintptr_t low = UINTPTR_MAX, high = 0;
  int holds = 0;
  const ElfW(Phdr) *eh_frame = NULL;
  for (ElfW(Half) i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type == PT_GNU_EH_FRAME) eh_frame = ph;
    if (ph->p_type != PT_LOAD) continue;
    const uintptr_t start = info->dlpi_addr + ph->p_vaddr;
    const uintptr_t end = start + ph->p_memsz;
    if (start < low) low = start;
    if (end > high) high = end;
    if (search->pc >= start && search->pc < end) holds = 1;
  }
  if (!holds) return 0;
  struct floor_dl_find_object *out = search->out;
  out->dlfo_flags = 0;
  out->dlfo_map_start = (void *)low;
  out->dlfo_map_end = (void *)high;
  out->dlfo_link_map = NULL;
  out->dlfo_eh_frame = eh_frame ? (void *)(info->dlpi_addr + eh_frame->p_vaddr) : NULL;
  search->found = 1;
  return 1;
}

HIDDEN int __wrap__dl_find_object(void *pc, struct floor_dl_find_object *result) {
  struct floor_search search = {(uintptr_t)pc, result, 0};
  dl_iterate_phdr(floor_visit, &search);
  if (!search.found) return -1;
  /* The link map, for callers that want it: the object's dladdr1 answer. Asked only after
   * dl_iterate_phdr has returned: its callback runs under the loader's write lock, dladdr1
   * takes the load lock, and dlopen takes the two the other way round, so asking inside the
   * callback deadlocks against a concurrent dlopen or dlclose (seen as an intermittent hang of
   * every thread in the loader's locks). */
  Dl_info ignored;
  void *map = NULL;
  if (__wrap_dladdr1(pc, &ignored, &map, RTLD_DL_LINKMAP) != 0) result->dlfo_link_map = map;
  return 0;
}
