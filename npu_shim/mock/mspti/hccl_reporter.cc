#include "mspti/hccl_reporter.h"

#include <atomic>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "mspti/ascendcl_link.h"
#include "npu/mspti_api.h"

namespace msptimock {
namespace {

// mspti_activity.h msptiActivityFlag; mstx_parser.h MARK_TAG_ID.
constexpr uint64_t kStartWithDevice = 1u << 4;  // MSPTI_ACTIVITY_FLAG_MARKER_START_WITH_DEVICE
constexpr uint64_t kEndWithDevice = 1u << 5;    // MSPTI_ACTIVITY_FLAG_MARKER_END_WITH_DEVICE
constexpr uint16_t kMarkTagId = 11;

struct Pending {
  HcclOp op;
  void *stream = nullptr;
  uint64_t start = 0;
  uint32_t device = 0, stream_id = 0;
};

// Leaked: the device thread may report a mark while the process exits.
std::mutex &marks_mutex() {
  static auto *mu = new std::mutex;
  return *mu;
}
std::unordered_map<uint64_t, Pending> &marks() {
  static auto *m = new std::unordered_map<uint64_t, Pending>;
  return *m;
}

// runtime_utils.cpp ProfTrace: a packed {indexId, modelId, tagId} through aclrtProfTrace, which
// real MSPTI, like every aclrt* it calls, resolves in libascendcl with dlsym(handle).
bool prof_trace(uint64_t id, uint64_t flag, void *stream) {
  using Fn = int (*)(void *, int32_t, void *);
  static const Fn trace = ascendcl_symbol<Fn>("aclrtProfTrace");
  if (trace == nullptr) return false;
  unsigned char data[18];
  memcpy(data, &id, 8);
  memcpy(data + 8, &flag, 8);
  memcpy(data + 16, &kMarkTagId, 2);
  return trace(data, int32_t(sizeof data), stream) == 0;
}

}  // namespace

const char *shared_name(const std::string &name) {
  static auto *mu = new std::mutex;
  static auto *names = new std::unordered_set<std::string>;
  std::lock_guard<std::mutex> lock(*mu);
  return names->insert(name).first->c_str();  // node-based: the string never moves
}

uint64_t hccl_mark_start(void *stream, const HcclOp &op) {
  static std::atomic<uint64_t> next_id{0};
  if (stream == nullptr) return 0;  // InnerDeviceStartA traces only on a stream
  const uint64_t id = next_id.fetch_add(1) + 1;
  // MSPTI records the op after the trace (it parses marks much later, from the driver's
  // channel); the mock's device may report the mark at once, so the op is remembered first.
  {
    std::lock_guard<std::mutex> lock(marks_mutex());
    marks()[id] = Pending{op, stream, 0, 0, 0};
  }
  if (!prof_trace(id, kStartWithDevice, stream)) {
    std::lock_guard<std::mutex> lock(marks_mutex());
    marks().erase(id);
    return 0;
  }
  return id;
}

void hccl_mark_end(uint64_t id) {
  if (id == 0) return;
  void *stream = nullptr;
  {
    std::lock_guard<std::mutex> lock(marks_mutex());
    auto it = marks().find(id);
    if (it == marks().end()) return;
    stream = it->second.stream;
  }
  if (!prof_trace(id, kEndWithDevice, stream)) {
    std::lock_guard<std::mutex> lock(marks_mutex());
    marks().erase(id);
  }
}

// HcclReporter::RecordStartMarker and ReportHcclData, with HcclCalculator::CalculateBandWidth.
bool hccl_on_marker(const npumock_activity &mark) {
  QueuedRecord record;
  {
    std::lock_guard<std::mutex> lock(marks_mutex());
    auto it = marks().find(mark.correlationId);
    if (it == marks().end()) return false;
    Pending &p = it->second;
    if (mark.flag == kStartWithDevice) {
      p.start = mark.start_ns;
      p.device = mark.deviceId;
      p.stream_id = mark.streamId;
      return true;
    }
    if (mark.flag != kEndWithDevice) return true;
    npumock_activity &a = record.a;
    a.kind = MSPTI_ACTIVITY_KIND_HCCL;
    a.start_ns = p.start;
    a.end_ns = mark.start_ns;
    a.deviceId = p.device;
    a.streamId = p.stream_id;
    a.name = p.op.name;
    record.comm_name = p.op.comm_name;
    // CalculateBandWidth: only when end > start and the op has a formula; bytes per unit of the
    // record's time (ns: GB/s).
    if (p.op.has_bytes && a.end_ns > a.start_ns) {
      record.bandwidth = double(p.op.bytes) / double(a.end_ns - a.start_ns);
    }
    marks().erase(it);
  }
  record_activity(record);
  return true;
}

}  // namespace msptimock
