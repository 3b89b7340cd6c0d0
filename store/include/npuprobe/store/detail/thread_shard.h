// The per-thread fast path state. Internal to the registry.
#pragma once

#include <atomic>
#include <cstdint>

namespace npuprobe::store::detail {

// One value cell. Written only by the shard's owning thread (load + store, both relaxed: a
// single writer needs no read-modify-write), read concurrently by the publisher.
using Cell = std::atomic<double>;

inline void add_to_cell(Cell &cell, double amount) noexcept {
  cell.store(cell.load(std::memory_order_relaxed) + amount, std::memory_order_relaxed);
}

// Which registry's shard this thread last used. `token` identifies a registry and its fork
// generation; a mismatch sends the thread to the slow path, which finds or makes its shard.
struct ThreadShardCache {
  std::uint64_t token;
  Cell *cells;
};

// note: initial-exec TLS: a plain %fs-relative load, no __tls_get_addr call and no lazy TLS
// allocation (which could call malloc from inside an interposed function). Trivial type, so no
// TLS init wrapper either.
inline thread_local ThreadShardCache tls_shard_cache
    __attribute__((tls_model("initial-exec"))) = {0, nullptr};

}  // namespace npuprobe::store::detail
