// CollectiveProbe::on_hccl_record: MSPTI's HCCL records (device time of each collective) become
// npu:hccl_duration, beside the hot path's npu:hccl_calls of the same label set. Runs on the
// publisher thread only, so it may lock and allocate.
#include "collective_state.h"

namespace npuprobe::probes {
namespace {

// The record's name is the interposer's __FUNCTION__ (Ascend/mspti
// csrc/common/inject/hccl_inject.cpp), one per CollectiveOp.
constexpr std::string_view kFunctionNames[kCollectiveOpCount] = {
    "HcclAllReduce", "HcclAllGather", "HcclReduceScatter", "HcclBroadcast",
    "HcclReduce",    "HcclAlltoAll",  "HcclAlltoAllV",     "HcclScatter",
    "HcclSend",      "HcclRecv",      "HcclBatchSendRecv", "HcclBarrier"};

int op_of(std::string_view name) {
  for (int i = 0; i < kCollectiveOpCount; ++i) {
    if (kFunctionNames[i] == name) return i;
  }
  return -1;
}

}  // namespace

HcclRecordResult CollectiveProbe::on_hccl_record(const HcclRecord &record) noexcept {
  State &s = *state_;
  const int op = op_of(record.name);
  if (op < 0) return HcclRecordResult::kUnknownOp;
  if (record.device < 0 || record.device >= kMaxDevices) return HcclRecordResult::kDeviceId;
  if (!record.timed) return HcclRecordResult::kUntimed;
  LabelSet *set = nullptr;
  {
    std::lock_guard<std::mutex> lock(s.init_mutex);
    try {
      auto it = s.names.find(State::name_key(record.device, record.comm_name));
      if (it != s.names.end()) set = s.label_set(record.device, it->second.rank, it->second.size);
    } catch (...) {  // no memory for the key: rank/size "-1"
    }
  }
  if (set == nullptr) set = &s.unknown[record.device];
  OpSeries &series = set->ops[op];
  series.duration_once.ensure([&] {
    try {
      series.duration = s.registry.histogram(s.duration, s.label_values(*set, CollectiveOp(op)));
    } catch (const std::exception &e) {
      base::log_message(base::LogLevel::kDebug, "probes: hccl duration: %s", e.what());
    }
  });
  s.registry.observe(series.duration, to_seconds(elapsed_ns(record.start_ns, record.end_ns)));
  return HcclRecordResult::kObserved;
}

}  // namespace npuprobe::probes
