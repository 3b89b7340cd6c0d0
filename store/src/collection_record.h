// What a recorded collection leaves behind (steady_collection.cc): the bytes of every file it
// read and where their values are, and for every output sample how its value was made. With it,
// a later scrape of a folder whose keys are unchanged recomputes the values only.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "accumulate_samples.h"
#include "npuprobe/store/multiprocess_collector.h"

namespace npuprobe::store {

struct RecordedFile {
  std::string path;
  std::string bytes;       // as read (the used part)
  bool accepted = false;   // its entries are inputs; a rejected file must stay byte for byte
  bool timestamps = false; // format v2: a timestamp follows each value
  bool name_only = false;  // rejected for its name: its bytes were never read
  std::uint32_t first_input = 0;
  // Per entry: [start, value_at) holds its length and key, value_at its value.
  std::vector<std::uint32_t> starts, value_ats;
};

struct CollectionRecord {
  std::vector<RecordedFile> files;  // in reading order (sorted names)
  std::uint32_t inputs = 0;         // entries of accepted files, numbered in reading order
  std::vector<std::vector<SampleRecipe>> recipes;  // per family, per sample
  std::vector<HiddenSeries> hidden;
  bool unreadable = false;          // a file could not be read: nothing can be replayed
};

// collect_folder, recording into `record`.
FolderContents collect_folder_recorded(const std::string &directory, FormatPreference format,
                                       CollectionRecord *record);

// The sorted paths of the folder's "*.db" files, as collect_folder reads them; false when the
// folder cannot be opened. `inodes` (optional): each path's inode number as the listing gives
// it (d_ino), in the same order.
bool list_db_files(const std::string &directory, std::vector<std::string> *paths,
                   std::vector<ino_t> *inodes = nullptr);

}  // namespace npuprobe::store
