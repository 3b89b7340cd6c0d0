// Hand-made frames for the site policy and site table tests.
#pragma once

#include <string>

#include "npuprobe/attribution/symbolizer.h"

namespace npuprobe::attribution::test_frames {

inline Frame known(const std::string &module, const std::string &function = "",
                   const std::string &file = "", int line = 0, std::uintptr_t offset = 0x10) {
  Frame frame;
  frame.pc = 0x7f0000000000 + offset;
  frame.known_module = true;
  frame.module = module;
  frame.module_offset = offset;
  frame.function = function;
  frame.file = file;
  frame.line = line;
  return frame;
}

inline Frame unknown(std::uintptr_t pc = 0x1234) {
  Frame frame;
  frame.pc = pc;
  return frame;
}

}  // namespace npuprobe::attribution::test_frames
