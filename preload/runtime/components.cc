// The runtime's parts as components (component.h): each adapter says which of its part's calls
// answer which event, nothing more. Adapters, rather than the parts deriving from Component,
// because half of them live outside the preload (store, probes, attribution) and the others stay
// testable on their own.
#include "components.h"

#include <stdexcept>

#include "aclprof_session.h"
#include "capture_streams.h"
#include "embedded_exposer.h"
#include "hook_groups.h"
#include "log_sink.h"
#include "memory_sampler.h"
#include "mspti_session.h"
#include "npuprobe/attribution/attributor.h"
#include "npuprobe/probes/probes.h"
#include "npuprobe/base/log.h"
#include "npuprobe/store/publisher.h"
#include "npuprobe/store/registry.h"
#include "process_identity.h"
#include "self_metrics.h"
#include "status_entry.h"

namespace npuprobe::preload {
namespace {

// The preload's logger: a leaf lock (nothing is locked while it is held), so it is taken last
// before fork. Lines suppressed by the rate limit are said at every flush and at exit.
class LogPart final : public Component {
 public:
  void before_flush(const FlushContext &) override { base::report_suppressed_log_lines(); }
  void before_fork() noexcept override { log_sink_before_fork(); }
  void after_fork_in_parent() noexcept override { log_sink_after_fork(); }
  void after_fork_in_child() noexcept override {
    log_sink_after_fork();
    base::reset_log_after_fork();
  }
  void stop() noexcept override { base::report_suppressed_log_lines(); }
};

// The hooks configuration's lock (hook_groups.h), which a parent's thread may have held.
class HooksPart final : public Component {
 public:
  void after_fork_in_child() noexcept override { reset_hooks_lock_after_fork(); }
};

// The registry's lock is taken after the publisher's (a flush holds the publisher's while it
// reads the registry) and released first; the child drops every count.
class RegistryPart final : public Component {
 public:
  explicit RegistryPart(store::MetricRegistry &r) : registry_(r) {}
  void before_fork() noexcept override { registry_.prepare_fork(); }
  void after_fork_in_parent() noexcept override { registry_.resume_after_fork_in_parent(); }
  void after_fork_in_child() noexcept override { registry_.reset_after_fork(); }

 private:
  store::MetricRegistry &registry_;
};

class MemorySamplerPart final : public Component {
 public:
  MemorySamplerPart(MemorySampler &s, probes::Probes &p) : sampler_(s), probes_(p) {}
  void before_flush(const FlushContext &c) override {
    if (c.measuring) sampler_.before_flush(c.devices, probes_);
  }
  void after_fork_in_child() noexcept override { sampler_.forget_after_fork(); }
  void stop_npu_collection() noexcept override { sampler_.stop(); }

 private:
  MemorySampler &sampler_;
  probes::Probes &probes_;
};

class AclprofPart final : public Component {
 public:
  explicit AclprofPart(AclprofSession &s) : session_(s) {}
  void before_flush(const FlushContext &c) override { session_.before_flush(c.devices, c.measuring); }
  void on_first_use_of_device(std::uint64_t devices) noexcept override {
    session_.start_now(devices);
  }
  void after_fork_in_child() noexcept override { session_.forget_after_fork(); }
  void stop_npu_collection() noexcept override { session_.finish(); }

 private:
  AclprofSession &session_;
};

// Its before_flush hands MSPTI's records to the probes, so it comes before them.
class MsptiPart final : public Component {
 public:
  explicit MsptiPart(MsptiSession &s) : session_(s) {}
  void before_flush(const FlushContext &c) override { session_.before_flush(c.measuring); }
  void on_first_use_of_device(std::uint64_t) noexcept override { session_.start_now(); }
  void after_fork_in_child() noexcept override { session_.forget_after_fork(); }
  void stop_npu_collection() noexcept override { session_.finish(); }

 private:
  MsptiSession &session_;
};

// npuprobe:task_time_active follows the task-time sessions, so it comes after them.
class SelfMetricsPart final : public Component {
 public:
  SelfMetricsPart(SelfMetrics &s, const AclprofSession *aclprof, const MsptiSession *mspti)
      : self_(s), aclprof_(aclprof), mspti_(mspti) {}
  void before_flush(const FlushContext &) override {
    self_.set_task_time_active(collecting(), refusal());
  }
  void after_flush(const FlushResult &r) noexcept override {
    self_.after_flush(r.seconds, r.ok, r.format);
  }
  void on_first_use_of_device(std::uint64_t) noexcept override {
    self_.set_task_time_active(collecting(), refusal());
  }
  void stop_npu_collection() noexcept override { self_.set_task_time_active(false, refusal()); }

 private:
  bool collecting() const noexcept {
    return (aclprof_ != nullptr && aclprof_->profiling()) ||
           (mspti_ != nullptr && mspti_->collecting());
  }
  // aclprof's refusal (collection off), or MSPTI's refusal of the HCCL kind (kernel records go
  // on: the gauge stays 1 with the reason).
  const char *refusal() const noexcept {
    if (aclprof_ != nullptr) return aclprof_->refusal();
    return mspti_ != nullptr ? mspti_->refusal() : nullptr;
  }
  SelfMetrics &self_;
  const AclprofSession *aclprof_;
  const MsptiSession *mspti_;
};

// Who the process is now (dp from a late title, a fork child's folder): read before the parts
// that write its dp and folder (the status entry after the flush, the attributor's sites file).
class IdentityPart final : public Component {
 public:
  explicit IdentityPart(ProcessIdentity &i) : identity_(i) {}
  void before_flush(const FlushContext &c) override { identity_.before_flush(c.devices); }
  void after_fork_in_child() noexcept override { identity_.after_fork_in_child(); }

 private:
  ProcessIdentity &identity_;
};

// This process in `npuprobe status`: removed at exit, after the publisher's last flush.
class StatusPart final : public Component {
 public:
  StatusPart(StatusEntry &s, const AclprofSession *aclprof, const MsptiSession *mspti)
      : status_(s), aclprof_(aclprof), mspti_(mspti) {}
  void after_flush(const FlushResult &r) noexcept override {
    try {
      status_.after_flush(r.measuring, r.config_generation, r.format, task_time());
    } catch (...) {  // no memory for the text: this flush's line is skipped
    }
  }
  void after_fork_in_child() noexcept override { status_.forget_after_fork(); }
  void stop() noexcept override { status_.remove(); }

 private:
  // config::ProcessStatus::task_time.
  std::string task_time() const {
    if (aclprof_ != nullptr) {
      if (const char *reason = aclprof_->refusal()) return std::string("aclprof refused: ") + reason;
      return aclprof_->profiling() ? "aclprof on" : "aclprof off";
    }
    if (mspti_ != nullptr) {
      std::string text = mspti_->collecting() ? "mspti on" : "mspti off";
      if (const char *reason = mspti_->refusal()) text += std::string(", refused: ") + reason;
      return text;
    }
    return "";
  }
  StatusEntry &status_;
  const AclprofSession *aclprof_;
  const MsptiSession *mspti_;
};

// The probes' flush work (step close, task-time records) after every part that feeds them.
class ProbesPart final : public Component {
 public:
  explicit ProbesPart(probes::Probes &p) : probes_(p) {}
  void before_flush(const FlushContext &) override { probes_.before_flush(); }
  void after_fork_in_child() noexcept override { probes_.reset_after_fork(); }

 private:
  probes::Probes &probes_;
};

class AttributorPart final : public Component {
 public:
  explicit AttributorPart(attribution::Attributor &a) : attributor_(a) {}
  void before_flush(const FlushContext &) override { attributor_.before_flush(); }
  void after_fork_in_child() noexcept override { attributor_.reset_after_fork(); }

 private:
  attribution::Attributor &attributor_;
};

// The publisher thread serves through it: it stops after the publisher. It binds after a flush,
// not before: the first answer then already holds what that flush wrote, never an empty folder.
class ExposerPart final : public Component {
 public:
  explicit ExposerPart(EmbeddedExposer &e) : exposer_(e) {}
  void after_flush(const FlushResult &) noexcept override { exposer_.try_serve(); }
  void after_fork_in_child() noexcept override { exposer_.forget_after_fork(); }
  void stop() noexcept override { exposer_.stop(); }

 private:
  EmbeddedExposer &exposer_;
};

// Drives the flushes of everything above: prepares for fork first (its flush holds its locks
// while it calls into the others), stops first at exit (joins its thread, flushes a last time).
class PublisherPart final : public Component {
 public:
  explicit PublisherPart(store::Publisher &p) : publisher_(p) {}
  void before_fork() noexcept override { publisher_.prepare_fork(); }
  void after_fork_in_parent() noexcept override { publisher_.resume_after_fork_in_parent(); }
  void after_fork_in_child() noexcept override { publisher_.reset_after_fork(); }
  void stop() noexcept override { publisher_.stop(); }

 private:
  store::Publisher &publisher_;
};

// Streams capturing in the parent capture nothing in the child.
class CaptureStreamsPart final : public Component {
 public:
  void after_fork_in_child() noexcept override {
    g_capture_streams.clear();
    g_update_streams.clear();
  }
};

void add(ComponentList &list, Component *part) {
  if (!list.add(*part)) throw std::length_error("npuprobe: ComponentList::kCapacity too small");
}

}  // namespace

// The order is the order of every event (component_list.h says which events walk it
// backwards). What depends on it:
//  - flush: the log's suppressed lines first; the memory sampler, aclprof and MSPTI feed the
//    probes before the probes close their steps; self metrics after the sessions (task time
//    active); the identity before the status entry and the attributor (its dp and folder); the
//    attributor after the probes; the exposer serves the result last;
//  - after a flush: self metrics, then the status entry;
//  - first use of a device, stop of NPU collection (aclFinalize, exit): memory sampler,
//    aclprof, MSPTI, then self metrics (task time active);
//  - exit (reverse): the publisher stops (joins its thread, last flush), then the exposer, then
//    the status entry is removed, and the log's suppressed lines are said last;
//  - before fork (reverse): the publisher's locks, the registry's, the log's (a leaf lock);
//    after fork (forward): the log, the hooks lock and the registry are usable again before any
//    other part's reset runs.
void register_components(ComponentList &list, const RuntimeParts &p) {
  add(list, new LogPart());
  add(list, new HooksPart());
  add(list, new RegistryPart(*p.registry));
  if (p.memory_sampler != nullptr) add(list, new MemorySamplerPart(*p.memory_sampler, *p.probes));
  if (p.aclprof != nullptr) add(list, new AclprofPart(*p.aclprof));
  if (p.mspti != nullptr) add(list, new MsptiPart(*p.mspti));
  add(list, new SelfMetricsPart(*p.self, p.aclprof, p.mspti));
  add(list, new IdentityPart(*p.identity));
  add(list, new StatusPart(*p.status, p.aclprof, p.mspti));
  add(list, new ProbesPart(*p.probes));
  if (p.attributor != nullptr) add(list, new AttributorPart(*p.attributor));
  if (p.exposer != nullptr) add(list, new ExposerPart(*p.exposer));
  add(list, new PublisherPart(*p.publisher));
  add(list, new CaptureStreamsPart());
}

}  // namespace npuprobe::preload
