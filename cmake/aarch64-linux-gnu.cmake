# CMake toolchain file: npuprobe for aarch64 with Debian's cross compiler
# (g++-aarch64-linux-gnu) against a sysroot of Debian's arm64 packages, as scripts/aarch64.sh
# makes it (apt-get download + dpkg -x into build-aarch64-sysroot/).
#   cmake -S . -B build-aarch64 -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake
# Another sysroot: -DNPUPROBE_AARCH64_SYSROOT=<dir> or the environment variable of that name.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_ASM_COMPILER aarch64-linux-gnu-gcc)

if(NOT NPUPROBE_AARCH64_SYSROOT)
  if(DEFINED ENV{NPUPROBE_AARCH64_SYSROOT})
    set(NPUPROBE_AARCH64_SYSROOT "$ENV{NPUPROBE_AARCH64_SYSROOT}")
  else()
    get_filename_component(NPUPROBE_AARCH64_SYSROOT
      "${CMAKE_CURRENT_LIST_DIR}/../build-aarch64-sysroot" ABSOLUTE)
  endif()
endif()
if(NOT EXISTS "${NPUPROBE_AARCH64_SYSROOT}/usr/lib/aarch64-linux-gnu/libc.so.6")
  message(FATAL_ERROR "no arm64 sysroot at ${NPUPROBE_AARCH64_SYSROOT} (bash scripts/aarch64.sh sysroot)")
endif()
# try_compile projects read the toolchain file again: hand them the sysroot.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES NPUPROBE_AARCH64_SYSROOT)

# The compiler's own libstdc++ and C library headers come from the cross toolchain
# (/usr/aarch64-linux-gnu); everything else (headers, libraries, CMake packages) from the sysroot.
set(CMAKE_SYSROOT "${NPUPROBE_AARCH64_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH "${NPUPROBE_AARCH64_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)  # python3, readelf: this machine's
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# gtest_discover_tests runs the test executables at build time, and ctest runs them: through
# qemu, with the sysroot as the root for the loader and the libraries.
find_program(NPUPROBE_QEMU_AARCH64 NAMES qemu-aarch64-static qemu-aarch64)
if(NPUPROBE_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${NPUPROBE_QEMU_AARCH64};-L;${NPUPROBE_AARCH64_SYSROOT}")
endif()
