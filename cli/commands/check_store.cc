// `npuprobe check`: the store folder and its file format. Every process writes its own files
// into the folder, so it must exist (or be created by `npuprobe run --dir`) and be writable; and
// npuprobe must write the format prometheus_client already uses there, because a reader of one
// format fails on the other (docs/contract.md; store/include/npuprobe/store/format_detection.h).
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>

#include "../folder_formats.h"
#include "check_steps.h"
#include "npuprobe/store/db_file_reader.h"
#include "npuprobe/store/format_detection.h"
#include "npuprobe/store/private_folder.h"

namespace npuprobe::cli {
namespace {

using store::DetectedFormat;
using base::FormatPreference;

// Creating and removing a file is the only honest writability test (read-only mounts, ACLs,
// quotas and root squashing all escape access()).
std::string write_probe(const std::string &dir) {
  std::string name = dir + "/.npuprobe-check-XXXXXX";
  const int fd = mkstemp(name.data());
  if (fd < 0) return std::strerror(errno);
  std::string error;
  if (write(fd, "x", 1) != 1) error = std::strerror(errno);
  close(fd);
  unlink(name.c_str());
  return error;
}

// For a folder that does not exist: "" when it can be created (its nearest existing ancestor is
// a writable folder), else why not. Nothing is created.
std::string creatable(const std::string &dir) {
  std::string path = dir;
  while (true) {
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    const std::size_t slash = path.rfind('/');
    path = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    struct stat st;
    if (stat(path.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) return path + " is not a folder";
      if (access(path.c_str(), W_OK | X_OK) != 0) return path + " is not writable";
      return "";
    }
    if (errno != ENOENT && errno != ENOTDIR) return path + ": " + std::strerror(errno);
    if (path == "/" || path == ".") return "no existing parent";
  }
}

// Returns whether the folder is usable now (so that its files can be read for the format).
bool check_folder(CheckReport &report, const CheckInputs &inputs) {
  const config::Config &config = inputs.config;
  const std::string &dir = config.store.dir;
  if (dir.empty()) {
    // vLLM makes a multiprocess folder of its own only with several API servers (its default
    // with data parallelism 1 is one): without the variable, vLLM's /metrics never shows
    // npuprobe's series, so say where they are instead.
    const std::string where = config.exposer.enabled()
                                  ? "served on http://" + config.exposer.listen + "/metrics"
                                  : "not served (NPUPROBE_LISTEN=off): `npuprobe serve --dir " +
                                        store::private_folder_path() + "`";
    report.warn("store folder",
                "PROMETHEUS_MULTIPROC_DIR unset: vLLM's /metrics will not show npuprobe's series "
                "(vLLM reads a multiprocess folder only when the variable is set); they go to the "
                "private folder " + store::private_folder_path() + ", " + where +
                "; `npuprobe run` exports a fresh folder");
    return false;
  }
  const char *origin = inputs.dir_from_option ? "--dir"
                       : inputs.environment.get("PROMETHEUS_MULTIPROC_DIR")
                           ? "PROMETHEUS_MULTIPROC_DIR"
                           : "store.dir";
  const std::string what = std::string("store folder (") + origin + ")";
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT && errno != ENOTDIR) {
      report.fail(what, dir + ": " + std::strerror(errno));
      return false;
    }
    const std::string why_not = creatable(dir);
    if (!why_not.empty()) {
      report.fail(what, dir + " does not exist and cannot be created: " + why_not);
    } else if (inputs.dir_from_option) {
      report.ok(what, dir + " does not exist yet; `npuprobe run --dir` creates it");
    } else {
      report.warn(what, dir + " does not exist: create it before the service starts (or use " +
                            "`npuprobe run --dir`)");
    }
    return false;
  }
  if (!S_ISDIR(st.st_mode)) {
    report.fail(what, dir + " is not a folder");
    return false;
  }
  if (const std::string error = write_probe(dir); !error.empty()) {
    report.fail(what, dir + " is not writable: " + error);
    return false;
  }
  report.ok(what, dir + " (writable)");
  return true;
}

void check_format(CheckReport &report, const CheckInputs &inputs, bool folder_usable) {
  // The variable is checked here rather than with the other configuration messages: a wrong
  // value falls back to the file's store.format (or auto) and is easy to miss.
  if (const std::string *value = inputs.environment.get("NPUPROBE_STORE_FORMAT")) {
    if (!base::parse_format_preference(*value)) {
      report.fail("format", "NPUPROBE_STORE_FORMAT=" + *value + " is not v1, v2 or auto");
      return;
    }
  }
  const FormatPreference wanted = inputs.config.store.format;
  const std::string requested(store::to_string(wanted));
  if (!folder_usable) {
    report.ok("format", requested + (inputs.config.store.dir.empty()
                                         ? " (private folder: no prometheus_client files there)"
                                         : " (no folder to inspect yet)"));
    return;
  }
  const FolderFormats folder = folder_formats(inputs.config.store.dir);
  const auto &formats = folder.formats;
  std::string unknown;
  for (const std::string &name : folder.unknown) unknown += (unknown.empty() ? "" : ", ") + name;
  if (!unknown.empty()) {
    report.warn("format", "prometheus_client files in neither format (corrupt?): " + unknown);
  }
  if (formats.empty()) {
    report.ok("format", requested + (wanted == FormatPreference::kAuto
                                         ? " (no prometheus_client files yet: v2 until Python "
                                           "writes one, then its format)"
                                         : " (no prometheus_client files yet)"));
    return;
  }
  const auto &[first_name, first] = *formats.begin();
  if (const std::string mixed = mixed_formats(folder); !mixed.empty()) {
    report.fail("format", "the folder mixes formats: " + mixed +
                              ": prometheus_client's collector (vLLM's /metrics) raises on it; "
                              "wipe the folder between runs (`npuprobe run --fresh`)");
    return;
  }
  const std::string python(store::to_string(first));
  const std::string found = std::to_string(formats.size()) + " prometheus_client file(s) in " +
                            python + ", e.g. " + first_name;
  const bool conflict = (wanted == FormatPreference::kV1 && first != store::StoreFormat::kV1) ||
                        (wanted == FormatPreference::kV2 && first != store::StoreFormat::kV2);
  if (conflict) {
    report.warn("format", requested + " requested but the folder holds " + found +
                              ": /metrics would fail on one or the other; use auto or " + python);
  } else {
    report.ok("format", requested + " (" + found + ")");
  }
}

}  // namespace

void check_store(CheckReport &report, const CheckInputs &inputs) {
  const bool usable = check_folder(report, inputs);
  check_format(report, inputs, usable);
}

}  // namespace npuprobe::cli
