// `npuprobe`: the command-line tool. Dispatches to the subcommands in commands/.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>

#include "command.h"
#include "npuprobe/version.h"

namespace npuprobe::cli {
namespace {

std::vector<Command> &registry() {
  static std::vector<Command> commands;  // function-local: safe from static init order
  return commands;
}

int print_help(FILE *out) {
  std::fprintf(out, "usage: npuprobe <command> [options] | npuprobe --version\n\ncommands:\n");
  for (const Command &command : all_commands()) {
    std::fprintf(out, "  %-52s %s\n", command.usage, command.summary);
  }
  return out == stdout ? 0 : 2;
}

}  // namespace

CommandRegistrar::CommandRegistrar(const Command &command) {
  registry().push_back(command);
  std::sort(registry().begin(), registry().end(),
            [](const Command &a, const Command &b) { return std::strcmp(a.name, b.name) < 0; });
}

const std::vector<Command> &all_commands() {
  return registry();
}

}  // namespace npuprobe::cli

int main(int argc, char **argv) {
  using namespace npuprobe::cli;
  if (argc < 2) return print_help(stderr);
  const std::string name = argv[1];
  if (name == "help" || name == "--help" || name == "-h") return print_help(stdout);
  if (name == "--version" || name == "version") {
    std::printf("npuprobe %s (%s), %s, glibc >= %s\n", NPUPROBE_VERSION_STRING,
                NPUPROBE_GIT_DESCRIPTION, NPUPROBE_ARCHITECTURE, NPUPROBE_GLIBC_FLOOR_STRING);
    return 0;
  }
  for (const Command &command : all_commands()) {
    if (name != command.name) continue;
    // `npuprobe <command> --help`: the usage and what it does, on stdout, exit 0, for every
    // command alike (its own options never see --help).
    if (argc == 3 && (std::strcmp(argv[2], "--help") == 0 || std::strcmp(argv[2], "-h") == 0)) {
      std::printf("usage: npuprobe %s\n%s\n", command.usage, command.summary);
      return 0;
    }
    return command.run(std::vector<std::string>(argv + 2, argv + argc));
  }
  std::fprintf(stderr, "npuprobe: unknown command '%s'\n", name.c_str());
  return print_help(stderr);
}
