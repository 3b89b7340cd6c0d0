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

}  // namespace npuprobe::preload
