// The vocabulary of events the preload hands to the probes. No ACL types: the preload maps
// each intercepted entry point to one of these.
#pragma once

#include <cstdint>
#include <string_view>

namespace npuprobe::probes {

// Launch-class calls (docs/contract.md, `npu:launches{api}`). kCapture: a launch recorded into a
// graph while its stream is capturing; it is not device work and never opens a step.
enum class LaunchApi : std::uint8_t {
  kAclnn,
  kAclop,
  kKernel,
  kGraph,
  kModel,
  kMemcpyAsync,
  kCapture,
  // Launches between aclmdlRICaptureTaskUpdateBegin and End rewrite a task group of a captured
  // graph (vllm-ascend's attention parameter update): recorded, not run; no step.
  kGraphUpdate,
  // Below ACL (libruntime): rtKernelLaunchWithFlagV2 (ATB's lcal) and
  // rtAicpuKernelLaunchExWithArgs (opbase's AI-CPU and MC2 operators).
  kRtKernel,
  kAicpu,
};
inline constexpr int kLaunchApiCount = 10;

// True for launches that record device work into a graph instead of running it.
inline constexpr bool records_into_graph(LaunchApi api) {
  return api == LaunchApi::kCapture || api == LaunchApi::kGraphUpdate;
}

// Blocking waits (docs/contract.md, `npu:syncs{api}`).
// kGraph: a synchronous graph replay (aclmdlRIExecute), a launch and its wait in one call.
enum class SyncApi : std::uint8_t { kStream, kDevice, kEvent, kMemcpy, kModel, kGraph };
inline constexpr int kSyncApiCount = 6;

// What an allocation hands out: a device pointer (aclrtMalloc, aclrtMallocAlign32), a physical
// handle (aclrtMallocPhysical) or a pinned host pointer (aclrtMallocHost).
enum class AllocKind : std::uint8_t { kDevice, kPhysical, kHostPinned };

std::string_view to_string(LaunchApi api);
std::string_view to_string(SyncApi api);

// Device ids the probes keep state for; an event for a device outside [0, kMaxDevices) is
// counted in `npuprobe:dropped{reason="device_id"}` and otherwise ignored.
inline constexpr int kMaxDevices = 64;

}  // namespace npuprobe::probes
