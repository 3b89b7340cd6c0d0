// The one layout json.dumps([metric, sample, labels, help], sort_keys=True) writes with its
// default separators, read in one pass: every quote of the key is found first (sixteen bytes at a
// time), then the bytes between the strings must be exactly the separators json.dumps puts there.
// Every key of every file of a folder is decoded, and almost all have this layout; a key that does
// not (an escape, a byte >= 0x80, other spacing) is left to the general readers in json_key.cc.
#pragma once

#include <string_view>

#include "npuprobe/store/json_key.h"

namespace npuprobe::store {

// True with `key` set to views into `json` (labels sorted) when `json` has exactly that layout and
// only printable ASCII without backslashes; false (key unspecified) otherwise. What it accepts,
// decode_entry_key reads to the same strings.
bool read_dumps_key(std::string_view json, EntryKeyView *key);

}  // namespace npuprobe::store
