// Byte layout of prometheus_client's `.db` files (docs/store-format.md, "Byte layout": header
// with `used`, then entries: int32 key length, key, 1..8 spaces of padding, value block).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "npuprobe/store/metric_types.h"

namespace npuprobe::store {

inline constexpr std::uint32_t kDbHeaderSize = 8;
// prometheus_client starts every file at 64 KiB and doubles it when full.
inline constexpr std::uint32_t kDbInitialCapacity = 1u << 16;
// The largest `.db` file npuprobe reads (and writes): 256 MiB. vLLM's files hold kilobytes to a
// few megabytes, and ours at most one entry per registry cell (65536 cells, a few tens of MiB);
// anything larger is refused by name instead of being read into memory (docs/hostile-host.md).
inline constexpr std::uint32_t kMaxDbFileBytes = 256u << 20;
// What format detection reads of a file: enough entries to tell v1 from v2.
inline constexpr std::uint32_t kDbDetectionPrefixBytes = 64u << 10;

// Padding after a key of `key_length` bytes: never 0, so the value is 8-aligned.
inline constexpr std::uint32_t db_key_padding(std::uint32_t key_length) {
  return 8 - (key_length + 4) % 8;
}

// Size of a whole entry, header of the entry included.
inline constexpr std::uint32_t db_entry_size(std::uint32_t key_length, StoreFormat format) {
  return 4 + key_length + db_key_padding(key_length) + value_block_size(format);
}

// Offset of the value from the start of the entry.
inline constexpr std::uint32_t db_value_offset_in_entry(std::uint32_t key_length) {
  return 4 + key_length + db_key_padding(key_length);
}

// Appends one encoded entry (value and, for v2, timestamp) to `out`.
void append_db_entry(std::string &out, std::string_view key, double value, double timestamp,
                     StoreFormat format);

}  // namespace npuprobe::store
