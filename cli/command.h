// A subcommand of `npuprobe`. Each lives in its own file under commands/ and registers itself
// with NPUPROBE_COMMAND, so adding one (run, on, off, check, ...) is adding one file.
#pragma once

#include <string>
#include <vector>

namespace npuprobe::cli {

struct Command {
  const char *name;
  const char *usage;                                 // e.g. "dump [--dir D] [--format v1|v2|auto]"
  const char *summary;                               // one line for `npuprobe help`
  int (*run)(const std::vector<std::string> &args);  // args after the command name
};

// Commands sorted by name.
const std::vector<Command> &all_commands();

struct CommandRegistrar {
  explicit CommandRegistrar(const Command &command);
};

}  // namespace npuprobe::cli

#define NPUPROBE_COMMAND(identifier, ...)                                 \
  static const ::npuprobe::cli::CommandRegistrar identifier##_registrar { \
    ::npuprobe::cli::Command {                                            \
      __VA_ARGS__                                                         \
    }                                                                     \
  }
