// Writes registry totals into this process's own files of the multiprocess folder:
// counter_<tag>.db, histogram_<tag>.db and gauge_<mode>_<tag>.db, tag = "<pid>-npu" (never a
// name prometheus_client itself uses, so a Python writer in the same process is unaffected).
// Single-threaded: the Publisher drives it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "npuprobe/store/db_file_writer.h"
#include "npuprobe/store/format_detection.h"
#include "npuprobe/store/registry_snapshot.h"

namespace npuprobe::store {

struct StoreWriterOptions {
  std::string directory;
  FormatPreference format = FormatPreference::kAuto;
  // Empty: "<pid>-npu", recomputed after fork. Tests set e.g. "1001" to compare with golden
  // files. Must not contain '_' (the collector splits file names on it).
  std::string process_tag;
  // Extra constant labels on every series (config `labels`); their names must differ from every
  // family's own label names.
  std::vector<std::pair<std::string, std::string>> constant_labels;
};

// Label values the files show in place of the registry's. A process learns who it is after its
// series exist (vLLM titles a worker `Worker_DP1_TP0` only after its device is set up) and its
// probes see device ids that ASCEND_RT_VISIBLE_DEVICES renumbered; the registry keeps what the
// probes saw and the files say who the process is now.
struct ShownLabels {
  std::map<std::string, std::string> replace;  // label name -> the value every series shows
  std::map<std::string, std::map<std::string, std::string>> rename;  // label -> (value -> shown)
  bool operator==(const ShownLabels &o) const {
    return replace == o.replace && rename == o.rename;
  }
  bool operator!=(const ShownLabels &o) const { return !(*this == o); }
};

class StoreWriter {
 public:
  explicit StoreWriter(StoreWriterOptions options);
  ~StoreWriter();

  // Makes files for new series and stores every value. On failure returns false with the
  // first error; what could be written was written, and the next call retries the rest.
  bool write(const RegistrySnapshot &snapshot, std::string *error);

  // From the next write() on, every series carries these values. A change rewrites this
  // process's files whole, each replaced by rename (no moment without it, and no series ever
  // counted under two label sets: the old ones leave as the new ones arrive).
  void set_shown_labels(ShownLabels shown);
  // From the next write() on, the files go to `directory` (a fork child whose environment names
  // another folder): this process's files in the old one are removed, the format is chosen anew.
  void set_directory(std::string directory);
  const std::string &directory() const { return options_.directory; }

  // Normal exit: removes this process's live gauge files (mark_process_dead never sees them).
  void remove_live_files();
  // In a fork child: lets go of the parent's files without touching them; the next write()
  // starts new files under the child's own pid.
  void forget_files_after_fork();

  StoreFormat format() const { return format_; }
  std::vector<std::string> file_paths() const;

 private:
  struct ValueSource {
    enum class Kind : std::uint8_t { kCell, kGauge, kCarriedOnly } kind;
    bool stamped;  // v2 timestamp written (mostrecent modes); 0 otherwise, like Python
    std::uint32_t index;
    double base = 0;  // carried over from an earlier process with our pid (see claim_name)
  };
  struct OwnFile {
    bool live = false;
    std::vector<std::string> keys;
    std::vector<ValueSource> sources;
    std::vector<std::uint32_t> offsets;  // of keys already in `writer`
    std::unique_ptr<DbFileWriter> writer;
  };

  void choose_format();
  void relay_out();  // every series again, after the format or the shown labels changed
  void lay_out_series(const RegistrySnapshot &snapshot);
  void lay_out_one(const FamilyInfo &family, const SeriesInfo &series);
  void add_entry(const std::string &kind, bool live, std::string key, ValueSource source);
  void claim_name(const std::string &name, OwnFile &file);
  void add_carried_only_entries();
  bool sync_file(const std::string &name, OwnFile &file, const RegistrySnapshot &snapshot,
                 std::string *error);
  std::string tag() const;

  StoreWriterOptions options_;
  ShownLabels shown_;
  StoreFormat format_ = StoreFormat::kV2;
  PythonFormatWatcher watcher_;
  std::map<std::string, OwnFile> files_;  // by file name
  // Names this process has made (or adopted): never adopted again, e.g. on a format switch.
  std::set<std::string> claimed_;
  // file name -> key -> count left in that file by an earlier process with our pid.
  std::map<std::string, std::map<std::string, double>> carried_;
  std::vector<FamilyInfo> families_;  // copy of the snapshot's, for re-layout on switch
  std::vector<SeriesInfo> series_;
  std::uint64_t fork_generation_ = 0;
  bool warned_format_conflict_ = false;
};

}  // namespace npuprobe::store
