#include "elf_symbols.h"

#include <elf.h>

#include <cstdint>
#include <cstring>

namespace npuprobe::preload {
namespace {

struct DynamicTables {
  const ElfW(Sym) *symbols = nullptr;
  const char *strings = nullptr;
  const std::uint32_t *gnu_hash = nullptr;
  const ElfW(Word) *sysv_hash = nullptr;
};

// The dynamic section's pointers are made absolute by ld.so on x86-64 and aarch64; a read-only
// one (other architectures, the vDSO) keeps them relative to the load address.
const void *absolute(const link_map *object, ElfW(Addr) value) {
  return reinterpret_cast<const void *>(value < object->l_addr ? object->l_addr + value : value);
}

DynamicTables tables_of(const link_map *object) {
  DynamicTables t;
  for (const ElfW(Dyn) *d = object->l_ld; d != nullptr && d->d_tag != DT_NULL; ++d) {
    const void *table = absolute(object, d->d_un.d_ptr);
    switch (d->d_tag) {
      case DT_SYMTAB: t.symbols = static_cast<const ElfW(Sym) *>(table); break;
      case DT_STRTAB: t.strings = static_cast<const char *>(table); break;
      case DT_GNU_HASH: t.gnu_hash = static_cast<const std::uint32_t *>(table); break;
      case DT_HASH: t.sysv_hash = static_cast<const ElfW(Word) *>(table); break;
      default: break;
    }
  }
  return t;
}

void *address_if_defined(const link_map *object, const DynamicTables &t, std::uint32_t index,
                         const char *name) {
  const ElfW(Sym) &s = t.symbols[index];
  if (s.st_shndx == SHN_UNDEF || s.st_value == 0) return nullptr;
  const unsigned type = ELF64_ST_TYPE(s.st_info);
  if (type != STT_FUNC && type != STT_OBJECT) return nullptr;  // not IFUNC, not TLS
  const unsigned bind = ELF64_ST_BIND(s.st_info);
  if (bind != STB_GLOBAL && bind != STB_WEAK) return nullptr;
  if (std::strcmp(t.strings + s.st_name, name) != 0) return nullptr;
  return reinterpret_cast<void *>(object->l_addr + s.st_value);
}

void *find_gnu(const link_map *object, const DynamicTables &t, const char *name) {
  const std::uint32_t nbuckets = t.gnu_hash[0], symoffset = t.gnu_hash[1];
  const std::uint32_t bloom_size = t.gnu_hash[2];
  if (nbuckets == 0) return nullptr;
  const auto *bloom = reinterpret_cast<const ElfW(Addr) *>(t.gnu_hash + 4);
  const auto *buckets = reinterpret_cast<const std::uint32_t *>(bloom + bloom_size);
  const std::uint32_t *chain = buckets + nbuckets;
  std::uint32_t hash = 5381;
  for (const unsigned char *c = reinterpret_cast<const unsigned char *>(name); *c != 0; ++c) {
    hash = hash * 33 + *c;
  }
  for (std::uint32_t i = buckets[hash % nbuckets]; i >= symoffset; ++i) {
    const std::uint32_t h = chain[i - symoffset];
    if ((h | 1u) == (hash | 1u)) {
      if (void *found = address_if_defined(object, t, i, name)) return found;
    }
    if ((h & 1u) != 0) break;  // end of this bucket's chain
  }
  return nullptr;
}

void *find_sysv(const link_map *object, const DynamicTables &t, const char *name) {
  const ElfW(Word) nbuckets = t.sysv_hash[0];
  if (nbuckets == 0) return nullptr;
  const ElfW(Word) *buckets = t.sysv_hash + 2;
  const ElfW(Word) *chain = buckets + nbuckets;
  std::uint32_t hash = 0;
  for (const unsigned char *c = reinterpret_cast<const unsigned char *>(name); *c != 0; ++c) {
    hash = (hash << 4) + *c;
    const std::uint32_t high = hash & 0xf0000000u;
    if (high != 0) hash ^= high >> 24;
    hash &= ~high;
  }
  for (ElfW(Word) i = buckets[hash % nbuckets]; i != STN_UNDEF; i = chain[i]) {
    if (void *found = address_if_defined(object, t, i, name)) return found;
  }
  return nullptr;
}

}  // namespace

void *defined_in(const link_map *object, const char *name) noexcept {
  if (object == nullptr || name == nullptr) return nullptr;
  const DynamicTables t = tables_of(object);
  if (t.symbols == nullptr || t.strings == nullptr) return nullptr;
  if (t.gnu_hash != nullptr) return find_gnu(object, t, name);
  if (t.sysv_hash != nullptr) return find_sysv(object, t, name);
  return nullptr;
}

namespace {

struct LoadedSearch {
  const char *name;
  std::uintptr_t skip;
  bool past_skip;  // objects loaded before npuprobe are never taken (see the header)
  void *found;
};

int search_object(dl_phdr_info *info, size_t, void *data) {
  auto *search = static_cast<LoadedSearch *>(data);
  // The executable (no name) comes before npuprobe, as the preloads listed before it do.
  if (info->dlpi_name == nullptr || info->dlpi_name[0] == '\0') return 0;
  const ElfW(Dyn) *dynamic = nullptr;
  bool holds_skip = false;
  for (ElfW(Half) i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr) &ph = info->dlpi_phdr[i];
    const std::uintptr_t start = info->dlpi_addr + ph.p_vaddr;
    if (ph.p_type == PT_DYNAMIC) dynamic = reinterpret_cast<const ElfW(Dyn) *>(start);
    if (ph.p_type == PT_LOAD && search->skip >= start && search->skip < start + ph.p_memsz) {
      holds_skip = true;
    }
  }
  if (holds_skip) {
    search->past_skip = true;
    return 0;
  }
  if (dynamic == nullptr || !search->past_skip) return 0;
  link_map object{};
  object.l_addr = info->dlpi_addr;
  object.l_ld = const_cast<ElfW(Dyn) *>(dynamic);
  search->found = defined_in(&object, search->name);
  return search->found != nullptr ? 1 : 0;
}

}  // namespace

void *defined_in_loaded_objects(const char *name, const void *skip) noexcept {
  if (name == nullptr) return nullptr;
  LoadedSearch search{name, reinterpret_cast<std::uintptr_t>(skip), false, nullptr};
  dl_iterate_phdr(&search_object, &search);
  return search.found;
}

}  // namespace npuprobe::preload
