// The npumock_* extensions: knobs, call accounting shared with libopapi/libmspti, activity
// sinks, and the stats file that lets tests compare what a driver claims with what the
// simulated device actually saw.
#include <unistd.h>

#include <cstdio>
#include <string>

#include "ascendcl/runtime.h"
#include "npu/npumock.h"
#include "sim/activity.h"
#include "sim/clock.h"
#include "sim/knobs.h"
#include "sim/memory.h"

using namespace npumock;

namespace {

std::string json_string(const char *s) {
  std::string out = "\"";
  for (; *s; ++s) {
    if (*s == '"' || *s == '\\') out += '\\';
    out += *s;
  }
  return out + "\"";
}

}  // namespace

extern "C" {

void npumock_set_kernel_us(uint32_t us) { knobs().kernel_us.store(us); }
uint32_t npumock_kernel_us(void) { return knobs().kernel_us.load(); }
void npumock_set_launch_host_us(uint32_t us) { knobs().launch_host_us.store(us); }
void npumock_add_next_launch_host_us(uint32_t us) { add_next_launch_host_us(us); }

int npumock_api_id(const char *name) { return name ? api_id(name) : -1; }
int npumock_api_enter(int id) { return api_enter(id); }

uint64_t npumock_call_count(const char *name) {
  if (name == nullptr) return 0;
  for (int i = 0; i < api_count(); ++i) {
    if (std::string(api_name(i)) == name) return api_calls(i);
  }
  return 0;
}

uint64_t npumock_now_ns(void) { return now_ns(); }

void npumock_set_activity_sink(npumock_activity_sink sink) { g_kernel_sink.store(sink); }
void npumock_set_api_sink(npumock_activity_sink sink) { g_api_sink.store(sink); }
const char *npumock_intern(const char *s) { return intern(s); }

int npumock_write_stats(const char *path) {
  FILE *f = fopen(path, "w");
  if (f == nullptr) return -1;
  fprintf(f, "{\n  \"calls\": {");
  bool first = true;
  for (int i = 0; i < api_count(); ++i) {
    if (api_calls(i) == 0) continue;
    fprintf(f, "%s\n    %s: %llu", first ? "" : ",", json_string(api_name(i)).c_str(),
            static_cast<unsigned long long>(api_calls(i)));
    first = false;
  }
  fprintf(f, "\n  },\n  \"devices\": {");
  first = true;
  for (int d = 0; d < knobs().device_count; ++d) {
    Device *dev = device_if_started(d);
    if (dev == nullptr) continue;
    const DeviceMemoryStats m = memory().stats(d);
    fprintf(f,
            "%s\n    \"%d\": {\"kernels\": %llu, \"busy_ns\": %llu, \"allocs\": %llu, "
            "\"frees\": %llu, \"alloc_failures\": %llu, \"used_bytes\": %llu, "
            "\"peak_bytes\": %llu}",
            first ? "" : ",", d, static_cast<unsigned long long>(dev->kernels_executed()),
            static_cast<unsigned long long>(dev->busy_ns()),
            static_cast<unsigned long long>(m.allocs), static_cast<unsigned long long>(m.frees),
            static_cast<unsigned long long>(m.failures), static_cast<unsigned long long>(m.used),
            static_cast<unsigned long long>(m.peak));
    first = false;
  }
  fprintf(f, "\n  }\n}\n");
  return fclose(f) == 0 ? 0 : -1;
}

}  // extern "C"

// At exit, when asked: the device's own account of the run. "%p" in the path becomes the pid,
// so every process of a multi-process run keeps its own file.
__attribute__((destructor)) static void npumock_stats_at_exit() {
  const char *spec = knobs().stats_file;
  if (spec == nullptr) return;
  std::string path = spec;
  const size_t at = path.find("%p");
  if (at != std::string::npos) path.replace(at, 2, std::to_string(getpid()));
  npumock_write_stats(path.c_str());
}
