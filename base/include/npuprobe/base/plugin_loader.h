// The one way npuprobe opens its own plugins (libnpuprobe-config.so, libnpuprobe-exposer.so,
// libnpuprobe-symbolizer.so): from the folder of the object this code is linked into (build/lib/
// or an install's lib/, next to libnpuprobe.so), RTLD_NOW | RTLD_LOCAL, then named C symbols.
// RTLD_NOW so a broken plugin fails here, at load, and not at its first call; RTLD_LOCAL so its
// symbols never bind the application's.
#pragma once

#include <cstddef>
#include <string>

namespace npuprobe::base {

// How a plugin's symbols are looked up. The preload passes its own lookup (preload/interpose/
// real_dlsym.h): it interposes the public dlsym and must never call it, so this code never does.
using SymbolLookup = void *(*)(void *handle, const char *name);

// `file_name` in the folder of the object this code is linked into; `file_name` alone (a plain
// dlopen search) when that folder cannot be found.
std::string sibling_library_path(const char *file_name);

struct PluginSymbol {
  const char *name;
  void **address;         // set to the symbol, or null
  bool required = true;   // false: a plugin without it still loads (an older build's)
};

// Opens the plugin `file_name` next to this object and looks up every symbol. True when all the
// required ones are found. Otherwise false, every *address null, and one warning line, in one
// format for every plugin: "cannot load <path> (<why>); <consequence>" or
// "cannot use <path> (it lacks <symbol>); <consequence>". `consequence` says what the process
// does without the plugin. The library stays loaded either way: closing it would need the
// caller's dlclose (the preload interposes that one too), and a plugin is loaded once.
bool load_plugin(const char *file_name, SymbolLookup lookup, const PluginSymbol *symbols,
                 std::size_t count, const char *consequence) noexcept;

}  // namespace npuprobe::base
