// A symbol defined by one loaded object itself, read from its dynamic symbol table (GNU or SysV
// hash). dlsym(link_map, name) is no substitute: glibc only gives an object a search list when it
// was dlopen'ed, so a link map of a library loaded at start (as the executable's dependency)
// has an empty one, and glibc's lookup then reads through a null list and crashes. Lock-free,
// allocation-free; IFUNC and undefined symbols are not "defined" here.
#pragma once

#include <link.h>

namespace npuprobe::preload {

// The address of `name` if `object` itself defines it (any version), else null.
void *defined_in(const link_map *object, const char *name) noexcept;

// The first object loaded after the one holding `skip` (npuprobe), in load order, that defines
// `name` itself; null when none does. Never an object loaded before npuprobe (the executable, a
// preload listed first): one that forwards with RTLD_NEXT would come back to npuprobe, round
// and round. For a definition RTLD_NEXT cannot see: a library dlopen'ed RTLD_LOCAL, and its dependencies, are in no global scope.
// That is how Python loads every extension module, so torch_npu's libascendcl and libhccl are
// found only here, while torch_npu's calls to them bind to npuprobe's exported wrappers. Reads
// the symbol tables inside dl_iterate_phdr's callback: no loader call there (the lock order of
// dlopen is load lock then write lock), nothing allocated, nothing locked of npuprobe's.
void *defined_in_loaded_objects(const char *name, const void *skip) noexcept;

}  // namespace npuprobe::preload
