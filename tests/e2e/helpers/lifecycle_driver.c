/* ACL used around the process's lifecycle calls, where npu-sim cannot go: a fork after npuprobe
 * started (the child works on another device and ends with _exit), and an aclFinalize followed
 * by _exit (no aclrtResetDevice, no atexit). Prints what it did (its ground truth) on stdout.
 * Usage: lifecycle_driver fork PARENT_STEPS CHILD_STEPS PARENT_STEPS_AFTER LAUNCHES
 *        lifecycle_driver forkexec PARENT_STEPS PARENT_STEPS_AFTER LAUNCHES PROGRAM
 *        lifecycle_driver finalize STEPS LAUNCHES
 * forkexec: the child execs PROGRAM at once (a subprocess started by a serving process that
 * npuprobe already instruments), while the parent's own threads keep running. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "npu/acl_api.h"
#include "npu/npumock.h"

#define CHECK(call)                                                           \
  do {                                                                        \
    const aclError rc_ = (call);                                              \
    if (rc_ != ACL_SUCCESS) {                                                 \
      fprintf(stderr, "lifecycle_driver: %s returned %d\n", #call, (int)rc_); \
      _exit(10);                                                              \
    }                                                                         \
  } while (0)

/* `steps` steps of `launches` kernel launches and one stream wait each, on `device`. */
static void work(int device, unsigned steps, unsigned launches, int reset) {
  aclrtStream stream = NULL;
  aclrtFuncHandle kernel = NULL;
  CHECK(aclrtSetDevice(device));
  CHECK(aclrtCreateStream(&stream));
  CHECK(npumock_get_function("lifecycle_kernel", 5, &kernel));
  for (unsigned s = 0; s < steps; ++s) {
    for (unsigned l = 0; l < launches; ++l) CHECK(aclrtLaunchKernel(kernel, 1, NULL, 0, stream));
    CHECK(aclrtSynchronizeStream(stream));
  }
  CHECK(aclrtDestroyStream(stream));
  if (reset) CHECK(aclrtResetDevice(device));
}

/* The child ended with status 0; otherwise says how it ended. */
static int child_succeeded(pid_t child) {
  int status = 0;
  if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "lifecycle_driver: child failed (status %d)\n", status);
    return 0;
  }
  return 1;
}

static unsigned arg(const char *text) {
  return (unsigned)strtoul(text, NULL, 10);
}

int main(int argc, char **argv) {
  if (argc == 6 && strcmp(argv[1], "fork") == 0) {
    const unsigned before = arg(argv[2]), child_steps = arg(argv[3]), after = arg(argv[4]);
    const unsigned launches = arg(argv[5]);
    CHECK(aclInit(NULL));
    work(0, before, launches, 0);  /* npuprobe runs and has counted these before the fork */
    fflush(stdout);
    const pid_t child = fork();
    if (child < 0) return 11;
    if (child == 0) {
      work(1, child_steps, launches, 1);  /* aclrtResetDevice flushes: _exit loses nothing */
      _exit(0);
    }
    if (!child_succeeded(child)) return 12;
    work(0, after, launches, 1);
    CHECK(aclFinalize());
    printf("parent %d child %d\n", (int)getpid(), (int)child);
    return 0;
  }
  if (argc == 6 && strcmp(argv[1], "forkexec") == 0) {
    const unsigned before = arg(argv[2]), after = arg(argv[3]), launches = arg(argv[4]);
    CHECK(aclInit(NULL));
    work(0, before, launches, 0);
    fflush(stdout);
    const pid_t child = fork();
    if (child < 0) return 11;
    if (child == 0) {
      execl(argv[5], argv[5], (char *)NULL);
      _exit(127);
    }
    if (!child_succeeded(child)) return 12;
    work(0, after, launches, 1);
    CHECK(aclFinalize());
    printf("parent %d child %d\n", (int)getpid(), (int)child);
    return 0;
  }
  if (argc == 4 && strcmp(argv[1], "finalize") == 0) {
    CHECK(aclInit(NULL));
    work(0, arg(argv[2]), arg(argv[3]), 0);
    CHECK(aclFinalize());
    printf("finalized %d\n", (int)getpid());
    fflush(stdout);
    _exit(0);  /* as a Python multiprocessing worker ends: no atexit handler runs */
  }
  fprintf(stderr, "usage: %s fork N1 N2 N3 LAUNCHES | forkexec N1 N3 LAUNCHES PROGRAM | "
          "finalize STEPS LAUNCHES\n", argv[0]);
  return 2;
}
