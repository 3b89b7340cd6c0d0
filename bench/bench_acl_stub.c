/* A launch entry point that does nothing, so that the benchmark measures npuprobe's wrapper and
 * not the mock device. bench_bare_launch() gives the same function's own address: calling it
 * is "the bare call" (no interposition). */
#include <stddef.h>
#include <stdint.h>

__attribute__((visibility("hidden"))) int bare_launch(void *func, uint32_t blocks, const void *args,
                                                      size_t size, void *stream) {
  (void)func; (void)blocks; (void)args; (void)size; (void)stream;
  __asm__ volatile("" ::: "memory");
  return 0;
}

int aclrtLaunchKernel(void *func, uint32_t blocks, const void *args, size_t size, void *stream)
    __attribute__((alias("bare_launch")));
int aclrtSetDevice(int32_t device) { (void)device; return 0; }

void *bench_bare_launch(void) { return (void *)&bare_launch; }
