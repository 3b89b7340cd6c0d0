// Text from files other users can write (registry records, file names), made safe to print on a
// terminal: a crafted record must not clear the screen, retitle the window, rewrite earlier
// lines or hide itself behind control sequences.
#pragma once

#include <string>
#include <string_view>

namespace npuprobe::base {

// Every C0 control byte (< 0x20), DEL and backslash as "\xNN" / "\\", every C1 control
// (U+0080..U+009F, which some terminals obey) and every byte that is not part of well-formed
// UTF-8 as "\xNN" per byte; other text (printable ASCII, valid UTF-8) as it is.
std::string printable(std::string_view text);

}  // namespace npuprobe::base
