// MSPTI's HCCL records: libmspti's Hccl* interposers (hccl_inject.cc) describe each collective
// and put a device marker on its stream before the call and after it returns; the device reports
// both marks with their times, and the pair becomes one msptiActivityHccl record
// (Ascend/mspti csrc/common/inject/hccl_range_mark.cpp HcclInnerMark,
// csrc/activity/ascend/parser/mstx_parser.cpp InnerDeviceStartA/EndA and ReportMarkDataToActivity,
// csrc/activity/ascend/parser/hccl_reporter.cpp; docs/mock-sources.md, "libmspti.so").
#pragma once

#include <cstdint>
#include <string>

#include "mspti/record_queue.h"
#include "npu/npumock.h"

namespace msptimock {

// What HcclOpDesc holds before the marks arrive.
struct HcclOp {
  const char *name = nullptr;       // interned: the interposer's __FUNCTION__
  const char *comm_name = nullptr;  // interned: HcclGetCommName
  // The numerator of hccl_calculator.cpp's bandwidth, or none: no formula for the op, an
  // unknown data type, or missing counts (the calculator then leaves bandWidth at 0).
  uint64_t bytes = 0;
  bool has_bytes = false;
};

// MSPTI's name cache (HcclReporter::GetSharedHcclName): one stable copy per distinct string.
const char *shared_name(const std::string &name);

// HcclInnerMark's constructor: remembers `op` under a new mark id and puts the start marker on
// `stream` (aclrtProfTrace). Returns the id, 0 when no mark was made (NULL stream or the trace
// failed: no record, as in MSPTI).
uint64_t hccl_mark_start(void *stream, const HcclOp &op);
// Its destructor, after the collective returned: the end marker on the same stream.
void hccl_mark_end(uint64_t id);

// A device mark (kind 1), times and device id already as records carry them: the start mark
// completes the op's device and stream, the end mark makes the record. False when the id is not
// one of these marks.
bool hccl_on_marker(const npumock_activity &mark);

// ActivityManager::Record (activity_api.cc): into the queue when the record's kind is enabled.
void record_activity(const QueuedRecord &record);

}  // namespace msptimock
