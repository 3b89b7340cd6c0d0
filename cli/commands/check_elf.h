// What `npuprobe check` reads from a shipped ELF file without loading it: the machine it is
// built for and the newest glibc symbol version it needs. ld.so refuses a preload of the wrong
// architecture or one needing a newer glibc with a single warning and runs the service
// uninstrumented, so check must say it before the service starts.
#pragma once

#include <string>

namespace npuprobe::cli {

struct ElfFacts {
  std::string error;         // "" when the file was read
  unsigned machine = 0;      // e_machine (EM_X86_64, EM_AARCH64, ...)
  std::string newest_glibc;  // e.g. "2.28" (from its GLIBC_2.28 requirement); "" = none
};

ElfFacts read_elf_facts(const std::string &path);

// "x86-64", "aarch64", or "machine <n>".
std::string machine_name(unsigned machine);
// The machine this npuprobe binary runs on (the one it was built for).
unsigned host_machine();
// True when glibc version `a` ("2.28") is older than `b` ("2.31").
bool older_glibc(const std::string &a, const std::string &b);

}  // namespace npuprobe::cli
