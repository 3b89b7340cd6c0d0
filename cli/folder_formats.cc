#include "folder_formats.h"

#include <dirent.h>

#include <memory>

#include "npuprobe/store/db_file_reader.h"
#include "npuprobe/store/format_detection.h"

namespace npuprobe::cli {
namespace {

// "N vX files (a, b, c, ...)": the first three names.
std::string some_files(const std::vector<std::string> &names, store::StoreFormat format) {
  std::string text = std::to_string(names.size()) + " " + std::string(store::to_string(format)) +
                     " files (";
  for (std::size_t i = 0; i < names.size() && i < 3; ++i) text += (i ? ", " : "") + names[i];
  return text + (names.size() > 3 ? ", ...)" : ")");
}

}  // namespace

FolderFormats folder_formats(const std::string &dir) {
  FolderFormats folder;
  std::unique_ptr<DIR, int (*)(DIR *)> listing(opendir(dir.c_str()), &closedir);
  if (!listing) return folder;
  while (const dirent *item = readdir(listing.get())) {
    const std::string name = item->d_name;
    if (!store::is_python_db_file_name(name)) continue;
    std::string bytes;
    if (!store::read_db_file_bytes(dir + "/" + name, bytes, nullptr)) {
      folder.unknown.push_back(name);
      continue;
    }
    switch (store::detect_db_format(bytes)) {
      case store::DetectedFormat::kV1:
        folder.formats.emplace(name, store::StoreFormat::kV1);
        break;
      case store::DetectedFormat::kV2:
        folder.formats.emplace(name, store::StoreFormat::kV2);
        break;
      case store::DetectedFormat::kUnknown:
        folder.unknown.push_back(name);
        break;
      case store::DetectedFormat::kEmpty:
        break;
    }
  }
  return folder;
}

std::string mixed_formats(const FolderFormats &folder) {
  std::vector<std::string> v1, v2;
  for (const auto &[name, format] : folder.formats) {
    (format == store::StoreFormat::kV1 ? v1 : v2).push_back(name);
  }
  if (v1.empty() || v2.empty()) return {};
  return some_files(v1, store::StoreFormat::kV1) + " and " +
         some_files(v2, store::StoreFormat::kV2);
}

}  // namespace npuprobe::cli
