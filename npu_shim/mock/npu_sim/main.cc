// npu-sim: drives the fake CANN the way torch_npu and op-plugin do, and reports the ground
// truth (docs/contract.md, "npu-sim"). Exit status: 0 when every call succeeded, 1 when some ACL
// call failed (fault injection, memory pressure), 2 on a usage or setup error.
#include <time.h>

#include <cstdio>
#include <deque>
#include <thread>
#include <vector>

#include "npu/npumock.h"
#include "npu_sim/acl_binding.h"
#include "npu_sim/ground_truth.h"
#include "npu_sim/hccl_binding.h"
#include "npu_sim/options.h"
#include "npu_sim/rank_launcher.h"
#include "npu_sim/workload.h"

int main(int argc, char **argv) {
  using namespace npusim;
  Options options;
  if (!parse_options(argc, argv, &options)) return 2;
  AclBinding acl;
  if (!make_binding(options.binding, &acl)) return 2;

  npumock_set_kernel_us(options.device_us);
  npumock_set_launch_host_us(options.launch_host_us);
  const aclError init = aclInit(nullptr);
  if (init != ACL_SUCCESS) {
    fprintf(stderr, "npu-sim: aclInit failed with %d\n", init);
    return 2;
  }
  if (!options.app_aclprof.empty()) {
    const aclError rc = aclprofInit(options.app_aclprof.c_str(), options.app_aclprof.size());
    fprintf(stderr, "npu-sim: the application's aclprofInit returned %d\n", rc);
  }
  if (options.dlopen_mspti && options.dlopen_mspti_step == 0) dlopen_mspti();
  HcclBinding hccl;
  std::vector<pid_t> ranks;
  if (options.hccl_ranks > 0) {
    if (!make_hccl_binding(options.hccl_dlsym, &hccl)) return 2;
    if (options.hccl_rank == 0) {
      HcclRootInfo root;
      const HcclResult rc = hccl.getRootInfo(&root);
      if (rc != HCCL_SUCCESS) {
        fprintf(stderr, "npu-sim: HcclGetRootInfo failed with %d\n", rc);
        return 2;
      }
      options.hccl_root = encode_root(root);
      ranks = start_ranks(argc, argv, options.hccl_ranks, options.hccl_root);
    }
  }

  timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  std::vector<DeviceTruth> truth(options.devices.size());
  std::deque<DeviceWorkload> workloads;
  std::vector<std::thread> threads;
  for (size_t i = 0; i < options.devices.size(); ++i) {
    truth[i].device = options.devices[i];
    workloads.emplace_back(options, acl, &truth[i], options.hccl_ranks > 0 ? &hccl : nullptr);
  }
  for (DeviceWorkload &w : workloads) threads.emplace_back([&w] { w.run(); });
  for (std::thread &t : threads) t.join();
  clock_gettime(CLOCK_MONOTONIC, &t1);
  if (!options.app_aclprof.empty()) aclprofFinalize();
  aclFinalize();

  print_summary(truth);
  const uint64_t wall_ns = uint64_t((t1.tv_sec - t0.tv_sec) * 1000000000ll + (t1.tv_nsec - t0.tv_nsec));
  const std::string report = rank_report_path(options.report, options.hccl_rank);
  if (!report.empty() && !write_report(report, options, truth, wall_ns)) {
    fprintf(stderr, "npu-sim: cannot write report %s\n", report.c_str());
    return 2;
  }
  if (const int worst = wait_ranks(ranks)) return worst;
  for (const DeviceTruth &t : truth) {
    if (!t.errors.empty() || t.alloc_failures > 0) return 1;
  }
  return 0;
}
