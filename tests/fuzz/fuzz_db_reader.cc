// libFuzzer target for the reader: any bytes as a `.db` file, in both formats. It must never
// crash or read out of bounds, and every key it accepts must survive a re-encode round trip.
// Built with clang (-fsanitize=fuzzer); with other compilers a small main() replays the
// golden files through the same function, so the target keeps compiling and running.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "npuprobe/store/db_file_reader.h"
#include "npuprobe/store/json_key.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  using namespace npuprobe::store;
  const std::string_view bytes(reinterpret_cast<const char *>(data), size);
  detect_db_format(bytes);
  for (StoreFormat format : {StoreFormat::kV1, StoreFormat::kV2}) {
    std::vector<DbEntry> entries;
    std::string error;
    parse_db_bytes(bytes, format, entries, &error);
    for (const DbEntry &entry : entries) {
      const auto key = decode_entry_key(entry.key, &error);
      if (!key) continue;
      const auto again = decode_entry_key(encode_entry_key(*key), &error);
      if (!again || again->labels != key->labels || again->help != key->help ||
          again->metric_name != key->metric_name || again->sample_name != key->sample_name) {
        std::abort();
      }
    }
  }
  return 0;
}

#if !defined(NPUPROBE_LIBFUZZER)
#include <cstdio>

#include "support/json_value.h"

// Replay mode: each argument is a file to run through the target.
int main(int argc, char **argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string content = npuprobe::store::testing::read_text_file(argv[i]);
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t *>(content.data()), content.size());
    // Also every prefix at entry granularity: truncated files are the common corruption.
    for (std::size_t cut = 0; cut < content.size() && cut < 4096; cut += 7) {
      LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t *>(content.data()), cut);
    }
  }
  std::printf("replayed %d files\n", argc - 1);
  return 0;
}
#endif
