// The findings of `npuprobe check`: one line per finding, "ok|warn|FAIL  <what>: <detail>", then
// the verdict. The line format is read by people and by scripts (the smoke runner greps it), so
// it lives in one place.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace npuprobe::cli {

class CheckReport {
 public:
  // quiet: print only the warn and FAIL lines (and the verdict). json: print nothing until
  // finish(), then one object: {"passed", "warnings", "first_failure", "findings": [{"status",
  // "what", "detail"}, ...]} (every finding, quiet or not).
  explicit CheckReport(bool quiet, bool json = false) : quiet_(quiet), json_(json) {}

  void ok(const std::string &what, const std::string &detail);
  void warn(const std::string &what, const std::string &detail);
  void fail(const std::string &what, const std::string &detail);

  // Prints "npuprobe check: passed (N warnings)" or "npuprobe check: FAILED: <first failure>";
  // returns the exit status (0 when nothing failed, 1 otherwise).
  int finish() const;

 private:
  void line(const char *status, const std::string &what, const std::string &detail) const;

  bool quiet_;
  bool json_;
  mutable std::vector<std::string> findings_;  // json: one object per finding
  std::size_t warnings_ = 0;
  std::string first_failure_;  // "<what>: <detail>" of the first FAIL; empty while none
  bool failed_ = false;
};

}  // namespace npuprobe::cli
