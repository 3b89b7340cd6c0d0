// printable(): what a crafted registry record or file name can put on the terminal.
#include "npuprobe/base/terminal_text.h"

#include <gtest/gtest.h>

namespace npuprobe::base {
namespace {

TEST(Printable, PlainTextAndUtf8AreKept) {
  EXPECT_EQ(printable("npu-sim --steps 5"), "npu-sim --steps 5");
  EXPECT_EQ(printable("\xE6\xA8\xA1\xE5\x9E\x8B \xC3\xA9"), "\xE6\xA8\xA1\xE5\x9E\x8B \xC3\xA9");
}

TEST(Printable, ControlSequencesAreEscaped) {
  EXPECT_EQ(printable("a\x1b[2Jb"), "a\\x1b[2Jb");
  EXPECT_EQ(printable("\x1b]0;owned\x07"), "\\x1b]0;owned\\x07");
  EXPECT_EQ(printable("line\r\nnext\t\x7f"), "line\\x0d\\x0anext\\x09\\x7f");
  EXPECT_EQ(printable("back\\slash"), "back\\\\slash") << "an escape stays unambiguous";
}

TEST(Printable, C1ControlsAndBrokenUtf8AreEscaped) {
  EXPECT_EQ(printable("\xC2\x9B" "31m"), "\\xc2\\x9b31m") << "U+009B, CSI of 8-bit terminals";
  EXPECT_EQ(printable("\x9B" "31m"), "\\x9b31m") << "a lone C1 byte";
  EXPECT_EQ(printable("\xE6\xA8"), "\\xe6\\xa8") << "a cut sequence";
  EXPECT_EQ(printable("\xC0\xAF"), "\\xc0\\xaf") << "an overlong form";
  EXPECT_EQ(printable("\xED\xA0\x80"), "\\xed\\xa0\\x80") << "a surrogate";
}

}  // namespace
}  // namespace npuprobe::base
