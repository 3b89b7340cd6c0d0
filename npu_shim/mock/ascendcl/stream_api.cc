// Streams, events and the host-blocking waits.
#include "ascendcl/runtime.h"

using namespace npumock;

namespace {

bool is_capturing(Stream *s) {
  std::lock_guard<std::mutex> lock(s->capture_mu);
  return s->capturing != nullptr;
}

// The runtime's timeout rule (ApiErrorDecorator::StreamSynchronize / EventSynchronize /
// DeviceSynchronize): -1 waits forever, > 0 is milliseconds, anything else is
// RT_ERROR_INVALID_VALUE.
bool valid_timeout(int32_t timeout_ms) { return timeout_ms == -1 || timeout_ms > 0; }

// rtStreamSynchronize(WithTimeout): the stream handle is validated first, then the timeout,
// then a capturing stream is refused; a timeout is RT_ERROR_STREAM_SYNC_TIMEOUT.
aclError sync_stream(aclrtStream stream, int32_t timeout_ms) {
  if (stream != nullptr && !streams().contains(stream)) return ACL_ERROR_RT_INVALID_HANDLE;
  if (!valid_timeout(timeout_ms)) return ACL_ERROR_RT_PARAM_INVALID;
  Stream *s = nullptr;
  if (aclError rc = resolve_stream(stream, &s)) return rc;
  if (is_capturing(s)) return ACL_ERROR_RT_STREAM_CAPTURED;
  const uint64_t seq = s->last_seq.load(std::memory_order_acquire);
  return device(s->device)->wait_for(seq, timeout_ms) ? ACL_SUCCESS
                                                      : ACL_ERROR_RT_STREAM_SYNC_TIMEOUT;
}

aclError sync_device(int32_t timeout_ms) {
  if (!valid_timeout(timeout_ms)) return ACL_ERROR_RT_PARAM_INVALID;
  const int dev = current_device();
  if (dev < 0) return ACL_ERROR_RT_CONTEXT_NULL;
  return device(dev)->wait_idle(timeout_ms) ? ACL_SUCCESS : ACL_ERROR_RT_STREAM_SYNC_TIMEOUT;
}

// Event handles: NULL is refused by the ACL layer, an unknown one by the runtime's handle check.
aclError check_event(aclrtEvent event) {
  if (event == nullptr) return ACL_ERROR_INVALID_PARAM;
  return events().contains(event) ? ACL_SUCCESS : ACL_ERROR_RT_INVALID_HANDLE;
}

// rtEventSynchronize(WithTimeout): a never-recorded event is complete; a timeout is
// RT_ERROR_EVENT_SYNC_TIMEOUT (Event::Synchronize maps the stream timeout to it).
aclError sync_event(aclrtEvent event, int32_t timeout_ms) {
  if (aclError rc = check_event(event)) return rc;
  if (!valid_timeout(timeout_ms)) return ACL_ERROR_RT_PARAM_INVALID;
  auto *e = static_cast<Event *>(event);
  const uint64_t seq = e->record_seq.load(std::memory_order_acquire);
  if (seq == 0) return ACL_SUCCESS;  // never recorded: complete by definition
  return device(e->device)->wait_for(seq, timeout_ms) ? ACL_SUCCESS
                                                      : ACL_ERROR_RT_EVENT_SYNC_TIMEOUT;
}

aclError create_stream(aclrtStream *stream) {
  if (stream == nullptr) return ACL_ERROR_INVALID_PARAM;
  const int dev = current_device();
  if (dev < 0) return ACL_ERROR_RT_CONTEXT_NULL;
  auto *s = new Stream;
  s->id = next_stream_id();
  s->device = dev;
  *stream = streams().add(s);
  return ACL_SUCCESS;
}

aclError create_event(aclrtEvent *event, uint32_t flags) {
  if (event == nullptr) return ACL_ERROR_INVALID_PARAM;
  const int dev = current_device();
  if (dev < 0) return ACL_ERROR_RT_CONTEXT_NULL;
  auto *e = new Event;
  e->device = dev;
  e->flags = flags;
  *event = events().add(e);
  return ACL_SUCCESS;
}

}  // namespace

extern "C" {

aclError aclrtCreateStream(aclrtStream *stream) {
  NPUMOCK_ENTER("aclrtCreateStream");
  return create_stream(stream);
}

aclError aclrtCreateStreamWithConfig(aclrtStream *stream, uint32_t priority, uint32_t flag) {
  NPUMOCK_ENTER("aclrtCreateStreamWithConfig");
  if (priority > 7 || (flag & ~uint32_t(ACL_STREAM_FAST_LAUNCH | ACL_STREAM_FAST_SYNC)) != 0) {
    return ACL_ERROR_INVALID_PARAM;
  }
  return create_stream(stream);
}

aclError aclrtDestroyStream(aclrtStream stream) {
  NPUMOCK_ENTER("aclrtDestroyStream");
  if (stream == nullptr) return ACL_ERROR_INVALID_PARAM;
  if (!streams().contains(stream)) return ACL_ERROR_RT_INVALID_HANDLE;
  auto *s = static_cast<Stream *>(stream);
  if (s->is_default) return ACL_ERROR_RT_PARAM_INVALID;
  // The real runtime lets queued work finish before the stream goes away.
  device(s->device)->wait_for(s->last_seq.load(std::memory_order_acquire));
  streams().remove(stream);
  delete s;
  return ACL_SUCCESS;
}

aclError aclrtCreateEvent(aclrtEvent *event) {
  NPUMOCK_ENTER("aclrtCreateEvent");
  return create_event(event, ACL_EVENT_SYNC);
}

aclError aclrtCreateEventWithFlag(aclrtEvent *event, uint32_t flag) {
  NPUMOCK_ENTER("aclrtCreateEventWithFlag");
  const uint32_t known = ACL_EVENT_SYNC | ACL_EVENT_CAPTURE_STREAM_PROGRESS | ACL_EVENT_TIME_LINE;
  if ((flag & ~known) != 0) return ACL_ERROR_INVALID_PARAM;
  return create_event(event, flag);
}

aclError aclrtDestroyEvent(aclrtEvent event) {
  NPUMOCK_ENTER("aclrtDestroyEvent");
  if (aclError rc = check_event(event)) return rc;
  auto *e = static_cast<Event *>(event);
  // A record still queued references the event: let it execute first.
  if (uint64_t seq = e->record_seq.load(std::memory_order_acquire)) device(e->device)->wait_for(seq);
  events().remove(event);
  delete e;
  return ACL_SUCCESS;
}

aclError aclrtSynchronizeStream(aclrtStream stream) {
  NPUMOCK_ENTER("aclrtSynchronizeStream");
  return sync_stream(stream, -1);
}

// stream.cpp: a timeout below -1 is refused by the ACL layer itself with
// ACL_ERROR_RT_PARAM_INVALID; 0 is refused by the runtime with the same code.
aclError aclrtSynchronizeStreamWithTimeout(aclrtStream stream, int32_t timeout) {
  NPUMOCK_ENTER("aclrtSynchronizeStreamWithTimeout");
  if (timeout < -1) return ACL_ERROR_RT_PARAM_INVALID;
  return sync_stream(stream, timeout);
}

aclError aclrtSynchronizeDevice(void) {
  NPUMOCK_ENTER("aclrtSynchronizeDevice");
  return sync_device(-1);
}

aclError aclrtSynchronizeDeviceWithTimeout(int32_t timeout) {
  NPUMOCK_ENTER("aclrtSynchronizeDeviceWithTimeout");
  if (timeout < -1) return ACL_ERROR_RT_PARAM_INVALID;
  return sync_device(timeout);
}

aclError aclrtSynchronizeEvent(aclrtEvent event) {
  NPUMOCK_ENTER("aclrtSynchronizeEvent");
  return sync_event(event, -1);
}

// event.cpp: the ACL layer refuses a timeout below -1 (ACL_ERROR_RT_PARAM_INVALID) before it
// looks at the event; the runtime then refuses 0.
aclError aclrtSynchronizeEventWithTimeout(aclrtEvent event, int32_t timeout) {
  NPUMOCK_ENTER("aclrtSynchronizeEventWithTimeout");
  if (timeout < -1) return ACL_ERROR_RT_PARAM_INVALID;
  return sync_event(event, timeout);
}

aclError aclrtRecordEvent(aclrtEvent event, aclrtStream stream) {
  NPUMOCK_ENTER("aclrtRecordEvent");
  if (aclError rc = check_event(event)) return rc;
  Stream *s = nullptr;
  if (aclError rc = resolve_stream(stream, &s)) return rc;
  auto *e = static_cast<Event *>(event);
  if (e->device != s->device) return ACL_ERROR_RT_STREAM_CONTEXT;
  Task t;
  t.kind = Task::Kind::EventRecord;
  t.event = e;
  if (uint64_t seq = enqueue_task(s, t)) e->record_seq.store(seq, std::memory_order_release);
  return ACL_SUCCESS;
}

aclError aclrtStreamWaitEvent(aclrtStream stream, aclrtEvent event) {
  NPUMOCK_ENTER("aclrtStreamWaitEvent");
  if (aclError rc = check_event(event)) return rc;
  Stream *s = nullptr;
  if (aclError rc = resolve_stream(stream, &s)) return rc;
  auto *e = static_cast<Event *>(event);
  const uint64_t seq = e->record_seq.load(std::memory_order_acquire);
  // Same device: the FIFO already orders the wait after the record. Another device: the
  // waiting device stalls until the recording device reached the record.
  if (seq != 0 && e->device != s->device) {
    Task t;
    t.kind = Task::Kind::WaitOtherDevice;
    t.other = device(e->device);
    t.other_seq = seq;
    enqueue_task(s, t);
  }
  return ACL_SUCCESS;
}

aclError aclrtEventElapsedTime(float *ms, aclrtEvent startEvent, aclrtEvent endEvent) {
  NPUMOCK_ENTER("aclrtEventElapsedTime");
  if (ms == nullptr || !events().contains(startEvent) || !events().contains(endEvent)) {
    return ACL_ERROR_INVALID_PARAM;
  }
  auto *a = static_cast<Event *>(startEvent);
  auto *b = static_cast<Event *>(endEvent);
  const uint64_t ta = a->timestamp_ns.load(std::memory_order_acquire);
  const uint64_t tb = b->timestamp_ns.load(std::memory_order_acquire);
  if (ta == 0 || tb == 0) return ACL_ERROR_RT_PARAM_INVALID;  // not recorded or not complete
  *ms = float(double(int64_t(tb - ta)) / 1e6);
  return ACL_SUCCESS;
}

aclError aclrtLaunchCallback(aclrtCallback fn, void *userData, int blockType, aclrtStream stream) {
  NPUMOCK_ENTER("aclrtLaunchCallback");
  if (fn == nullptr || (blockType != ACL_CALLBACK_NO_BLOCK && blockType != ACL_CALLBACK_BLOCK)) {
    return ACL_ERROR_INVALID_PARAM;
  }
  Stream *s = nullptr;
  if (aclError rc = resolve_stream(stream, &s)) return rc;
  Task t;
  t.kind = Task::Kind::Callback;
  t.callback = fn;
  t.callback_arg = userData;
  enqueue_task(s, t);
  return ACL_SUCCESS;
}

}  // extern "C"
