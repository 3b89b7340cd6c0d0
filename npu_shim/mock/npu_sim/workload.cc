#include "npu_sim/workload.h"

#include <time.h>

#include <cstdio>

#include "npu/npumock.h"

namespace npusim {
namespace {

constexpr size_t kOutputBytes = 4096;
constexpr size_t kGranule = size_t(2) << 20;  // expandable segments map 2 MiB pages

uint64_t mono_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

}  // namespace

DeviceWorkload::DeviceWorkload(const Options &options, const AclBinding &acl, DeviceTruth *truth)
    : o_(options), acl_(acl), truth_(*truth), device_(truth->device) {}

bool DeviceWorkload::ok(aclError rc, const char *function) {
  if (rc == ACL_SUCCESS) return true;
  fprintf(stderr, "npu-sim: device %d: %s failed with %d\n", device_, function, rc);
  truth_.count(truth_.errors, function);
  return false;
}

void DeviceWorkload::run() {
  if (setup()) {
    for (uint32_t step = 0; step < o_.steps; ++step) {
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
    truth_.steps = o_.steps;
  }
  teardown();
}

bool DeviceWorkload::setup() {
  if (!ok(acl_.setDevice(device_), "aclrtSetDevice")) return false;
  if (o_.task_queue) {
    queue_.reset(new LaunchQueue([this] { ok(acl_.setDevice(device_), "aclrtSetDevice"); }));
  }
  bool good = ok(acl_.createStreamWithConfig(&stream_, 0, ACL_STREAM_FAST_LAUNCH | ACL_STREAM_FAST_SYNC),
                 "aclrtCreateStreamWithConfig");
  for (aclrtEvent &e : events_) good = ok(acl_.createEventWithFlag(&e, ACL_EVENT_SYNC), "aclrtCreateEventWithFlag") && good;
  good = ok(npumock_get_function("npu_sim_kernel", 0, &kernel_), "npumock_get_function") && good;
  const int64_t dims[2] = {16, 16};
  tensor_ = acl_.createTensor(dims, 2, 0, nullptr, 0, 2, dims, 2, nullptr);
  good = ok(acl_.mallocHost(&host_output_, kOutputBytes), "aclrtMallocHost") && good;
  if (host_output_ != nullptr) truth_.host_pinned_bytes += kOutputBytes;
  good = alloc(kOutputBytes, &output_) && good;
  if (o_.alloc_bytes > 0) alloc(o_.alloc_bytes, &extra_);  // a failure is counted, not fatal
  if (!good) return false;
  if (o_.graph) {
    // Capture once before the first step: the launches are recorded, not run, and no wait.
    good = ok(acl_.captureBegin(stream_, 0), "aclmdlRICaptureBegin");
    capturing_ = good;
    for (uint32_t i = 0; good && i < o_.launches; ++i) enqueue_launch(i);
    drain();
    capturing_ = false;
    good = good && ok(acl_.captureEnd(stream_, &graph_), "aclmdlRICaptureEnd");
  }
  return good;
}

void DeviceWorkload::teardown() {
  drain();
  if (graph_ != nullptr) ok(acl_.riDestroy(graph_), "aclmdlRIDestroy");
  release(&extra_);
  release(&output_);
  if (host_output_ != nullptr && ok(acl_.freeHost(host_output_), "aclrtFreeHost")) {
    truth_.host_pinned_bytes -= kOutputBytes;
  }
  for (aclrtEvent e : events_) {
    if (e != nullptr) ok(acl_.destroyEvent(e), "aclrtDestroyEvent");
  }
  if (stream_ != nullptr) ok(acl_.destroyStream(stream_), "aclrtDestroyStream");
  if (tensor_ != nullptr) acl_.destroyTensor(tensor_);
  queue_.reset();
  ok(acl_.resetDevice(device_), "aclrtResetDevice");
}

bool DeviceWorkload::alloc(size_t size, Block *out) {
  if (!o_.expandable) {
    if (!ok(acl_.mallocAlign32(&out->ptr, size, ACL_MEM_MALLOC_HUGE_FIRST), "aclrtMallocAlign32")) {
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
  if (o_.graph) {
    npusim_launch replay{};
    replay.kind = NPUSIM_LAUNCH_GRAPH;
    replay.stream = stream_;
    replay.graph_execute = acl_.riExecuteAsync;
    replay.graph = graph_;
    replay.add_next_launch_host_us = npumock_add_next_launch_host_us;
    enqueue([this, replay] { launch(replay, "aclmdlRIExecuteAsync", "graph", false); });
    truth_.kernels += o_.launches;
    return;
  }
  for (uint32_t i = 0; i < o_.launches; ++i) enqueue_launch(i);
  truth_.kernels += o_.launches;
}

void DeviceWorkload::enqueue_launch(uint32_t index) {
  static const uint64_t kKernelArgs[2] = {0, 0};
  LaunchApi api = o_.launch_api;
  if (api == LaunchApi::Mixed) {
    static const LaunchApi kCycle[] = {LaunchApi::Aclnn, LaunchApi::Aclop, LaunchApi::Kernel};
    api = kCycle[index % 3];
  }
  const bool captured = capturing_;  // read here: the launch itself may run on the queue thread
  const std::string label = captured ? "capture"
                            : api == LaunchApi::Aclnn ? "aclnn"
                            : api == LaunchApi::Aclop ? "aclop"
                                                      : "kernel";
  npusim_launch l{};
  l.stream = stream_;
  l.add_next_launch_host_us = npumock_add_next_launch_host_us;
  const char *function = "aclnn launch";
  if (api == LaunchApi::Aclnn) {
    // First stage on this (the "Python") thread; the launch itself may go to the task queue.
    uint64_t ws = 0;
    aclError rc = ACL_SUCCESS;
    switch (index % 3) {
      case 0: rc = acl_.matmulGetWorkspaceSize(tensor_, tensor_, tensor_, 0, &ws, &l.executor); l.aclnn = acl_.matmul; break;
      case 1: rc = acl_.addGetWorkspaceSize(tensor_, tensor_, tensor_, tensor_, &ws, &l.executor); l.aclnn = acl_.add; break;
      default: rc = acl_.siluGetWorkspaceSize(tensor_, tensor_, &ws, &l.executor); l.aclnn = acl_.silu; break;
    }
    if (!ok(rc, "aclnnGetWorkspaceSize")) return;
    l.kind = NPUSIM_LAUNCH_ACLNN;
  } else if (api == LaunchApi::Aclop) {
    l.kind = NPUSIM_LAUNCH_ACLOP;
    l.aclop = acl_.opExecuteV2;
    function = "aclopExecuteV2";
  } else {
    l.kind = NPUSIM_LAUNCH_KERNEL;
    l.kernel = acl_.launchKernel;
    l.func = kernel_;
    l.block_dim = 8;
    l.args = kKernelArgs;
    l.args_size = sizeof kKernelArgs;
    function = "aclrtLaunchKernel";
  }
  enqueue([this, l, function, label, captured] { launch(l, function, label, captured); });
}

void DeviceWorkload::launch(const npusim_launch &l, const char *function, const std::string &label,
                            bool captured) {
  // Captured launches are only recorded: no host wait is allowed there and none is slow.
  const uint64_t n = captured ? 0 : ++launches_made_;
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
    }
  }
  if (ok(rc, function)) truth_.count(truth_.launches, label);
  if (n > 0 && o_.stray_sync_every > 0 && n % o_.stray_sync_every == 0) {
    ok(npu_sim_stray_sync(acl_.synchronizeStream, stream_), "aclrtSynchronizeStream");
    truth_.count(truth_.syncs, "stray_stream");  // counted like the step's wait: call made
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
  }
  truth_.count(truth_.syncs, to_string(o_.sync));
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
