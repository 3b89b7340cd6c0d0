// MSPTI (libmspti.so), the activity API behind acl_task_time = 2 (docs/ascend-stack.md, "MSPTI
// activity records").
#ifndef NPU_MSPTI_API_H
#define NPU_MSPTI_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  MSPTI_SUCCESS = 0,
  MSPTI_ERROR_INVALID_PARAMETER = 1,
  MSPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED = 2,
  MSPTI_ERROR_MAX_LIMIT_REACHED = 3,
  MSPTI_ERROR_DEVICE_OFFLINE = 4,
  MSPTI_ERROR_QUEUE_EMPTY = 5,
  MSPTI_ERROR_WITHOUT_LD_PRELOAD = 6,
  MSPTI_ERROR_INNER = 999,
} msptiResult;

typedef enum {
  MSPTI_ACTIVITY_KIND_INVALID = 0,
  MSPTI_ACTIVITY_KIND_MARKER = 1,
  MSPTI_ACTIVITY_KIND_KERNEL = 2,
  MSPTI_ACTIVITY_KIND_API = 3,
  MSPTI_ACTIVITY_KIND_HCCL = 4,
  MSPTI_ACTIVITY_KIND_MEMORY = 5,
  MSPTI_ACTIVITY_KIND_MEMSET = 6,
  MSPTI_ACTIVITY_KIND_MEMCPY = 7,
  MSPTI_ACTIVITY_KIND_EXTERNAL_CORRELATION = 8,
  MSPTI_ACTIVITY_KIND_COMMUNICATION = 9,
  MSPTI_ACTIVITY_KIND_ACL_API = 10,
  MSPTI_ACTIVITY_KIND_NODE_API = 11,
  MSPTI_ACTIVITY_KIND_RUNTIME_API = 12,
  MSPTI_ACTIVITY_KIND_COUNT = 13,
} msptiActivityKind;

typedef enum { MSPTI_FLUSH_ALL = 0, MSPTI_FLUSH_FORCED = 1 } msptiFlushFlag;

// Records are packed with the struct itself 8-aligned, as the real header does with
// __attribute__((packed)) __attribute__((aligned(8))): fields sit at 4-byte offsets, the size
// rounds up to a multiple of 8 so consecutive records stay 8-aligned in a buffer.
#define MSPTI_RECORD_ATTR __attribute__((__packed__)) __attribute__((aligned(8)))

typedef struct MSPTI_RECORD_ATTR {
  msptiActivityKind kind;
} msptiActivity;

typedef struct MSPTI_RECORD_ATTR {
  msptiActivityKind kind;  // MSPTI_ACTIVITY_KIND_KERNEL
  // CLOCK_REALTIME ns, or raw system-counter ticks when MSPTI does not know the device's
  // counter frequency (Ascend/mspti csrc/common/context_manager.cpp GetRealTimeFromSysCnt)
  uint64_t start;
  uint64_t end;
  struct {
    uint32_t deviceId;  // the runtime's task track: the driver's id (docs/ascend-stack.md)
    uint32_t streamId;
  } ds;
  uint64_t correlationId;
  // The runtime's task type name when it starts with KERNEL, else "" (kernel_parser.cpp)
  const char *type;  // "KERNEL_AICORE", "KERNEL_AIVEC", "KERNEL_AICPU"
  const char *name;
} msptiActivityKernel;

typedef struct MSPTI_RECORD_ATTR {
  msptiActivityKind kind;  // MSPTI_ACTIVITY_KIND_API
  uint64_t start;          // host, ns
  uint64_t end;
  struct {
    uint32_t processId;
    uint32_t threadId;
  } pt;
  uint64_t correlationId;
  const char *name;
} msptiActivityApi;

// One collective libmspti's own Hccl* interposers saw (MSPTI_ACTIVITY_KIND_HCCL, only with
// libmspti.so in LD_PRELOAD): start and end are the device markers MSPTI put on the stream
// before the call and after it returned (Ascend/mspti csrc/common/inject/hccl_range_mark.cpp),
// in the kernel records' time base; deviceId and streamId come from the start marker.
typedef struct MSPTI_RECORD_ATTR {
  msptiActivityKind kind;  // MSPTI_ACTIVITY_KIND_HCCL
  uint64_t start;
  uint64_t end;
  struct {
    uint32_t deviceId;
    uint32_t streamId;
  } ds;
  double bandWidth;      // bytes / (end - start): GB/s in ns (hccl_calculator.cpp)
  const char *name;      // the function: "HcclAllReduce", ...
  const char *commName;  // HcclGetCommName: the communicator's identifier
} msptiActivityHccl;

typedef void *msptiSubscriberHandle;
typedef void (*msptiCallbackFunc)(void *userdata, int domain, int cbid, const void *cbdata);
typedef void (*msptiBuffersCallbackRequestFunc)(uint8_t **buffer, size_t *size,
                                                size_t *maxNumRecords);
typedef void (*msptiBuffersCallbackCompleteFunc)(uint8_t *buffer, size_t size, size_t validSize);

msptiResult msptiSubscribe(msptiSubscriberHandle *subscriber, msptiCallbackFunc callback,
                           void *userdata);
msptiResult msptiUnsubscribe(msptiSubscriberHandle subscriber);
msptiResult msptiActivityEnable(msptiActivityKind kind);
msptiResult msptiActivityDisable(msptiActivityKind kind);
msptiResult msptiActivityRegisterCallbacks(msptiBuffersCallbackRequestFunc funcBufferRequested,
                                           msptiBuffersCallbackCompleteFunc funcBufferCompleted);
msptiResult msptiActivityFlushAll(uint32_t flag);
msptiResult msptiActivityGetNextRecord(uint8_t *buffer, size_t validBufferSizeBytes,
                                       msptiActivity **record);

#ifdef __cplusplus
}
#endif

#ifdef __cplusplus
static_assert(sizeof(msptiActivityKernel) == 56, "MSPTI kernel record is 56 bytes on LP64");
static_assert(sizeof(msptiActivityApi) == 48, "MSPTI API record is 48 bytes on LP64");
static_assert(sizeof(msptiActivityHccl) == 56, "MSPTI HCCL record is 56 bytes on LP64");
#endif

#endif  // NPU_MSPTI_API_H
