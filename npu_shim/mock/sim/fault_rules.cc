#include "sim/fault_rules.h"

#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace npumock {

std::vector<FaultRule> parse_fault_rules(const char *spec, const char *variable) {
  std::vector<FaultRule> rules;
  if (spec == nullptr) return rules;
  std::stringstream items(spec);
  std::string item;
  while (std::getline(items, item, ',')) {
    if (item.empty()) continue;
    const auto c1 = item.find(':');
    const auto c2 = item.find(':', c1 == std::string::npos ? c1 : c1 + 1);
    FaultRule r;
    bool ok = c1 != std::string::npos && c2 != std::string::npos && c1 > 0;
    if (ok) {
      r.name = item.substr(0, c1);
      std::string nth = item.substr(c1 + 1, c2 - c1 - 1);
      if (!nth.empty() && nth.back() == '+') {
        r.and_after = true;
        nth.pop_back();
      }
      char *end = nullptr;
      r.nth = strtoull(nth.c_str(), &end, 10);
      ok = !nth.empty() && *end == '\0' && r.nth >= 1;
      const std::string value = item.substr(c2 + 1);
      r.value = strtoll(value.c_str(), &end, 0);
      ok = ok && !value.empty() && *end == '\0';
    }
    if (ok) {
      rules.push_back(r);
    } else {
      fprintf(stderr, "npu-mock: ignoring malformed %s item '%s' (want name:N[+]:value)\n",
              variable, item.c_str());
    }
  }
  return rules;
}

}  // namespace npumock
