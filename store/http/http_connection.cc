// A connection goes through three phases, each with its own deadline (HttpServerLimits): the
// head must arrive within request_timeout of the accept (measured from the accept, so one byte a
// second does not extend it), the answer must be taken within response_timeout, and a peer that
// does not close after the answer is closed linger_timeout later.
//
// One request per connection ("Connection: close"): keep-alive would let an idle client keep
// its slot, and a scrape every few seconds gains nothing from it. After the answer the write
// side is shut down and what the peer still sends is read and dropped until it closes: closing
// with unread input would reset the connection and could destroy the answer in flight.
#include "http_connection.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace npuprobe::store {
namespace {

// The answer to a complete head: its head, and its body (sent from the handler's own string:
// a scrape's body is the size of the exposition, not worth a copy behind the head).
struct Answer {
  std::string head, body;
};

Answer answer(const std::string &head, const HttpHandler &handler) {
  ParsedRequest parsed = parse_request_head(head);
  if (!parsed.request)
    return {serialize_response(error_response(parsed.status, parsed.reason), false), {}};
  HttpResponse response;
  try {
    response = handler(*parsed.request);
  } catch (const std::exception &e) {  // a failed scrape must not stop the server
    response = error_response(500, e.what());
  }
  std::string framed = serialize_response_head(response);
  if (parsed.request->method == "HEAD") return {std::move(framed), {}};
  return {std::move(framed), std::move(response.body)};
}

bool would_block() {
  return errno == EAGAIN || errno == EWOULDBLOCK;
}

}  // namespace

HttpConnection::HttpConnection(int fd, const HttpServerLimits &limits)
    : fd_(fd), deadline_(Clock::now() + limits.request_timeout) {}

HttpConnection::HttpConnection(HttpConnection &&other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      phase_(other.phase_),
      in_(std::move(other.in_)),
      out_(std::move(other.out_)),
      body_(std::move(other.body_)),
      sent_(other.sent_),
      deadline_(other.deadline_) {}

HttpConnection &HttpConnection::operator=(HttpConnection &&other) noexcept {
  if (this != &other) {
    close_now();
    fd_ = std::exchange(other.fd_, -1);
    phase_ = other.phase_;
    in_ = std::move(other.in_);
    out_ = std::move(other.out_);
    body_ = std::move(other.body_);
    sent_ = other.sent_;
    deadline_ = other.deadline_;
  }
  return *this;
}

HttpConnection::~HttpConnection() {
  close_now();
}

void HttpConnection::close_now() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

short HttpConnection::poll_events() const {
  return phase_ == Phase::kWriting ? POLLOUT : POLLIN;
}

void HttpConnection::advance(const HttpHandler &handler, const HttpServerLimits &limits) {
  switch (phase_) {
    case Phase::kReading:
      return read_head(handler, limits);
    case Phase::kWriting:
      return write_answer(limits);
    case Phase::kLingering:
      return drain();
  }
}

void HttpConnection::read_head(const HttpHandler &handler, const HttpServerLimits &limits) {
  char buffer[4096];
  while (true) {
    const ssize_t got = recv(fd_, buffer, sizeof buffer, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && would_block()) return;  // all read; the head is not complete yet
    if (got <= 0) return close_now();      // the peer left before asking
    in_.append(buffer, static_cast<std::size_t>(got));
    const std::size_t end = request_head_end(in_);
    if (end > kMaxRequestHeadBytes || (end == 0 && in_.size() > kMaxRequestHeadBytes)) {
      const std::string detail =
          "the request head is limited to " + std::to_string(kMaxRequestHeadBytes) + " bytes";
      return respond(serialize_response(error_response(431, detail), false), {}, limits);
    }
    if (end != 0) {
      Answer made = answer(in_.substr(0, end), handler);
      return respond(std::move(made.head), std::move(made.body), limits);
    }
  }
}

void HttpConnection::respond(std::string out, std::string body, const HttpServerLimits &limits) {
  in_.clear();
  out_ = std::move(out);
  body_ = std::move(body);
  phase_ = Phase::kWriting;
  deadline_ = Clock::now() + limits.response_timeout;
  write_answer(limits);
}

void HttpConnection::write_answer(const HttpServerLimits &limits) {
  // out_ then body_, as one stream: sent_ counts over both.
  const std::size_t total = out_.size() + body_.size();
  while (sent_ < total) {
    iovec parts[2];
    int count = 0;
    if (sent_ < out_.size()) {
      parts[count++] = {const_cast<char *>(out_.data()) + sent_, out_.size() - sent_};
      if (!body_.empty()) parts[count++] = {const_cast<char *>(body_.data()), body_.size()};
    } else {
      const std::size_t at = sent_ - out_.size();
      parts[count++] = {const_cast<char *>(body_.data()) + at, body_.size() - at};
    }
    msghdr message{};
    message.msg_iov = parts;
    message.msg_iovlen = static_cast<decltype(message.msg_iovlen)>(count);
    const ssize_t put = sendmsg(fd_, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (put < 0 && errno == EINTR) continue;
    if (put < 0 && would_block()) return;  // poll() for POLLOUT
    if (put < 0) return close_now();
    sent_ += static_cast<std::size_t>(put);
  }
  shutdown(fd_, SHUT_WR);
  out_ = std::string();
  body_ = std::string();
  phase_ = Phase::kLingering;
  deadline_ = Clock::now() + limits.linger_timeout;
}

void HttpConnection::drain() {
  char buffer[4096];
  while (true) {
    const ssize_t got = recv(fd_, buffer, sizeof buffer, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && would_block()) return;
    if (got <= 0) return close_now();  // the peer closed: done
  }
}

}  // namespace npuprobe::store
