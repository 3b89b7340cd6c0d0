// The MSPTI activity API of the fake libmspti.so.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <type_traits>
#include <mutex>

#include "mspti/ascendcl_link.h"
#include "mspti/hccl_reporter.h"
#include "mspti/record_queue.h"
#include "mspti/record_values.h"

using namespace msptimock;

namespace {

struct Subscriber {
  msptiCallbackFunc callback;
  void *userdata;
};

std::mutex g_mu;
Subscriber *g_subscriber = nullptr;
std::atomic<bool> g_enabled[MSPTI_ACTIVITY_KIND_COUNT];

std::atomic<RecordQueue *> g_queue{nullptr};

RecordQueue &queue() {
  static auto *q = [] {
    const char *cap = getenv("NPU_MOCK_MSPTI_QUEUE");
    const long n = cap != nullptr ? atol(cap) : 0;
    auto *made = new RecordQueue(n > 0 ? size_t(n) : size_t(1) << 16);
    g_queue.store(made);
    return made;
  }();
  return *q;
}

// Records lost in the mock's queue never reached MSPTI, which has no such loss (its own threads
// wait when their queues are full: Ascend/mspti csrc/common/bound_queue.h BoundQueue::Push); so
// that no test passes over them, the process says so on stderr at exit.
__attribute__((destructor)) void report_channel_loss() {
  const RecordQueue *q = g_queue.load();
  if (q != nullptr && q->channel_lost() > 0) {
    fprintf(stderr,
            "npumock libmspti: %llu activity records lost before MSPTI: its queue "
            "(NPU_MOCK_MSPTI_QUEUE=%zu) was full\n",
            static_cast<unsigned long long>(q->channel_lost()), q->capacity());
  }
}

int api_enter(const char *name) {
  using IdFn = int (*)(const char *);
  using EnterFn = int (*)(int);
  static const IdFn id_fn = ascendcl_symbol<IdFn>("npumock_api_id");
  static const EnterFn enter_fn = ascendcl_symbol<EnterFn>("npumock_api_enter");
  return (id_fn != nullptr && enter_fn != nullptr) ? enter_fn(id_fn(name)) : 0;
}

#define MSPTI_ENTER(name)                                   \
  if (int injected = api_enter(name)) {                     \
    return static_cast<msptiResult>(injected);              \
  }

void on_activity(const npumock_activity *a) {
  // Kernel, API and HCCL records only: other kinds have layouts this mock does not produce.
  if (a->kind == MSPTI_ACTIVITY_KIND_MARKER) {
    // A device mark (MstxParser::ReportMarkDataToActivity): the driver's device id and the
    // record time base, like a kernel's; MSPTI's own HCCL marks go to the HCCL reporter (a
    // user's mstx marks would become MARKER records, which the mock does not make).
    npumock_activity m = *a;
    m.deviceId = record_device_id(a->deviceId);
    m.start_ns = record_device_time(a->start_ns);
    m.end_ns = m.start_ns;
    hccl_on_marker(m);
  } else if (a->kind == MSPTI_ACTIVITY_KIND_KERNEL) {
    if (!g_enabled[a->kind].load(std::memory_order_relaxed) || !kernel_type_recorded(a->type)) {
      return;
    }
    npumock_activity r = *a;
    r.deviceId = record_device_id(a->deviceId);
    r.start_ns = record_device_time(a->start_ns);
    r.end_ns = record_device_time(a->end_ns);
    queue().push(r);
  } else if (a->kind == MSPTI_ACTIVITY_KIND_API &&
             g_enabled[a->kind].load(std::memory_order_relaxed)) {
    npumock_activity r = *a;
    r.start_ns = record_host_time(a->start_ns);
    r.end_ns = record_host_time(a->end_ns);
    queue().push(r);
  }
}

// Only these kinds need MSPTI's own hooks, so only they need libmspti.so in LD_PRELOAD; the
// others come from the runtime's profiling callbacks (Ascend/mspti
// csrc/activity/activity_manager.cpp IsNeedLdPreload). LD_PRELOAD is read once, as there.
bool needs_preload(msptiActivityKind kind) {
  return kind == MSPTI_ACTIVITY_KIND_HCCL || kind == MSPTI_ACTIVITY_KIND_MEMORY ||
         kind == MSPTI_ACTIVITY_KIND_MEMSET || kind == MSPTI_ACTIVITY_KIND_MEMCPY;
}

bool preloaded() {
  static const bool in_preload = [] {
    const char *preload = getenv("LD_PRELOAD");
    return preload != nullptr && strstr(preload, "libmspti.so") != nullptr;
  }();
  return in_preload;
}

// ActivityManager::supportActivityKinds_: MARKER .. RUNTIME_API.
bool supported(msptiActivityKind kind) {
  return kind > MSPTI_ACTIVITY_KIND_INVALID && kind < MSPTI_ACTIVITY_KIND_COUNT;
}

bool install_sinks(npumock_activity_sink sink) {
  using SetSink = void (*)(npumock_activity_sink);
  static const SetSink set_kernel = ascendcl_symbol<SetSink>("npumock_set_activity_sink");
  static const SetSink set_api = ascendcl_symbol<SetSink>("npumock_set_api_sink");
  if (set_kernel == nullptr || set_api == nullptr) return false;
  set_kernel(sink);
  set_api(sink);
  return true;
}

}  // namespace

namespace msptimock {

bool kind_enabled(uint32_t kind) {
  return kind < MSPTI_ACTIVITY_KIND_COUNT && g_enabled[kind].load(std::memory_order_relaxed);
}

// ActivityManager::Record: a record of a kind that is off is dropped silently.
void record_activity(const QueuedRecord &record) {
  if (kind_enabled(record.a.kind)) queue().push(record);
}

}  // namespace msptimock

extern "C" {

msptiResult msptiSubscribe(msptiSubscriberHandle *subscriber, msptiCallbackFunc callback,
                           void *userdata) {
  MSPTI_ENTER("msptiSubscribe");
  if (subscriber == nullptr) return MSPTI_ERROR_INVALID_PARAMETER;
  std::lock_guard<std::mutex> lock(g_mu);
  if (g_subscriber != nullptr) return MSPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED;
  g_subscriber = new Subscriber{callback, userdata};
  *subscriber = g_subscriber;
  return MSPTI_SUCCESS;
}

msptiResult msptiUnsubscribe(msptiSubscriberHandle subscriber) {
  MSPTI_ENTER("msptiUnsubscribe");
  std::lock_guard<std::mutex> lock(g_mu);
  if (g_subscriber == nullptr) return MSPTI_SUCCESS;  // CallbackManager::UnInit: "not init"
  if (subscriber != g_subscriber) return MSPTI_ERROR_INVALID_PARAMETER;
  // Like msptiUnsubscribe (Ascend/mspti csrc/callback/callback_manager.cpp): the device tasks
  // stop (ResetAllDevice), the report callbacks and the channel pools go (UnInit), and nothing
  // is handed back: what is already in MSPTI's buffer stays there until the next
  // msptiActivityFlushAll (or a buffer fills); what was still in the channels is lost.
  for (auto &e : g_enabled) e.store(false);
  install_sinks(nullptr);
  queue().discard();
  delete g_subscriber;
  g_subscriber = nullptr;
  return MSPTI_SUCCESS;
}

msptiResult msptiActivityEnable(msptiActivityKind kind) {
  MSPTI_ENTER("msptiActivityEnable");
  if (!supported(kind)) return MSPTI_ERROR_INVALID_PARAMETER;
  if (needs_preload(kind) && !preloaded()) {
    fprintf(stderr, "npumock libmspti [E]: Enable activity kind %d requires libmspti.so in "
                    "LD_PRELOAD.\n", static_cast<int>(kind));
    return MSPTI_ERROR_WITHOUT_LD_PRELOAD;
  }
  if (!install_sinks(&on_activity)) return MSPTI_ERROR_INNER;
  g_enabled[kind].store(true);
  queue().start_delivery_thread();
  return MSPTI_SUCCESS;
}

// ActivityManager::UnRegister: the device's data of the kind is flushed through the parsers
// first (FlushDevProfData: records of finished work reach the buffers), then the kind is off;
// the device task keeps running and the subscription stays (a pause, not a teardown).
msptiResult msptiActivityDisable(msptiActivityKind kind) {
  MSPTI_ENTER("msptiActivityDisable");
  if (!supported(kind)) return MSPTI_ERROR_INVALID_PARAMETER;
  queue().deliver(false);
  g_enabled[kind].store(false);
  return MSPTI_SUCCESS;
}

msptiResult msptiActivityRegisterCallbacks(msptiBuffersCallbackRequestFunc funcBufferRequested,
                                           msptiBuffersCallbackCompleteFunc funcBufferCompleted) {
  MSPTI_ENTER("msptiActivityRegisterCallbacks");
  if (funcBufferRequested == nullptr || funcBufferCompleted == nullptr) {
    return MSPTI_ERROR_INVALID_PARAMETER;
  }
  queue().set_callbacks(funcBufferRequested, funcBufferCompleted);
  return MSPTI_SUCCESS;
}

msptiResult msptiActivityFlushAll(uint32_t flag) {
  MSPTI_ENTER("msptiActivityFlushAll");
  (void)flag;  // ActivityManager::FlushAll: any flag, always MSPTI_SUCCESS
  queue().deliver(true);
  return MSPTI_SUCCESS;
}

// ActivityManager::GetNextRecord: a static thread_local cursor walks the buffer; *record is
// only written, never read. The end resets the cursor (MAX_LIMIT_REACHED); an unknown kind
// returns INNER and leaves it where it is. Kinds whose layouts the mock lacks count as unknown
// (it never writes them).
msptiResult msptiActivityGetNextRecord(uint8_t *buffer, size_t validBufferSizeBytes,
                                       msptiActivity **record) {
  if (buffer == nullptr) return MSPTI_ERROR_INVALID_PARAMETER;
  static thread_local size_t pos = 0;
  if (pos >= validBufferSizeBytes) {
    pos = 0;
    return MSPTI_ERROR_MAX_LIMIT_REACHED;
  }
  // The kind as its integer: a buffer may hold any value there, and an enum object holding a
  // value outside its enumerators is undefined behaviour (UBSan: "load of value 77").
  std::underlying_type_t<msptiActivityKind> raw_kind;
  memcpy(&raw_kind, buffer + pos, sizeof raw_kind);
  size_t size = 0;
  switch (raw_kind) {
    case MSPTI_ACTIVITY_KIND_KERNEL: size = sizeof(msptiActivityKernel); break;
    case MSPTI_ACTIVITY_KIND_HCCL: size = sizeof(msptiActivityHccl); break;
    case MSPTI_ACTIVITY_KIND_API:
    case MSPTI_ACTIVITY_KIND_ACL_API:
    case MSPTI_ACTIVITY_KIND_NODE_API:
    case MSPTI_ACTIVITY_KIND_RUNTIME_API: size = sizeof(msptiActivityApi); break;
    default:
      fprintf(stderr, "npumock libmspti [E]: GetNextRecord failed, invalid kind: %d\n",
              static_cast<int>(raw_kind));
      return MSPTI_ERROR_INNER;
  }
  *record = reinterpret_cast<msptiActivity *>(buffer + pos);
  pos += size;
  return MSPTI_SUCCESS;
}

}  // extern "C"
