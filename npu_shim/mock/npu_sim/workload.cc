#include "npu_sim/workload.h"

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "npu/npumock.h"

namespace npusim {
namespace {

constexpr size_t kOutputBytes = 4096;
constexpr size_t kGranule = size_t(2) << 20;  // expandable segments map 2 MiB pages
constexpr int32_t kWaitTimeoutMs = 60000;     // --sync event-timeout / stream-timeout
constexpr int kFormatNZ = 29;                 // ACL_FORMAT_FRACTAL_NZ

uint64_t mono_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

}  // namespace

DeviceWorkload::DeviceWorkload(const Options &options, const AclBinding &acl, DeviceTruth *truth,
                               const HcclBinding *hccl)
    : o_(options), acl_(acl), truth_(*truth), device_(truth->device) {
  if (hccl != nullptr) collectives_ = std::make_unique<StepCollectives>(options, *hccl, truth);
}

bool DeviceWorkload::ok(aclError rc, const char *function) {
  if (rc == ACL_SUCCESS) return true;
  fprintf(stderr, "npu-sim: device %d: %s failed with %d\n", device_, function, rc);
  truth_.count(truth_.errors, function);
  return false;
}

namespace {

// The median of the gaps between consecutive times (0 when there are none).
uint64_t median_gap(const std::vector<uint64_t> &times) {
  if (times.size() < 2) return 0;
  std::vector<uint64_t> gaps;
  for (size_t i = 1; i < times.size(); ++i) gaps.push_back(times[i] - times[i - 1]);
  std::nth_element(gaps.begin(), gaps.begin() + gaps.size() / 2, gaps.end());
  return gaps[gaps.size() / 2];
}

}  // namespace

void DeviceWorkload::run() {
  if (setup()) {
    std::vector<uint64_t> step_starts;
    step_starts.reserve(o_.steps + 1u);
    for (uint32_t step = 0; step < o_.steps; ++step) {
      step_starts.push_back(mono_ns());
      if (o_.dlopen_mspti && o_.dlopen_mspti_step == step && step > 0 &&
          device_ == o_.devices.front()) {
        dlopen_mspti();
      }
      enqueue_step();
      if (!o_.async_sched) {
        wait(step);
        host_gap();
        continue;
      }
      // vLLM async scheduling: copy the output, record, and wait for the PREVIOUS step only
      // after this one is queued.
      // Like torch_npu, the copy and the record go through the task queue when there is one,
      // so they reach the stream after this step's launches.
      enqueue([this, step] {
        if (ok(acl_.memcpyAsync(host_output_, kOutputBytes, output_.ptr, kOutputBytes,
                                ACL_MEMCPY_DEVICE_TO_HOST, stream_),
               "aclrtMemcpyAsync")) {
          truth_.count(truth_.launches, "memcpy_async");
        }
        ok(acl_.recordEvent(events_[step % 2], stream_), "aclrtRecordEvent");
      });
      if (step > 0) {
        drain();
        ok(acl_.synchronizeEvent(events_[(step - 1) % 2]), "aclrtSynchronizeEvent");
        truth_.count(truth_.syncs, "event");
        ++truth_.overlapped_steps;
        host_gap();
      }
    }
    if (o_.async_sched && o_.steps > 0) {
      drain();
      ok(acl_.synchronizeEvent(events_[(o_.steps - 1) % 2]), "aclrtSynchronizeEvent");
      truth_.count(truth_.syncs, "event");
      host_gap();
    }
    step_starts.push_back(mono_ns());
    truth_.steps = o_.steps;
    truth_.step_ns_median = median_gap(step_starts);
  }
  teardown();
}

// Binds the device on this (the device's main) thread, and the task-queue thread when there is
// one: aclrtSetDevice, or with --bind-context the main thread's context (aclrtCreateContext
// without a task queue; aclrtGetCurrentContext after aclrtSetDevice with one, which the queue
// thread binds with aclrtSetCurrentContext, as torch_npu does).
bool DeviceWorkload::bind_device() {
  if (o_.bind_context && !o_.task_queue) {
    if (!ok(acl_.createContext(&context_, device_), "aclrtCreateContext")) return false;
    created_context_ = true;
    truth_.add(&truth_.context_binds);
    return true;
  }
  if (!ok(acl_.setDevice(device_), "aclrtSetDevice")) return false;
  if (o_.bind_context && !ok(acl_.getCurrentContext(&context_), "aclrtGetCurrentContext")) return false;
  if (o_.task_queue) {
    queue_.reset(new LaunchQueue([this] {
      if (!o_.bind_context) {
        ok(acl_.setDevice(device_), "aclrtSetDevice");
      } else if (ok(acl_.setCurrentContext(context_), "aclrtSetCurrentContext")) {
        truth_.add(&truth_.context_binds);
      }
    }));
  }
  return true;
}

bool DeviceWorkload::setup() {
  if (!bind_device()) return false;
  bool good = ok(acl_.createStreamWithConfig(&stream_, 0, ACL_STREAM_FAST_LAUNCH | ACL_STREAM_FAST_SYNC),
                 "aclrtCreateStreamWithConfig");
  for (aclrtEvent &e : events_) good = ok(acl_.createEventWithFlag(&e, ACL_EVENT_SYNC), "aclrtCreateEventWithFlag") && good;
  good = ok(npumock_get_function("npu_sim_kernel", 0, &kernel_), "npumock_get_function") && good;
  rt_args_.args = kernel_args_;
  rt_args_.argsSize = sizeof kernel_args_;
  aicpu_args_.args = kernel_args_;
  aicpu_args_.argsSize = sizeof kernel_args_;
  const int64_t dims[2] = {16, 16};
  tensor_ = acl_.createTensor(dims, 2, 0, nullptr, 0, 2, dims, 2, nullptr);  // FLOAT, ND
  if (o_.alloc_cfg) {
    good = ok(acl_.mallocHostWithCfg(&host_output_, kOutputBytes, nullptr), "aclrtMallocHostWithCfg") && good;
  } else {
    good = ok(acl_.mallocHost(&host_output_, kOutputBytes), "aclrtMallocHost") && good;
  }
  if (host_output_ != nullptr) truth_.host_pinned_bytes += kOutputBytes;
  pageable_output_ = aligned_alloc(64, kOutputBytes);  // the docs ask for 64-byte alignment
  good = alloc(kOutputBytes, &output_) && good;
  if (o_.alloc_bytes > 0) alloc(o_.alloc_bytes, &extra_);  // a failure is counted, not fatal
  if (o_.format_cast) {
    bool looked_up = false;
    auto reselect = acl_.aclnn_fn("aclnnReselectStaticKernel", acl_.reselectStaticKernel, &looked_up);
    if (looked_up) truth_.add(&truth_.opapi_lookups);
    good = reselect != nullptr && ok(reselect(), "aclnnReselectStaticKernel") && good;
  }
  if (collectives_ != nullptr) {
    // Like torch_npu: the communicator is made on the device's thread, after its buffers.
    good = alloc(collectives_->buffer_bytes(), &hccl_send_) &&
           alloc(collectives_->buffer_bytes(), &hccl_recv_) && collectives_->init() && good;
  }
  if (!good) return false;
  return !o_.graph || capture_graph();
}

// Captures the K launches once before the first step: recorded, not run, and no wait. With
// --graph-update the first one is a task group. The group markers go through the task queue
// like the launches, so they reach the stream in order.
bool DeviceWorkload::capture_graph() {
  if (!ok(acl_.captureBegin(stream_, 0), "aclmdlRICaptureBegin")) return false;
  for (uint32_t i = 0; i < o_.launches; ++i) {
    if (i == 0 && o_.graph_update) {
      enqueue([this] { ok(acl_.captureTaskGrpBegin(stream_), "aclmdlRICaptureTaskGrpBegin"); });
    }
    enqueue_launch(i, Role::Capture);
    if (i == 0 && o_.graph_update) {
      enqueue([this] { ok(acl_.captureTaskGrpEnd(stream_, &group_), "aclmdlRICaptureTaskGrpEnd"); });
    }
  }
  drain();
  return ok(acl_.captureEnd(stream_, &graph_), "aclmdlRICaptureEnd");
}

void DeviceWorkload::teardown() {
  drain();
  if (collectives_ != nullptr) {
    collectives_->destroy();
    release(&hccl_recv_);
    release(&hccl_send_);
  }
  if (graph_ != nullptr) ok(acl_.riDestroy(graph_), "aclmdlRIDestroy");
  release(&extra_);
  release(&output_);
  if (host_output_ != nullptr && ok(acl_.freeHost(host_output_), "aclrtFreeHost")) {
    truth_.host_pinned_bytes -= kOutputBytes;
  }
  free(pageable_output_);
  for (aclrtEvent e : events_) {
    if (e != nullptr) ok(acl_.destroyEvent(e), "aclrtDestroyEvent");
  }
  if (stream_ != nullptr) ok(acl_.destroyStream(stream_), "aclrtDestroyStream");
  if (tensor_ != nullptr) acl_.destroyTensor(tensor_);
  queue_.reset();
  if (created_context_) {
    ok(acl_.destroyContext(context_), "aclrtDestroyContext");
  } else {
    ok(acl_.resetDevice(device_), "aclrtResetDevice");
  }
}

bool DeviceWorkload::alloc(size_t size, Block *out) {
  if (!o_.expandable) {
    const aclError rc = o_.alloc_cfg
                            ? acl_.mallocWithCfg(&out->ptr, size, ACL_MEM_MALLOC_HUGE_FIRST, nullptr)
                            : acl_.mallocAlign32(&out->ptr, size, ACL_MEM_MALLOC_HUGE_FIRST);
    if (!ok(rc, o_.alloc_cfg ? "aclrtMallocWithCfg" : "aclrtMallocAlign32")) {
      ++truth_.alloc_failures;
      return false;
    }
    out->size = size;
  } else {
    const size_t mapped = (size + kGranule - 1) / kGranule * kGranule;
    if (!ok(acl_.reserveMemAddress(&out->ptr, mapped, 0, nullptr, 0), "aclrtReserveMemAddress")) {
      return false;
    }
    if (!ok(acl_.mallocPhysical(&out->physical, mapped, nullptr, 0), "aclrtMallocPhysical")) {
      ++truth_.alloc_failures;
      ok(acl_.releaseMemAddress(out->ptr), "aclrtReleaseMemAddress");
      out->ptr = nullptr;
      return false;
    }
    ok(acl_.mapMem(out->ptr, mapped, 0, out->physical, 0), "aclrtMapMem");
    out->size = mapped;
  }
  ++truth_.allocs;
  truth_.bytes_allocated += out->size;
  return true;
}

void DeviceWorkload::release(Block *b) {
  if (b->ptr == nullptr) return;
  if (!o_.expandable) {
    if (!ok(acl_.free(b->ptr), "aclrtFree")) return;
  } else {
    ok(acl_.unmapMem(b->ptr), "aclrtUnmapMem");
    if (!ok(acl_.freePhysical(b->physical), "aclrtFreePhysical")) return;
    ok(acl_.releaseMemAddress(b->ptr), "aclrtReleaseMemAddress");
  }
  ++truth_.frees;
  truth_.bytes_freed += b->size;
  *b = Block();
}

void DeviceWorkload::enqueue_step() {
  if (o_.format_cast) format_cast();  // on this thread, before the step's launches
  truth_.kernels += o_.launches;
  if (o_.graph) {
    if (o_.graph_update) {
      // vllm-ascend's per-step attention update: one launch rewrites the captured group.
      enqueue([this] { ok(acl_.captureTaskUpdateBegin(stream_, group_), "aclmdlRICaptureTaskUpdateBegin"); });
      enqueue_launch(0, Role::Update);
      enqueue([this] { ok(acl_.captureTaskUpdateEnd(stream_), "aclmdlRICaptureTaskUpdateEnd"); });
    }
    if (o_.sync != SyncKind::Graph) {  // else the step's wait is the synchronous replay
      npusim_launch replay{};
      replay.kind = NPUSIM_LAUNCH_GRAPH;
      replay.stream = stream_;
      replay.graph_execute = acl_.riExecuteAsync;
      replay.graph = graph_;
      replay.add_next_launch_host_us = npumock_add_next_launch_host_us;
      enqueue([this, replay] { launch(replay, "aclmdlRIExecuteAsync", "graph", true); });
    }
  } else {
    for (uint32_t i = 0; i < o_.launches; ++i) enqueue_launch(i, Role::Eager);
  }
  if (collectives_ != nullptr) {
    enqueue([this] { collectives_->step(stream_, hccl_send_.ptr, hccl_recv_.ptr); });
  }
  enqueue_step_copy();
}

namespace {

// "aclnnSimOp0042GetWorkspaceSize" / "aclnnSimOp0042" of the mock libopapi (sim_ops.inc),
// formatted once for all devices: the launch lambdas keep the pointer.
struct SimOpName {
  char first[48];
  char second[32];
};

const SimOpName &sim_op_name(uint32_t op) {
  static const std::vector<SimOpName> names = [] {
    std::vector<SimOpName> all(3000);
    for (uint32_t i = 0; i < all.size(); ++i) {
      snprintf(all[i].second, sizeof all[i].second, "aclnnSimOp%04u", i);
      snprintf(all[i].first, sizeof all[i].first, "aclnnSimOp%04uGetWorkspaceSize", i);
    }
    return all;
  }();
  return names[op];
}

}  // namespace

bool DeviceWorkload::plan_aclnn(uint32_t index, npusim_launch *l, const char **second_stage,
                                const char *thread) {
  uint64_t ws = 0;
  aclnnStatus rc = ACLNN_SUCCESS;
  bool looked_up = false;
  if (o_.ops > 0) {  // aclnnSimOp<index % ops>, looked up by name (opapi-per-op)
    const SimOpName &op = sim_op_name(index % o_.ops);
    using FirstStage = aclnnStatus (*)(const aclTensor *, aclTensor *, uint64_t *, aclOpExecutor **);
    auto fn = reinterpret_cast<FirstStage>(acl_.lookup_opapi(op.first));
    rc = fn != nullptr ? fn(tensor_, tensor_, &ws, &l->executor) : ACLNN_ERR_INNER;
    truth_.add(&truth_.opapi_lookups);
    truth_.count(truth_.first_stages, thread);
    *second_stage = op.second;
    return ok(rc, "aclnnSimOpGetWorkspaceSize");
  }
  switch (index % 3) {
    case 0: {
      auto fn = acl_.aclnn_fn("aclnnMatmulGetWorkspaceSize", acl_.matmulGetWorkspaceSize, &looked_up);
      rc = fn != nullptr ? fn(tensor_, tensor_, tensor_, 0, &ws, &l->executor) : ACLNN_ERR_INNER;
      l->aclnn = acl_.matmul;
      *second_stage = "aclnnMatmul";
      break;
    }
    case 1: {
      auto fn = acl_.aclnn_fn("aclnnAddGetWorkspaceSize", acl_.addGetWorkspaceSize, &looked_up);
      rc = fn != nullptr ? fn(tensor_, tensor_, tensor_, tensor_, &ws, &l->executor) : ACLNN_ERR_INNER;
      l->aclnn = acl_.add;
      *second_stage = "aclnnAdd";
      break;
    }
    default: {
      auto fn = acl_.aclnn_fn("aclnnSiluGetWorkspaceSize", acl_.siluGetWorkspaceSize, &looked_up);
      rc = fn != nullptr ? fn(tensor_, tensor_, &ws, &l->executor) : ACLNN_ERR_INNER;
      l->aclnn = acl_.silu;
      *second_stage = "aclnnSilu";
      break;
    }
  }
  if (looked_up) truth_.add(&truth_.opapi_lookups);
  truth_.count(truth_.first_stages, thread);
  if (!acl_.per_op()) *second_stage = nullptr;  // the cached pointer is used
  return ok(rc, "aclnnGetWorkspaceSize");
}

void DeviceWorkload::enqueue_launch(uint32_t index, Role role) {
  LaunchApi api = o_.launch_api;
  if (api == LaunchApi::Mixed) {
    static const LaunchApi kCycle[] = {LaunchApi::Aclnn, LaunchApi::Aclop, LaunchApi::Kernel};
    api = kCycle[index % 3];
  }
  const std::string label = role == Role::Capture ? "capture"
                            : role == Role::Update ? "graph_update"
                            : api == LaunchApi::Aclnn ? "aclnn"
                            : api == LaunchApi::Aclop ? "aclop"
                            : api == LaunchApi::Rt    ? "rt_kernel"
                            : api == LaunchApi::Aicpu ? "aicpu"
                                                      : "kernel";
  const bool counted = role == Role::Eager;
  npusim_launch l{};
  l.stream = stream_;
  l.add_next_launch_host_us = npumock_add_next_launch_host_us;
  if (api == LaunchApi::Aclnn) {
    l.kind = NPUSIM_LAUNCH_ACLNN;
    if (o_.task_queue_level >= 2) {
      // TASK_QUEUE_ENABLE=2: the first stage also runs on the queue thread.
      enqueue([this, l, index, label, counted]() mutable {
        const char *second = nullptr;
        if (plan_aclnn(index, &l, &second, "queue")) launch(l, "aclnn launch", label, counted, second);
      });
      return;
    }
    // First stage on this (the "Python") thread; the launch itself may go to the task queue.
    const char *second = nullptr;
    if (!plan_aclnn(index, &l, &second, "main")) return;
    enqueue([this, l, label, counted, second] { launch(l, "aclnn launch", label, counted, second); });
    return;
  }
  const char *function = "aclrtLaunchKernel";
  switch (api) {
    case LaunchApi::Aclop:
      l.kind = NPUSIM_LAUNCH_ACLOP;
      l.aclop = acl_.opExecuteV2;
      function = "aclopExecuteV2";
      break;
    case LaunchApi::Rt:  // ATB's lcal: a registered stub through libruntime
      l.kind = NPUSIM_LAUNCH_RT;
      l.rt_kernel = acl_.rtKernelLaunch;
      l.func = kernel_;
      l.block_dim = 8;
      l.rt_args = &rt_args_;
      function = "rtKernelLaunchWithFlagV2";
      break;
    case LaunchApi::Aicpu:
      l.kind = NPUSIM_LAUNCH_AICPU;
      l.rt_aicpu = acl_.rtAicpuKernelLaunch;
      l.aicpu_name = "npu_sim_aicpu_kernel";
      l.aicpu_args = &aicpu_args_;
      function = "rtAicpuKernelLaunchExWithArgs";
      break;
    default:
      l.kind = NPUSIM_LAUNCH_KERNEL;
      l.kernel = acl_.launchKernel;
      l.func = kernel_;
      l.block_dim = 8;
      l.args = kernel_args_;
      l.args_size = sizeof kernel_args_;
      break;
  }
  enqueue([this, l, function, label, counted] { launch(l, function, label, counted); });
}

void DeviceWorkload::launch(npusim_launch l, const char *function, const std::string &label,
                            bool counted, const char *aclnn_name) {
  if (aclnn_name != nullptr) {  // opapi-per-op: the second stage is looked up right now
    bool looked_up = false;
    l.aclnn = acl_.aclnn_fn(aclnn_name, l.aclnn, &looked_up);
    if (looked_up) truth_.add(&truth_.opapi_lookups);
    if (l.aclnn == nullptr) {
      ok(ACLNN_ERR_INNER, function);
      return;
    }
  }
  // Captured and update launches are only recorded: no host wait is allowed there and none is slow.
  const uint64_t n = counted ? ++launches_made_ : 0;
  const bool slow = n > 0 && o_.slow_launch_every > 0 && n % o_.slow_launch_every == 0;
  aclError rc = ACL_ERROR_INVALID_PARAM;
  if (slow) {
    truth_.add(&truth_.slow_launches);
    rc = npu_sim_slow_launch(o_.slow_launch_us, &l);
  } else {
    switch (l.kind) {
      case NPUSIM_LAUNCH_ACLNN: rc = l.aclnn(nullptr, 0, l.executor, l.stream); break;
      case NPUSIM_LAUNCH_ACLOP:
        rc = l.aclop("Add", 2, nullptr, nullptr, 1, nullptr, nullptr, nullptr, l.stream);
        break;
      case NPUSIM_LAUNCH_KERNEL: rc = l.kernel(l.func, l.block_dim, l.args, l.args_size, l.stream); break;
      case NPUSIM_LAUNCH_GRAPH: rc = l.graph_execute(l.graph, l.stream); break;
      case NPUSIM_LAUNCH_RT:
        rc = l.rt_kernel(l.func, l.block_dim, l.rt_args, nullptr, l.stream, 0, nullptr);
        break;
      case NPUSIM_LAUNCH_AICPU:
        rc = l.rt_aicpu(NPUMOCK_KERNEL_TYPE_AICPU, l.aicpu_name, 1, l.aicpu_args, nullptr, l.stream, 0);
        break;
      case NPUSIM_LAUNCH_GRAPH_SYNC: rc = l.graph_execute_sync(l.graph, -1); break;
    }
  }
  if (ok(rc, function)) truth_.count(truth_.launches, label);
  if (n > 0 && o_.stray_sync_every > 0 && n % o_.stray_sync_every == 0) {
    ok(npu_sim_stray_sync(acl_.synchronizeStream, stream_), "aclrtSynchronizeStream");
    truth_.count(truth_.syncs, "stray_stream");  // counted like the step's wait: call made
  }
}

// torch_npu's format cast of a weight (ND -> FRACTAL_NZ): the 16x16 FLOAT tensor becomes
// [ceil(16/8), ceil(16/16), 16, 8] in FRACTAL_NZ (C0 = 32 B / 4 B).
void DeviceWorkload::format_cast() {
  const char *name = "aclnnNpuFormatCastCalculateSizeAndFormat";
  bool looked_up = false;
  auto fn = acl_.aclnn_fn(name, acl_.formatCastCalculate, &looked_up);
  if (looked_up) truth_.add(&truth_.opapi_lookups);
  int64_t *shape = nullptr;
  uint64_t rank = 0;
  int format = -1;
  const aclnnStatus rc = fn != nullptr ? fn(tensor_, kFormatNZ, -1, &shape, &rank, &format) : ACLNN_ERR_INNER;
  const bool right = rc == ACLNN_SUCCESS && rank == 4 && shape != nullptr && shape[0] == 2 &&
                     shape[1] == 1 && shape[2] == 16 && shape[3] == 8 && format == kFormatNZ;
  delete[] shape;  // allocated by the callee with new[]
  if (!ok(rc, name)) return;
  if (!right) {
    fprintf(stderr, "npu-sim: device %d: %s gave a wrong shape or format\n", device_, name);
    truth_.count(truth_.errors, name);
    return;
  }
  truth_.add(&truth_.format_casts);
}

// One D2H copy of the output buffer as a batch of one (attributes as the docs describe them).
aclError DeviceWorkload::batch_copy(void *host, bool async) {
  void *dsts[1] = {host};
  void *srcs[1] = {output_.ptr};
  size_t sizes[1] = {kOutputBytes};
  size_t maxs[1] = {kOutputBytes};
  aclrtMemcpyBatchAttr attrs[1] = {};
  attrs[0].dstLoc.type = ACL_MEM_LOCATION_TYPE_HOST;
  attrs[0].srcLoc.type = ACL_MEM_LOCATION_TYPE_DEVICE;
  attrs[0].srcLoc.id = uint32_t(device_);
  size_t indexes[1] = {0};
  size_t fail = 0;
  return async ? acl_.memcpyBatchAsync(dsts, maxs, srcs, sizes, 1, attrs, indexes, 1, &fail, stream_)
               : acl_.memcpyBatch(dsts, maxs, srcs, sizes, 1, attrs, indexes, 1, &fail);
}

// --step-copy: one asynchronous D2H copy into pinned memory after the step's launches, through
// the task queue like them.
void DeviceWorkload::enqueue_step_copy() {
  if (o_.step_copy == StepCopy::Conditional) {
    enqueue([this] {
      if (ok(acl_.memcpyAsyncWithCondition(host_output_, kOutputBytes, output_.ptr, kOutputBytes,
                                           ACL_MEMCPY_DEVICE_TO_HOST, stream_),
             "aclrtMemcpyAsyncWithCondition")) {
        truth_.count(truth_.launches, "memcpy_async");
      }
    });
  } else if (o_.step_copy == StepCopy::Batch) {
    enqueue([this] {
      if (ok(batch_copy(host_output_, true), "aclrtMemcpyBatchAsync")) {
        truth_.count(truth_.launches, "memcpy_async");
      }
    });
  }
}

void DeviceWorkload::wait(uint32_t step) {
  drain();
  switch (o_.sync) {
    case SyncKind::Stream:
      ok(acl_.synchronizeStream(stream_), "aclrtSynchronizeStream");
      break;
    case SyncKind::Device:
      ok(acl_.synchronizeDevice(), "aclrtSynchronizeDevice");
      break;
    case SyncKind::Event:
      ok(acl_.recordEvent(events_[step % 2], stream_), "aclrtRecordEvent");
      ok(acl_.synchronizeEvent(events_[step % 2]), "aclrtSynchronizeEvent");
      break;
    case SyncKind::Memcpy:
      ok(acl_.memcpy(host_output_, kOutputBytes, output_.ptr, kOutputBytes,
                     ACL_MEMCPY_DEVICE_TO_HOST),
         "aclrtMemcpy");
      break;
    case SyncKind::Conditional:  // pageable memory: returns once the stream and the copy are done
      ok(acl_.memcpyAsyncWithCondition(pageable_output_, kOutputBytes, output_.ptr, kOutputBytes,
                                       ACL_MEMCPY_DEVICE_TO_HOST, stream_),
         "aclrtMemcpyAsyncWithCondition");
      break;
    case SyncKind::Batch:
      ok(batch_copy(host_output_, false), "aclrtMemcpyBatch");
      break;
    case SyncKind::EventTimeout:
      ok(acl_.recordEvent(events_[step % 2], stream_), "aclrtRecordEvent");
      ok(acl_.synchronizeEventWithTimeout(events_[step % 2], kWaitTimeoutMs),
         "aclrtSynchronizeEventWithTimeout");
      break;
    case SyncKind::StreamTimeout:
      ok(acl_.synchronizeStreamWithTimeout(stream_, kWaitTimeoutMs), "aclrtSynchronizeStreamWithTimeout");
      break;
    case SyncKind::Graph: {
      // The step's replay and its wait in one call: a launch ("graph") and a sync ("graph").
      npusim_launch replay{};
      replay.kind = NPUSIM_LAUNCH_GRAPH_SYNC;
      replay.graph_execute_sync = acl_.riExecute;
      replay.graph = graph_;
      replay.stream = stream_;
      replay.add_next_launch_host_us = npumock_add_next_launch_host_us;
      launch(replay, "aclmdlRIExecute", "graph", true);
      break;
    }
  }
  truth_.count(truth_.syncs, sync_label(o_.sync));
}

// The host's own work between steps (scheduling, sampling). Sleeps for long gaps and spins for
// short ones, so a gap is never shorter than asked.
void DeviceWorkload::host_gap() {
  const uint64_t start = mono_ns();
  const uint64_t end = start + uint64_t(o_.host_gap_us) * 1000u;
  if (o_.host_gap_us >= 200) {
    timespec ts{time_t(end / 1000000000ull), long(end % 1000000000ull)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) != 0) {
    }
  }
  while (mono_ns() < end) {
  }
  truth_.host_gap_ns += mono_ns() - start;
}

void DeviceWorkload::enqueue(std::function<void()> work) {
  if (queue_) queue_->push(std::move(work)); else work();
}

void DeviceWorkload::drain() {
  if (queue_) queue_->drain();
}

}  // namespace npusim
