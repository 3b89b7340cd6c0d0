#include "npu_sim/ground_truth.h"

#include <cstdio>

namespace npusim {
namespace {

void write_map(FILE *f, const char *name, const std::map<std::string, uint64_t> &m) {
  fprintf(f, "\"%s\": {", name);
  const char *sep = "";
  for (const auto &kv : m) {
    fprintf(f, "%s\"%s\": %llu", sep, kv.first.c_str(), static_cast<unsigned long long>(kv.second));
    sep = ", ";
  }
  fprintf(f, "}");
}

unsigned long long ull(uint64_t v) { return static_cast<unsigned long long>(v); }

}  // namespace

bool write_report(const std::string &path, const Options &o, std::vector<DeviceTruth> &truth,
                  uint64_t wall_ns) {
  FILE *f = fopen(path.c_str(), "w");
  if (f == nullptr) return false;
  const uint64_t per_step_device_ns =
      uint64_t(o.launches) * o.device_us * 1000u;  // graph replays run the same K kernels
  fprintf(f, "{\n  \"options\": {\"steps\": %u, \"launches\": %u, \"device_us\": %u, "
             "\"host_gap_us\": %u, \"launch_host_us\": %u, \"binding\": \"%s\", "
             "\"launch_api\": \"%s\", \"task_queue\": %s, \"graph\": %s, \"alloc_bytes\": %llu, "
             "\"expandable\": %s, \"sync\": \"%s\", \"async_sched\": %s, \"stray_sync_every\": %u, "
             "\"slow_launch_every\": %u, \"slow_launch_us\": %u, \"task_queue_level\": %u, "
             "\"bind_context\": %s, \"format_cast\": %s, \"graph_update\": %s, "
             "\"step_copy\": \"%s\", \"alloc_cfg\": %s},\n",
          o.steps, o.launches, o.device_us, o.host_gap_us, o.launch_host_us, to_string(o.binding),
          to_string(o.launch_api), o.task_queue ? "true" : "false", o.graph ? "true" : "false",
          ull(o.alloc_bytes), o.expandable ? "true" : "false", to_string(o.sync),
          o.async_sched ? "true" : "false", o.stray_sync_every, o.slow_launch_every,
          o.slow_launch_us, o.task_queue_level, o.bind_context ? "true" : "false",
          o.format_cast ? "true" : "false", o.graph_update ? "true" : "false",
          to_string(o.step_copy), o.alloc_cfg ? "true" : "false");
  fprintf(f, "  \"wall_ns\": %llu,\n  \"devices\": {", ull(wall_ns));
  const char *sep = "";
  for (DeviceTruth &t : truth) {
    std::lock_guard<std::mutex> lock(t.mu);
    fprintf(f, "%s\n    \"%d\": {\"steps\": %llu, \"kernels\": %llu, \"overlapped_steps\": %llu, ",
            sep, t.device, ull(t.steps), ull(t.kernels), ull(t.overlapped_steps));
    write_map(f, "launches", t.launches);
    fprintf(f, ", ");
    write_map(f, "syncs", t.syncs);
    fprintf(f, ", ");
    write_map(f, "errors", t.errors);
    fprintf(f, ",\n      \"allocs\": %llu, \"frees\": %llu, \"alloc_failures\": %llu, "
               "\"bytes_allocated\": %llu, \"bytes_freed\": %llu, \"host_pinned_bytes\": %llu,\n"
               "      \"kernel_ns\": %llu, \"device_ns_per_step\": %llu, \"device_ns\": %llu, "
               "\"host_gap_ns_per_step\": %llu, \"host_gap_ns\": %llu, \"slow_launches\": %llu,\n"
               "      \"context_binds\": %llu, \"format_casts\": %llu, \"opapi_lookups\": %llu, "
               "\"step_ns_median\": %llu, ",
            ull(t.allocs), ull(t.frees), ull(t.alloc_failures), ull(t.bytes_allocated),
            ull(t.bytes_freed), ull(t.host_pinned_bytes), ull(uint64_t(o.device_us) * 1000u),
            ull(per_step_device_ns), ull(per_step_device_ns * t.steps),
            ull(uint64_t(o.host_gap_us) * 1000u), ull(t.host_gap_ns), ull(t.slow_launches),
            ull(t.context_binds), ull(t.format_casts), ull(t.opapi_lookups),
            ull(t.step_ns_median));
    write_map(f, "first_stages", t.first_stages);
    if (o.hccl_ranks > 0) {
      fprintf(f,
              ",\n      \"hccl\": {\"rank\": %u, \"size\": %u, \"binding\": \"%s\", "
              "\"init\": \"%s\", \"device_ns\": %llu, \"host_ns\": %llu, ",
              t.hccl.rank, t.hccl.size, o.hccl_dlsym ? "dlsym" : "linked",
              o.hccl_init_config ? "config" : "plain", ull(t.hccl.device_ns), ull(t.hccl.host_ns));
      write_map(f, "calls", t.hccl.calls);
      fprintf(f, ", ");
      write_map(f, "bytes", t.hccl.bytes);
      fprintf(f, "}");
    }
    fprintf(f, "}");
    sep = ",";
  }
  fprintf(f, "\n  }\n}\n");
  return fclose(f) == 0;
}

void print_summary(const std::vector<DeviceTruth> &truth) {
  for (const DeviceTruth &t : truth) {
    uint64_t launches = 0, syncs = 0, errors = 0;
    for (const auto &kv : t.launches) launches += kv.second;
    for (const auto &kv : t.syncs) syncs += kv.second;
    for (const auto &kv : t.errors) errors += kv.second;
    printf("npu-sim: device %d: steps=%llu launches=%llu syncs=%llu kernels=%llu allocs=%llu "
           "frees=%llu alloc_failures=%llu errors=%llu\n",
           t.device, ull(t.steps), ull(launches), ull(syncs), ull(t.kernels), ull(t.allocs),
           ull(t.frees), ull(t.alloc_failures), ull(errors));
  }
}

}  // namespace npusim
