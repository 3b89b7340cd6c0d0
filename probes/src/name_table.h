// Names the preload registers once (API function names, aclnn op names) and the hot path then
// refers to by id. Cold and thread-safe (a mutex): registration and the first use of an id.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace npuprobe::probes {

class NameTable {
 public:
  // Same name -> same id; ids start at 1.
  std::uint32_t id_of(std::string_view name);
  // The name of `id`, or "unknown" for 0 and ids never handed out.
  std::string name_of(std::uint32_t id) const;
  // Fork child: a thread of the parent may have held the mutex at fork(); the names stay.
  void reset_lock_after_fork() noexcept;

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> names_;  // id - 1 -> name
  std::unordered_map<std::string, std::uint32_t> ids_;
};

}  // namespace npuprobe::probes
