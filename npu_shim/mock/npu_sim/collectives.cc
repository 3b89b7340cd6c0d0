#include "npu_sim/collectives.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <vector>

#include "npu/hccl_sizes.h"

namespace npusim {
namespace {

// The mock's link knobs, read the way libhccl reads them (mock README): the device time npu-sim
// expects each collective to take.
uint64_t link_duration_ns(uint64_t bytes) {
  const char *lat = getenv("NPU_MOCK_HCCL_LATENCY_US");
  const char *gbps = getenv("NPU_MOCK_HCCL_GBPS");
  char *end = nullptr;
  uint64_t latency_us = 10;
  if (lat != nullptr && *lat != '\0') {
    const unsigned long long v = strtoull(lat, &end, 0);
    if (*end == '\0') latency_us = v;
  }
  double g = 50.0;
  if (gbps != nullptr && atof(gbps) > 0) g = atof(gbps);
  return latency_us * 1000 + uint64_t(double(bytes) / g);
}

uint64_t monotonic_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}

void decode_root(const std::string &hex, HcclRootInfo *info) {
  memset(info, 0, sizeof *info);
  for (size_t i = 0; 2 * i + 1 < hex.size() && i < sizeof info->internal; ++i) {
    const char b[3] = {hex[2 * i], hex[2 * i + 1], 0};
    info->internal[i] = static_cast<char>(strtoul(b, nullptr, 16));
  }
}

}  // namespace

StepCollectives::StepCollectives(const Options &options, const HcclBinding &hccl,
                                 DeviceTruth *truth)
    : o_(options), hccl_(hccl), truth_(*truth) {}

uint64_t StepCollectives::buffer_bytes() const {
  return (uint64_t(o_.hccl_tokens) + 16) * o_.hccl_ranks * 8;
}

// Rank r sends T + ((r + p) % 3) * 8 elements to rank p: what p receives from r is the same
// formula, so every rank's send and receive arrays agree (a consistent all-to-all-v matrix).
uint64_t StepCollectives::alltoallv_count(uint32_t peer) const {
  return o_.hccl_tokens + ((o_.hccl_rank + peer) % 3) * 8;
}

bool StepCollectives::init() {
  HcclRootInfo root;
  decode_root(o_.hccl_root, &root);
  // torch_npu: HcclCommInitRootInfoConfig with an HcclCommConfigInit'ed config when libhccl
  // has it (ProcessGroupHCCL), else HcclCommInitRootInfo.
  HcclCommConfig config;
  memset(&config, 0, sizeof config);
  config.hcclBufferSize = 200;
  const char *function = o_.hccl_init_config ? "HcclCommInitRootInfoConfig" : "HcclCommInitRootInfo";
  const HcclResult rc =
      o_.hccl_init_config
          ? hccl_.commInitRootInfoConfig(o_.hccl_ranks, &root, o_.hccl_rank, &config, &comm_)
          : hccl_.commInitRootInfo(o_.hccl_ranks, &root, o_.hccl_rank, &comm_);
  if (rc != HCCL_SUCCESS) {
    fprintf(stderr, "npu-sim: rank %u: %s failed with %d\n", o_.hccl_rank, function, rc);
    truth_.count(truth_.errors, function);
    comm_ = nullptr;
    return false;
  }
  truth_.hccl.rank = o_.hccl_rank;
  truth_.hccl.size = o_.hccl_ranks;
  return true;
}

template <typename Call>
void StepCollectives::counted(const char *op, const char *function, Call &&call, uint64_t bytes) {
  // Host time around the call, as the application sees it: an upper bound of what an
  // interposer measures inside it, and at least NPU_MOCK_HCCL_HOST_US per enqueued call.
  const uint64_t t0 = monotonic_ns();
  const HcclResult rc = call();
  const uint64_t t1 = monotonic_ns();
  if (rc != HCCL_SUCCESS) {
    fprintf(stderr, "npu-sim: rank %u: %s failed with %d\n", o_.hccl_rank, function, rc);
    truth_.count(truth_.errors, function);
    return;
  }
  truth_.count(truth_.hccl.calls, op);
  truth_.count(truth_.hccl.bytes, op, bytes);
  truth_.add(&truth_.kernels);  // one task on the device
  truth_.add(&truth_.hccl.device_ns, link_duration_ns(bytes));
  truth_.add(&truth_.hccl.host_ns, t1 - t0);
}

void StepCollectives::step(aclrtStream stream, void *send, void *recv) {
  if (comm_ == nullptr) return;
  const uint64_t t = o_.hccl_tokens;
  const uint32_t n = o_.hccl_ranks, me = o_.hccl_rank;
  for (uint32_t k = 0; k < o_.tp_allreduce; ++k) {
    counted(
        "allreduce", "HcclAllReduce",
        [&] {
          return hccl_.allReduce(send, recv, t, HCCL_DATA_TYPE_BFP16, HCCL_REDUCE_SUM, comm_,
                                 stream);
        },
        t * 2);
  }
  std::vector<uint64_t> counts(n), displs(n);
  uint64_t total = 0;
  for (uint32_t p = 0; p < n; ++p) {
    counts[p] = alltoallv_count(p);
    displs[p] = total;
    total += counts[p];
  }
  for (uint32_t l = 0; l < o_.moe_layers; ++l) {
    // Dispatch tokens to their experts, then combine the results back: the same matrix.
    for (int phase = 0; phase < 2; ++phase) {
      counted(
          "alltoallv", "HcclAlltoAllV",
          [&] {
            return hccl_.alltoAllV(send, counts.data(), displs.data(), HCCL_DATA_TYPE_BFP16, recv,
                                   counts.data(), displs.data(), HCCL_DATA_TYPE_BFP16, comm_,
                                   stream);
          },
          total * 2);
    }
  }
  if (!o_.hccl_every_op) return;
  const uint32_t next = (me + 1) % n, prev = (me + n - 1) % n;
  counted(
      "allgather", "HcclAllGather",
      [&] { return hccl_.allGather(send, recv, t, HCCL_DATA_TYPE_FP32, comm_, stream); }, t * 4);
  counted(
      "reduce_scatter", "HcclReduceScatter",
      [&] {
        return hccl_.reduceScatter(send, recv, t, HCCL_DATA_TYPE_FP16, HCCL_REDUCE_MAX, comm_,
                                   stream);
      },
      t * 2);
  counted(
      "broadcast", "HcclBroadcast",
      [&] { return hccl_.broadcast(send, t, HCCL_DATA_TYPE_INT8, 0, comm_, stream); }, t);
  counted(
      "reduce", "HcclReduce",
      [&] {
        return hccl_.reduce(send, recv, t, HCCL_DATA_TYPE_INT32, HCCL_REDUCE_SUM, 0, comm_, stream);
      },
      t * 4);
  counted(
      "alltoall", "HcclAlltoAll",
      [&] {
        return hccl_.alltoAll(send, t, HCCL_DATA_TYPE_FP16, recv, t, HCCL_DATA_TYPE_FP16, comm_,
                              stream);
      },
      t * 2 * n);
  counted(
      "scatter", "HcclScatter",
      [&] { return hccl_.scatter(send, recv, t, HCCL_DATA_TYPE_FP32, 0, comm_, stream); }, t * 4);
  counted(
      "send", "HcclSend",
      [&] { return hccl_.send(send, t, HCCL_DATA_TYPE_BFP16, next, comm_, stream); }, t * 2);
  counted(
      "receive", "HcclRecv",
      [&] { return hccl_.recv(recv, t, HCCL_DATA_TYPE_BFP16, prev, comm_, stream); }, t * 2);
  HcclSendRecvItem items[2] = {{HCCL_SEND, send, t, HCCL_DATA_TYPE_INT64, next},
                               {HCCL_RECV, recv, t, HCCL_DATA_TYPE_INT64, prev}};
  counted(
      "batch_send_recv", "HcclBatchSendRecv",
      [&] { return hccl_.batchSendRecv(items, 2, comm_, stream); }, 2 * t * 8);
  counted(
      "barrier", "HcclBarrier", [&] { return hccl_.barrier(comm_, stream); }, 0);
}

void StepCollectives::destroy() {
  if (comm_ == nullptr) return;
  const HcclResult rc = hccl_.commDestroy(comm_);
  if (rc != HCCL_SUCCESS) truth_.count(truth_.errors, "HcclCommDestroy");
  comm_ = nullptr;
}

}  // namespace npusim
