// The MSPTI activity API of the fake libmspti.so.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "mspti/ascendcl_link.h"
#include "mspti/record_queue.h"

using namespace msptimock;

namespace {

struct Subscriber {
  msptiCallbackFunc callback;
  void *userdata;
};

std::mutex g_mu;
Subscriber *g_subscriber = nullptr;
std::atomic<bool> g_enabled[16];

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
  // Kernel and API records only: other kinds have layouts this mock does not produce.
  const bool known = a->kind == MSPTI_ACTIVITY_KIND_KERNEL || a->kind == MSPTI_ACTIVITY_KIND_API;
  if (known && g_enabled[a->kind].load(std::memory_order_relaxed)) queue().push(*a);
}

// Real MSPTI can only collect activity when it was preloaded (its hooks must see the calls).
bool preloaded() {
  const char *preload = getenv("LD_PRELOAD");
  return preload != nullptr && strstr(preload, "libmspti.so") != nullptr;
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
  // Like msptiUnsubscribe (Ascend/mspti csrc/callback/callback_manager.cpp): collection stops
  // (ResetAllDevice, UnRegisterReportCallback) and nothing is handed back: what MSPTI holds
  // stays in its buffer until the next msptiActivityFlushAll (or a buffer fills).
  for (auto &e : g_enabled) e.store(false);
  install_sinks(nullptr);
  delete g_subscriber;
  g_subscriber = nullptr;
  return MSPTI_SUCCESS;
}

msptiResult msptiActivityEnable(msptiActivityKind kind) {
  MSPTI_ENTER("msptiActivityEnable");
  if (kind <= MSPTI_ACTIVITY_KIND_INVALID || kind > MSPTI_ACTIVITY_KIND_COMMUNICATION ||
      kind == 8) {
    return MSPTI_ERROR_INVALID_PARAMETER;
  }
  if (!preloaded()) return MSPTI_ERROR_WITHOUT_LD_PRELOAD;
  if (!install_sinks(&on_activity)) return MSPTI_ERROR_INNER;
  g_enabled[kind].store(true);
  queue().start_delivery_thread();
  return MSPTI_SUCCESS;
}

msptiResult msptiActivityDisable(msptiActivityKind kind) {
  MSPTI_ENTER("msptiActivityDisable");
  if (kind <= MSPTI_ACTIVITY_KIND_INVALID || kind > MSPTI_ACTIVITY_KIND_COMMUNICATION) {
    return MSPTI_ERROR_INVALID_PARAMETER;
  }
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

msptiResult msptiActivityGetNextRecord(uint8_t *buffer, size_t validBufferSizeBytes,
                                       msptiActivity **record) {
  if (buffer == nullptr || record == nullptr) return MSPTI_ERROR_INVALID_PARAMETER;
  size_t offset = 0;
  if (*record != nullptr) {
    const auto *current = reinterpret_cast<const uint8_t *>(*record);
    if (current < buffer || current >= buffer + validBufferSizeBytes) {
      return MSPTI_ERROR_INVALID_PARAMETER;
    }
    const size_t size = (*record)->kind == MSPTI_ACTIVITY_KIND_KERNEL ? sizeof(msptiActivityKernel)
                                                                       : sizeof(msptiActivityApi);
    offset = size_t(current - buffer) + size;
  }
  if (offset + sizeof(msptiActivity) > validBufferSizeBytes) return MSPTI_ERROR_MAX_LIMIT_REACHED;
  *record = reinterpret_cast<msptiActivity *>(buffer + offset);
  return MSPTI_SUCCESS;
}

}  // extern "C"
