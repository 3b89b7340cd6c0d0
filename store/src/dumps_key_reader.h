// The one layout json.dumps([metric, sample, labels, help], sort_keys=True) writes with its
// default separators, read in one pass: every quote of the key is found first (sixteen bytes at a
// time), then the bytes between the strings must be exactly the separators json.dumps puts there.
// Every key of every file of a folder is decoded, and almost all have this layout; a key that does
// not (an escape, a byte >= 0x80, other spacing) is left to the general readers in json_key.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "npuprobe/store/json_key.h"

namespace npuprobe::store {

// True with `key` set to views into `json` (labels sorted) when `json` has exactly that layout and
// only printable ASCII without backslashes; false (key unspecified) otherwise. What it accepts,
// decode_entry_key reads to the same strings.
bool read_dumps_key(std::string_view json, EntryKeyView *key);

// read_dumps_key for the keys of one file, in order: a key that differs from the one before
// only inside one string that is not a label's name (a histogram's buckets one after another
// differ in `le`; a family's sum in the sample name) is read from that one: the common start
// and end compared sixteen bytes at a time, only the bytes between them checked, the positions
// of the quotes after them moved. The key before must stay in memory (the file's bytes) while
// the next is read; forget() before another file.
class DumpsKeyReader {
 public:
  bool read(std::string_view json, EntryKeyView *key);
  void forget() { last_ready_ = false; }

  // The most quotes a key read here has (dumps_key_reader.cc), and room for one chunk's more.
  static constexpr std::size_t kQuoteRoom = 64 + 16;

 private:
  bool read_like_last(std::string_view json, EntryKeyView *key);

  std::string_view last_;           // the key read last
  std::uint32_t quotes_[kQuoteRoom];  // where its quotes are
  // What it was read to: metric, sample and help, and the labels (views into it, or into the
  // keys before it where its bytes were theirs).
  std::string_view strings_[3];
  LabelViews last_labels_;
  std::size_t count_ = 0;
  bool last_ready_ = false;  // it was read whole, with label names in rising order
};

}  // namespace npuprobe::store
