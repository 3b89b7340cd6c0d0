// Fault rules: "name:N:code" fails only the Nth call, "name:N+:code" every call from the Nth
// (NPU_MOCK_FAIL); "name:N:ms" / "name:N+:ms" make those calls block ms first (NPU_MOCK_HANG).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace npumock {

struct FaultRule {
  std::string name;
  uint64_t nth = 1;
  bool and_after = false;
  int64_t value = 0;  // error code (fail) or milliseconds (hang)

  bool matches(uint64_t call_number) const {
    return and_after ? call_number >= nth : call_number == nth;
  }
};

// Parses a comma-separated list; malformed items are reported on stderr and skipped.
std::vector<FaultRule> parse_fault_rules(const char *spec, const char *variable);

}  // namespace npumock
