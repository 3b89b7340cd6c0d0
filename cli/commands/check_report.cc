#include "check_report.h"

#include <cstdio>

namespace npuprobe::cli {

void CheckReport::line(const char *status, const std::string &what,
                       const std::string &detail) const {
  std::printf("%s  %s: %s\n", status, what.c_str(), detail.c_str());
}

void CheckReport::ok(const std::string &what, const std::string &detail) {
  if (!quiet_) line("ok", what, detail);
}

void CheckReport::warn(const std::string &what, const std::string &detail) {
  ++warnings_;
  line("warn", what, detail);
}

void CheckReport::fail(const std::string &what, const std::string &detail) {
  if (!failed_) first_failure_ = what + ": " + detail;
  failed_ = true;
  line("FAIL", what, detail);
}

int CheckReport::finish() const {
  if (failed_) {
    std::printf("npuprobe check: FAILED: %s\n", first_failure_.c_str());
    return 1;
  }
  std::printf("npuprobe check: passed (%zu warnings)\n", warnings_);  // fixed wording: parsed
  return 0;
}

}  // namespace npuprobe::cli
