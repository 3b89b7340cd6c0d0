/* dlsym at the real cost (issue 14): the time of one dlsym(handle, name) as op-plugin 26 makes it
 * for every operator call, in a process with N loaded libraries, per kind of name:
 *   launch        aclnnAdd on libopapi's handle (npuprobe hands out its thunk)
 *   pass_through  aclnnAddGetWorkspaceSize (a first stage: handed back as found)
 *   miss          aclnnNoSuchOperator (not defined anywhere)
 *   acl           aclrtSynchronizeStream on libascendcl's handle (npuprobe's wrapper)
 * Run bare and under LD_PRELOAD of libnpuprobe.so (bench/dlsym.sh) and compare.
 * Prints one JSON line per kind: {"kind", "libraries", "ns": [one median per repetition]}.
 * usage: dlsym_bench --libraries N --filler PATH --reps R --calls C */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int count_object(struct dl_phdr_info *info, size_t size, void *data) {
  (void)info, (void)size;
  ++*(int *)data;
  return 0;
}

static int loaded_objects(void) {
  int n = 0;
  dl_iterate_phdr(count_object, &n);
  return n;
}

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int copy_file(const char *from, const char *to) {
  FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
  if (in == NULL || out == NULL) return -1;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, out);
  fclose(in);
  return fclose(out);
}

/* Fills the process up to `target` loaded objects with copies of `filler` (RTLD_GLOBAL, as
 * libraries linked by the executable are). */
static int load_fillers(const char *filler, int target, char *dir) {
  while (loaded_objects() < target) {
    char path[4096];
    snprintf(path, sizeof path, "%s/libfiller%d.so", dir, loaded_objects());
    if (copy_file(filler, path) != 0 || dlopen(path, RTLD_NOW | RTLD_GLOBAL) == NULL) {
      fprintf(stderr, "dlsym_bench: cannot load %s: %s\n", path, dlerror());
      return -1;
    }
  }
  return 0;
}

/* A serving process is never single-threaded (torch, the tokenizer, npuprobe's publisher);
 * glibc takes cheaper paths in a single-threaded one (malloc), so both runs get one idle thread
 * before measuring. */
static void *idle_thread(void *arg) {
  (void)arg;
  for (;;) pause();
  return NULL;
}

static int compare(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  int libraries = 12, reps = 11, calls = 200000;
  const char *filler = NULL;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--libraries") == 0) libraries = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--reps") == 0) reps = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--calls") == 0) calls = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--filler") == 0) filler = argv[i + 1];
  }
  if (filler == NULL || reps < 1 || calls < 1 || reps > 1000) {
    fprintf(stderr, "usage: dlsym_bench --libraries N --filler PATH --reps R --calls C\n");
    return 2;
  }
  void *acl = dlopen("libascendcl.so", RTLD_NOW | RTLD_GLOBAL);
  void *opapi = dlopen("libopapi.so", RTLD_LAZY);  /* as op-plugin opens it */
  if (acl == NULL || opapi == NULL) {
    fprintf(stderr, "dlsym_bench: %s\n", dlerror());
    return 1;
  }
  pthread_t idle;
  if (pthread_create(&idle, NULL, idle_thread, NULL) != 0) return 1;
  char dir[] = "/tmp/dlsym_bench.XXXXXX";
  if (mkdtemp(dir) == NULL || load_fillers(filler, libraries, dir) != 0) return 1;
  struct {
    const char *kind;
    void *handle;
    const char *name;
  } kinds[] = {{"launch", opapi, "aclnnAdd"},
               {"pass_through", opapi, "aclnnAddGetWorkspaceSize"},
               {"miss", opapi, "aclnnNoSuchOperator"},
               {"acl", acl, "aclrtSynchronizeStream"}};
  const int nkinds = (int)(sizeof kinds / sizeof kinds[0]);
  double medians[16][1000];
  volatile void *sink = NULL;
  for (int r = 0; r < reps; ++r) {
    for (int k = 0; k < nkinds; ++k) {  /* interleaved: drift hits every kind alike */
      double batch[9];
      for (int b = 0; b < 9; ++b) {
        const double t0 = now_ns();
        for (int c = 0; c < calls / 9; ++c) sink = dlsym(kinds[k].handle, kinds[k].name);
        batch[b] = (now_ns() - t0) / (calls / 9);
      }
      qsort(batch, 9, sizeof batch[0], compare);
      medians[k][r] = batch[4];
    }
  }
  (void)sink;
  for (int k = 0; k < nkinds; ++k) {
    printf("{\"kind\": \"%s\", \"libraries\": %d, \"ns\": [", kinds[k].kind, loaded_objects());
    for (int r = 0; r < reps; ++r) printf("%s%.2f", r ? ", " : "", medians[k][r]);
    printf("]}\n");
  }
  /* The copies can go once loaded. */
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) return 1;
  return 0;
}
