/* One of the many libraries a real serving process has loaded (torch, its extensions, CANN's
 * dozens): dlsym_bench copies this file N times and loads every copy, so that each lookup runs
 * in a process of realistic size. */
int bench_filler_one(int x) { return x + 1; }
int bench_filler_two(int x) { return x * 2; }
const char *bench_filler_name(void) { return "filler"; }
