// The vocabulary of events the preload hands to the probes. No ACL types: the preload maps
// each intercepted entry point to one of these.
#pragma once

#include <cstdint>
#include <string_view>

namespace npuprobe::probes {

// Launch-class calls (contract.md, `npu:launches{api}`). kCapture: a launch recorded into a
// graph while its stream is capturing; it is not device work and never opens a step.
enum class LaunchApi : std::uint8_t {
  kAclnn,
  kAclop,
  kKernel,
  kGraph,
  kModel,
  kMemcpyAsync,
  kCapture,
};
inline constexpr int kLaunchApiCount = 7;

// Blocking waits (contract.md, `npu:syncs{api}`).
enum class SyncApi : std::uint8_t { kStream, kDevice, kEvent, kMemcpy, kModel };
inline constexpr int kSyncApiCount = 5;

// What an allocation hands out: a device pointer (aclrtMalloc, aclrtMallocAlign32), a physical
// handle (aclrtMallocPhysical) or a pinned host pointer (aclrtMallocHost).
enum class AllocKind : std::uint8_t { kDevice, kPhysical, kHostPinned };

std::string_view to_string(LaunchApi api);
std::string_view to_string(SyncApi api);

// Device ids the probes keep state for; an event for a device outside [0, kMaxDevices) is
// counted in `npuprobe:dropped{reason="device_id"}` and otherwise ignored.
inline constexpr int kMaxDevices = 64;

}  // namespace npuprobe::probes
