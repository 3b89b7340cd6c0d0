// Diagnostics and how they are logged. In npuprobe_control, so that the preload prints a
// configuration problem exactly as `npuprobe check` does (Diagnostic::to_string).
#include <cstddef>

#include "npuprobe/config/config.h"

namespace npuprobe::config {

std::string Diagnostic::to_string() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  out += ": ";
  if (!key.empty()) out += key + ": ";
  out += text;
  return out;
}

bool Diagnostic::operator==(const Diagnostic &other) const {
  return file == other.file && line == other.line && key == other.key && text == other.text;
}

std::vector<std::string> LoadResult::message_strings() const {
  std::vector<std::string> out;
  out.reserve(messages.size());
  for (const Diagnostic &d : messages) out.push_back(d.to_string());
  return out;
}

void log_problems(const std::vector<Diagnostic> &problems) {
  // note: this is the only log call site with the bare "%s" format, so the log's per-site
  // rate limit counts configuration problems alone. kShownProblems is its burst: one load
  // fits, a burst of reloads is limited and its suppressed lines reported later.
  const std::size_t shown = problems.size() < kShownProblems ? problems.size() : kShownProblems;
  for (std::size_t i = 0; i < shown; ++i) {
    base::log_message(base::LogLevel::kWarn, "%s", problems[i].to_string().c_str());
  }
  if (problems.size() > shown) {
    base::log_message(base::LogLevel::kWarn,
                       "%zu more configuration problems suppressed (`npuprobe check` with the "
                       "same environment prints every one)",
                       problems.size() - shown);
  }
}

void log_diagnostics(const LoadResult &result) {
  log_problems(result.messages);
  if (result.kept_last_good) {
    base::log_message(base::LogLevel::kWarn,
                       "config: kept the last good configuration (generation %llu)",
                       static_cast<unsigned long long>(result.config.generation));
  }
}

}  // namespace npuprobe::config
