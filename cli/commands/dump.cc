// npuprobe dump: the aggregated text exposition of a store folder, as vLLM's /metrics would
// print it. Rejected files are named on stderr and make the exit code 1; the rest is printed.
#include <cstdio>

#include "../command.h"
#include "../folder_formats.h"
#include "../options.h"
#include "npuprobe/store/text_exposition.h"

namespace npuprobe::cli {
namespace {

int run_dump(const std::vector<std::string> &args) {
  const Options options(args, {"--dir", "--format"});
  if (!options.ok()) return usage_error("dump", options.error());
  const auto format = base::parse_format_preference(options.value("--format").value_or("auto"));
  if (!format) return usage_error("dump", "--format must be v1, v2 or auto");
  const auto dir = store_directory(options);
  if (!dir) return 2;
  // The text of collect_folder + format_text_exposition, printed in pieces as it is made from
  // the merged samples (no Sample per line, the whole text never in memory).
  const store::FolderExposition contents = store::write_folder_exposition(
      *dir, *format, /*openmetrics=*/false,
      [](std::string_view text) { std::fwrite(text.data(), 1, text.size(), stdout); });
  for (const std::string &error : contents.errors)
    std::fprintf(stderr, "npuprobe: skipped: %s\n", error.c_str());
  // npuprobe reads both formats; prometheus_client's collector raises on such a folder.
  // With format auto the collection found each file's format already.
  FolderFormats formats;
  if (*format == base::FormatPreference::kAuto) {
    formats.formats = contents.detected;
  } else {
    formats = folder_formats(*dir);
  }
  if (const std::string mixed = mixed_formats(formats); !mixed.empty()) {
    std::fprintf(stderr, "npuprobe dump: the folder mixes formats: %s: prometheus_client's "
                 "collector (vLLM's /metrics) raises on it; wipe the folder between runs "
                 "(`npuprobe run --fresh`)\n", mixed.c_str());
    return 1;
  }
  return contents.errors.empty() ? 0 : 1;
}

}  // namespace

NPUPROBE_COMMAND(dump, "dump", "dump [--dir D] [--format v1|v2|auto]",
                 "print the aggregated metrics of a store folder (text format)", &run_dump);

}  // namespace npuprobe::cli
