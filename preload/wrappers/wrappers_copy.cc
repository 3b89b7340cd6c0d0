// Copies: a copy the host waits for is a blocking wait (`npu:syncs{api="memcpy"}`), one it only
// enqueues is a launch (`npu:launches{api="memcpy_async"}`). Which is which, per entry point:
// docs/ascend-stack.md, "2. Launches" and "3. Waits" (the copy rows).
#include "hook.h"
#include "instrument.h"
#include "npu/acl_api.h"
#include "npuprobe/base/log.h"
#include "pinned_host_ranges.h"

using npuprobe::preload::HookId;
using npuprobe::preload::LaunchKind;
using npuprobe::preload::measure_launch;
using npuprobe::preload::measure_plain;
using npuprobe::preload::measure_sync;
using npuprobe::probes::LaunchApi;
using npuprobe::probes::SyncApi;

namespace npuprobe::preload {

PinnedHostRanges g_pinned_host;

void note_pinned_table_full() noexcept {
  static std::atomic<bool> said{false};
  if (said.exchange(true)) return;
  base::log_message(base::LogLevel::kWarn,
                     "more than %d pinned host blocks: copies with later blocks count as host "
                     "waits (aclrtMemcpyAsyncWithCondition)",
                     PinnedHostRanges::kSlots);
}

namespace {

LaunchKind async_copy(HookId hook) {
  return LaunchKind{LaunchApi::kMemcpyAsync, nullptr, nullptr, nullptr, hook};
}

// The host side of a copy between host and device, or null (device to device, host to host,
// or ACL_MEMCPY_DEFAULT, whose direction the runtime infers from the pointers).
const void *host_side(const void *dst, const void *src, int kind) {
  if (kind == ACL_MEMCPY_DEVICE_TO_HOST) return dst;
  if (kind == ACL_MEMCPY_HOST_TO_DEVICE) return src;
  return nullptr;
}

}  // namespace
}  // namespace npuprobe::preload

// A synchronous copy involving the device waits for the stream's earlier work.
NPUPROBE_HOOK(aclError, aclrtMemcpy,
              (void *dst, size_t dest_max, const void *src, size_t count, int kind),
              (dst, dest_max, src, count, kind)) {
  static_cast<void>(caller);
  auto copy = [&] { return real(dst, dest_max, src, count, kind); };
  if (kind == ACL_MEMCPY_HOST_TO_HOST) return measure_plain(HookId::aclrtMemcpy, copy);
  return measure_sync(HookId::aclrtMemcpy, SyncApi::kMemcpy, nullptr, copy);
}

NPUPROBE_HOOK(aclError, aclrtMemcpyAsync,
              (void *dst, size_t dest_max, const void *src, size_t count, int kind,
               aclrtStream stream),
              (dst, dest_max, src, count, kind, stream)) {
  static_cast<void>(caller);
  using namespace npuprobe::preload;
  return measure_launch(async_copy(HookId::aclrtMemcpyAsync), stream,
                        [&] { return real(dst, dest_max, src, count, kind, stream); });
}

// torch_npu's device-to-host copy when the runtime has it. Asynchronous with pinned host
// memory; with pageable memory the runtime returns only once the copy is done: a host wait.
NPUPROBE_HOOK(aclError, aclrtMemcpyAsyncWithCondition,
              (void *dst, size_t dest_max, const void *src, size_t count, aclrtMemcpyKind kind,
               aclrtStream stream),
              (dst, dest_max, src, count, kind, stream)) {
  static_cast<void>(caller);
  using namespace npuprobe::preload;
  auto copy = [&] { return real(dst, dest_max, src, count, kind, stream); };
  const void *host = host_side(dst, src, kind);
  if (host != nullptr && !g_pinned_host.contains(host)) {
    return measure_sync(HookId::aclrtMemcpyAsyncWithCondition, SyncApi::kMemcpy, nullptr, copy);
  }
  return measure_launch(async_copy(HookId::aclrtMemcpyAsyncWithCondition), stream, copy);
}

// Synchronous: returns once every copy of the batch is done.
NPUPROBE_HOOK(aclError, aclrtMemcpyBatch,
              (void **dsts, size_t *dest_maxs, void **srcs, size_t *sizes, size_t num_batches,
               aclrtMemcpyBatchAttr *attrs, size_t *attrs_indexes, size_t num_attrs,
               size_t *fail_index),
              (dsts, dest_maxs, srcs, sizes, num_batches, attrs, attrs_indexes, num_attrs,
               fail_index)) {
  static_cast<void>(caller);
  return measure_sync(HookId::aclrtMemcpyBatch, SyncApi::kMemcpy, nullptr, [&] {
    return real(dsts, dest_maxs, srcs, sizes, num_batches, attrs, attrs_indexes, num_attrs,
                fail_index);
  });
}

// One launch per call, however many copies the batch holds.
NPUPROBE_HOOK(aclError, aclrtMemcpyBatchAsync,
              (void **dsts, size_t *dest_maxs, void **srcs, size_t *sizes, size_t num_batches,
               aclrtMemcpyBatchAttr *attrs, size_t *attrs_indexes, size_t num_attrs,
               size_t *fail_index, aclrtStream stream),
              (dsts, dest_maxs, srcs, sizes, num_batches, attrs, attrs_indexes, num_attrs,
               fail_index, stream)) {
  static_cast<void>(caller);
  using namespace npuprobe::preload;
  return measure_launch(async_copy(HookId::aclrtMemcpyBatchAsync), stream, [&] {
    return real(dsts, dest_maxs, srcs, sizes, num_batches, attrs, attrs_indexes, num_attrs,
                fail_index, stream);
  });
}
