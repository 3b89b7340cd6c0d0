// Plugins (libnpuprobe-exposer.so, libnpuprobe-config.so) sit next to libnpuprobe.so: in build/lib/
// or an install's lib/.
#pragma once

#include <string>

namespace npuprobe::preload {

std::string sibling_library_path(const char *file_name);

}  // namespace npuprobe::preload
