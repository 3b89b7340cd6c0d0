#include "check_report.h"

#include <cstdio>

#include "../json_out.h"

namespace npuprobe::cli {

void CheckReport::line(const char *status, const std::string &what,
                       const std::string &detail) const {
  if (json_) {
    findings_.push_back(
        JsonObject().text("status", status).text("what", what).text("detail", detail).str());
    return;
  }
  std::printf("%s  %s: %s\n", status, what.c_str(), detail.c_str());
}

void CheckReport::ok(const std::string &what, const std::string &detail) {
  if (!quiet_ || json_) line("ok", what, detail);
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
  if (json_) {
    std::printf("%s\n", JsonObject()
                            .boolean("passed", !failed_)
                            .number("warnings", static_cast<long long>(warnings_))
                            .text("first_failure", first_failure_)
                            .raw("findings", json_array(findings_))
                            .str()
                            .c_str());
    return failed_ ? 1 : 0;
  }
  if (failed_) {
    std::printf("npuprobe check: FAILED: %s\n", first_failure_.c_str());
    return 1;
  }
  std::printf("npuprobe check: passed (%zu warnings)\n", warnings_);  // fixed wording: parsed
  return 0;
}

}  // namespace npuprobe::cli
