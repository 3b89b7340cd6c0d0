#include "npuprobe/store/db_file_format.h"

#include <cstring>

namespace npuprobe::store {
namespace {

template <typename T>
void append_raw(std::string &out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.append(bytes, sizeof(T));
}

}  // namespace

void append_db_entry(std::string &out, std::string_view key, double value, double timestamp,
                     StoreFormat format) {
  const auto length = static_cast<std::uint32_t>(key.size());
  append_raw(out, static_cast<std::int32_t>(length));
  out.append(key);
  out.append(db_key_padding(length), ' ');
  append_raw(out, value);
  if (format == StoreFormat::kV2) append_raw(out, timestamp);
}

}  // namespace npuprobe::store
