// Reading a completed MSPTI activity buffer. Records are walked with msptiActivityGetNextRecord,
// as MSPTI requires (record sizes are its business). Its cursor is MSPTI's, one per thread, and
// `*record` is never read (Ascend/mspti activity_manager.cpp GetNextRecord: a static thread_local
// position, reset only when it reaches the end; an unknown kind returns INNER and leaves it
// mid-buffer), so the cursor is reset before and after each buffer with a call that has no
// valid bytes (the position is then at or past the end: reset, MAX_LIMIT_REACHED). Records are
// copied out of the packed layout field by field (docs/ascend-stack.md, "MSPTI activity
// records"), so no misaligned access is made. Kinds other than KERNEL, API and HCCL are skipped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "npu/mspti_api.h"
#include "npuprobe/npu_shim/npu_functions.h"

namespace npuprobe::npu_shim {

// Calls on_kernel(const msptiActivityKernel &), on_api(const msptiActivityApi &) and
// on_hccl(const msptiActivityHccl &) for each record of `buffer`'s first `valid` bytes. Returns
// the number of records walked.
template <typename OnKernel, typename OnApi, typename OnHccl>
std::size_t for_each_record(const MsptiFunctions &mspti, std::uint8_t *buffer, std::size_t valid,
                            OnKernel &&on_kernel, OnApi &&on_api, OnHccl &&on_hccl) {
  std::size_t walked = 0;
  msptiActivity *record = nullptr;
  mspti.get_next_record(buffer, 0, &record);  // reset the thread's cursor (see above)
  while (mspti.get_next_record(buffer, valid, &record) == MSPTI_SUCCESS && record != nullptr) {
    ++walked;
    const auto *bytes = reinterpret_cast<const std::uint8_t *>(record);
    const std::size_t left = valid - static_cast<std::size_t>(bytes - buffer);
    msptiActivityKind kind;
    std::memcpy(&kind, bytes, sizeof kind);
    if (kind == MSPTI_ACTIVITY_KIND_KERNEL && left >= sizeof(msptiActivityKernel)) {
      msptiActivityKernel kernel;
      std::memcpy(&kernel, bytes, sizeof kernel);
      on_kernel(kernel);
    } else if (kind == MSPTI_ACTIVITY_KIND_API && left >= sizeof(msptiActivityApi)) {
      msptiActivityApi api;
      std::memcpy(&api, bytes, sizeof api);
      on_api(api);
    } else if (kind == MSPTI_ACTIVITY_KIND_HCCL && left >= sizeof(msptiActivityHccl)) {
      msptiActivityHccl hccl;
      std::memcpy(&hccl, bytes, sizeof hccl);
      on_hccl(hccl);
    }
    record = nullptr;
  }
  mspti.get_next_record(buffer, 0, &record);  // a walk that ended early leaves it mid-buffer
  return walked;
}

// The same, HCCL records skipped.
template <typename OnKernel, typename OnApi>
std::size_t for_each_record(const MsptiFunctions &mspti, std::uint8_t *buffer, std::size_t valid,
                            OnKernel &&on_kernel, OnApi &&on_api) {
  return for_each_record(mspti, buffer, valid, on_kernel, on_api,
                         [](const msptiActivityHccl &) {});
}

}  // namespace npuprobe::npu_shim
