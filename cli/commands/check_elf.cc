#include "check_elf.h"

#include <elf.h>

#include <cstring>
#include <vector>

#include "npuprobe/base/checked_file.h"

namespace npuprobe::cli {
namespace {

// A shipped library is a few MB; more is not one of ours.
constexpr std::size_t kMaxElfBytes = std::size_t{256} << 20;

template <typename T>
bool read_at(const std::string &bytes, std::size_t offset, T *out) {
  if (offset > bytes.size() || bytes.size() - offset < sizeof(T)) return false;
  std::memcpy(out, bytes.data() + offset, sizeof(T));
  return true;
}

// "2.28" -> {2, 28}.
std::vector<int> version_numbers(const std::string &version) {
  std::vector<int> numbers;
  int n = 0;
  bool digits = false;
  for (char c : version) {
    if (c >= '0' && c <= '9') {
      n = n * 10 + (c - '0');
      digits = true;
    } else if (c == '.') {
      numbers.push_back(n);
      n = 0;
      digits = false;
    }
  }
  if (digits) numbers.push_back(n);
  return numbers;
}

// The GLIBC_x.y names of the version-needed section (.gnu.version_r), whose strings live in the
// section its sh_link names (.dynstr).
std::string newest_glibc(const std::string &bytes, const Elf64_Ehdr &header) {
  std::string newest;
  for (unsigned i = 0; i < header.e_shnum; ++i) {
    Elf64_Shdr section;
    if (!read_at(bytes, header.e_shoff + std::size_t{i} * header.e_shentsize, &section)) break;
    if (section.sh_type != SHT_GNU_verneed) continue;
    Elf64_Shdr strings;
    if (!read_at(bytes, header.e_shoff + std::size_t{section.sh_link} * header.e_shentsize,
                 &strings)) {
      break;
    }
    std::size_t need_at = section.sh_offset;
    for (unsigned n = 0; n < section.sh_info; ++n) {
      Elf64_Verneed need;
      if (!read_at(bytes, need_at, &need)) break;
      std::size_t aux_at = need_at + need.vn_aux;
      for (unsigned a = 0; a < need.vn_cnt; ++a) {
        Elf64_Vernaux aux;
        if (!read_at(bytes, aux_at, &aux)) break;
        const std::size_t name_at = strings.sh_offset + aux.vna_name;
        if (name_at < bytes.size()) {
          const std::string name(bytes.c_str() + name_at,
                                 strnlen(bytes.c_str() + name_at, bytes.size() - name_at));
          if (name.rfind("GLIBC_", 0) == 0 && name != "GLIBC_PRIVATE") {
            const std::string version = name.substr(6);
            if (newest.empty() || older_glibc(newest, version)) newest = version;
          }
        }
        if (aux.vna_next == 0) break;
        aux_at += aux.vna_next;
      }
      if (need.vn_next == 0) break;
      need_at += need.vn_next;
    }
  }
  return newest;
}

}  // namespace

ElfFacts read_elf_facts(const std::string &path) {
  ElfFacts facts;
  std::string bytes, why;
  if (!base::read_regular_file(path, kMaxElfBytes, &bytes, &why)) {
    facts.error = why;
    return facts;
  }
  Elf64_Ehdr header;
  if (!read_at(bytes, 0, &header) || std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0) {
    facts.error = "not an ELF file";
    return facts;
  }
  if (header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_ident[EI_DATA] != ELFDATA2LSB) {
    facts.error = "not a 64-bit little-endian ELF file (npuprobe ships x86-64 and aarch64 only)";
    return facts;
  }
  facts.machine = header.e_machine;
  facts.newest_glibc = newest_glibc(bytes, header);
  return facts;
}

std::string machine_name(unsigned machine) {
  switch (machine) {
    case EM_X86_64: return "x86-64";
    case EM_AARCH64: return "aarch64";
    default: return "machine " + std::to_string(machine);
  }
}

unsigned host_machine() {
#if defined(__x86_64__)
  return EM_X86_64;
#elif defined(__aarch64__)
  return EM_AARCH64;
#else
  return EM_NONE;
#endif
}

bool older_glibc(const std::string &a, const std::string &b) {
  return version_numbers(a) < version_numbers(b);
}

}  // namespace npuprobe::cli
