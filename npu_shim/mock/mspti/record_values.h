// What a kernel record carries in real MSPTI, made from what the simulated device reports
// (CLOCK_MONOTONIC ns, the user's device id, the runtime's task type). Real MSPTI builds its
// kernel records from the runtime's task track and the device's task log (Ascend/mspti
// csrc/activity/ascend/parser/kernel_parser.cpp); docs/mock-sources.md, "libmspti.so".
#pragma once

#include <cstdint>

namespace msptimock {

// Whether the runtime's task type gives a kernel record at all: real MSPTI makes one only for
// types whose name starts with KERNEL (GetValidKernelTypeName, ReportRtTaskTrack).
bool kernel_type_recorded(const char *type);

// The device id of a kernel record: the runtime's task track holds the driver's id, which is
// the user's id mapped through ASCEND_RT_VISIBLE_DEVICES (npu/visible_devices.h).
std::uint32_t record_device_id(std::uint32_t user_device);

// A device timestamp as MSPTI writes it: CLOCK_REALTIME ns (ContextManager::GetRealTimeFromSysCnt
// with a known counter frequency), or, with NPU_MOCK_MSPTI_TIME=ticks (MSPTI does not know the
// device's frequency), the raw system counter: NPU_MOCK_SYSCNT_MHZ ticks per microsecond of the
// device clock (default 50).
std::uint64_t record_device_time(std::uint64_t monotonic_ns);
// A host timestamp (API records): CLOCK_REALTIME ns (ContextManager::GetHostTimeStampNs).
std::uint64_t record_host_time(std::uint64_t monotonic_ns);

}  // namespace msptimock
