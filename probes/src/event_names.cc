// The `api` label values of docs/contract.md. Dashboards select on them: never rename.
#include "npuprobe/probes/events.h"

namespace npuprobe::probes {

std::string_view to_string(LaunchApi api) {
  switch (api) {
    case LaunchApi::kAclnn:
      return "aclnn";
    case LaunchApi::kAclop:
      return "aclop";
    case LaunchApi::kKernel:
      return "kernel";
    case LaunchApi::kGraph:
      return "graph";
    case LaunchApi::kModel:
      return "model";
    case LaunchApi::kMemcpyAsync:
      return "memcpy_async";
    case LaunchApi::kCapture:
      return "capture";
    case LaunchApi::kGraphUpdate:
      return "graph_update";
    case LaunchApi::kRtKernel:
      return "rt_kernel";
    case LaunchApi::kAicpu:
      return "aicpu";
  }
  return "unknown";
}

std::string_view to_string(SyncApi api) {
  switch (api) {
    case SyncApi::kStream:
      return "stream";
    case SyncApi::kDevice:
      return "device";
    case SyncApi::kEvent:
      return "event";
    case SyncApi::kMemcpy:
      return "memcpy";
    case SyncApi::kModel:
      return "model";
    case SyncApi::kGraph:
      return "graph";
  }
  return "unknown";
}

}  // namespace npuprobe::probes
