// Where npuprobe finds MSPTI's functions, however libmspti.so came into the process: after
// libnpuprobe.so in LD_PRELOAD, before it, linked, or dlopen'ed (RTLD_LOCAL) by the application
// later. RTLD_NEXT from npuprobe sees only what follows it, so MSPTI before npuprobe in
// LD_PRELOAD, or dlopen'ed locally, was invisible; npuprobe exports no mspti* name, so the
// global scope (RTLD_DEFAULT) cannot answer with npuprobe itself. Publisher thread only.
#pragma once

namespace npuprobe::preload {

// The function `name` of the loaded libmspti.so, or null: the global scope first, then a handle
// to an already loaded libmspti (dlopen with RTLD_NOLOAD: never loads it). That handle is kept,
// so the library stays mapped while npuprobe may call it, even if the application dlcloses it.
void *find_mspti_function(const char *name) noexcept;

}  // namespace npuprobe::preload
