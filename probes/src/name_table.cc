#include "name_table.h"

#include <new>

namespace npuprobe::probes {

std::uint32_t NameTable::id_of(std::string_view name) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string key(name);
  if (auto found = ids_.find(key); found != ids_.end()) return found->second;
  names_.push_back(key);
  const auto id = static_cast<std::uint32_t>(names_.size());
  ids_.emplace(std::move(key), id);
  return id;
}

std::string NameTable::name_of(std::uint32_t id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (id == 0 || id > names_.size()) return "unknown";
  return names_[id - 1];
}

void NameTable::reset_lock_after_fork() noexcept {
  // note: only the forking thread exists in the child; a mutex a vanished thread held would
  // never be released, so start from a fresh one (as the store does for its condition variable).
  new (&mutex_) std::mutex;
}

}  // namespace npuprobe::probes
