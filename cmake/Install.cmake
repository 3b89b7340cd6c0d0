# What `cmake --install` lays out, and the packages CPack makes from it (issue 17):
#   bin/npuprobe                 the command (finds the preload in ../lib/npuprobe/)
#   lib/npuprobe/                libnpuprobe.so and its plugins (found next to it), with the
#                                libraries the plugins load bundled beside them (RPATH $ORIGIN)
#   include/npuprobe.h           the C API a host may call (found with dlsym or linked)
#   share/npuprobe/              the dashboard, the example configuration, the docs
#   bin/npu-sim, lib/npuprobe-mock/   the mock NPU, component "mock" (package npuprobe-mock)
# Packages: npuprobe-<version>-<arch>.tar.gz and npuprobe_<version>_<debarch>.deb, and the same
# for npuprobe-mock, for the architecture of the build (amd64 here, arm64 in the cross build).
include(GNUInstallDirs)
set(NPUPROBE_INSTALL_LIB ${CMAKE_INSTALL_LIBDIR}/npuprobe)
set(NPUPROBE_INSTALL_MOCK_LIB ${CMAKE_INSTALL_LIBDIR}/npuprobe-mock)
set(NPUPROBE_INSTALL_SHARE ${CMAKE_INSTALL_DATADIR}/npuprobe)

# RPATH, not RUNPATH: the libraries bundled beside a plugin find each other through the
# plugin's path too (a RUNPATH serves only the object's own dependencies).
set(npuprobe_shipped_libraries npuprobe_preload npuprobe_config_plugin npuprobe_symbolizer_plugin)
if(TARGET npuprobe_exposer_plugin)
  list(APPEND npuprobe_shipped_libraries npuprobe_exposer_plugin)
endif()
foreach(target ${npuprobe_shipped_libraries})
  set_target_properties(${target} PROPERTIES INSTALL_RPATH "$ORIGIN")
  target_link_options(${target} PRIVATE -Wl,--disable-new-dtags)
endforeach()
set_target_properties(npuprobe PROPERTIES INSTALL_RPATH "$ORIGIN/../${NPUPROBE_INSTALL_LIB}")
target_link_options(npuprobe PRIVATE -Wl,--disable-new-dtags)

install(TARGETS npuprobe RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT npuprobe)
install(TARGETS ${npuprobe_shipped_libraries}
  LIBRARY DESTINATION ${NPUPROBE_INSTALL_LIB} COMPONENT npuprobe)
install(FILES include/npuprobe.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT npuprobe)
install(FILES dashboards/npuprobe.json config/npuprobe.example.yaml README.md
  DESTINATION ${NPUPROBE_INSTALL_SHARE} COMPONENT npuprobe)
install(DIRECTORY docs/ DESTINATION ${NPUPROBE_INSTALL_SHARE}/docs COMPONENT npuprobe
  FILES_MATCHING PATTERN "*.md")

# The shared libraries the command and the plugins need that are not the C library's own:
# copied beside the preload (their symlink chains kept), found through RPATH $ORIGIN. What is
# bundled must be at the floor too (scripts/check-glibc-floor.sh reads the installed tree): today
# that is zlib alone; yaml-cpp and libstdc++ are linked statically. libdw (with libelf, lzma,
# bz2, zstd) and libunwind are the host's and are not bundled: Debian's archives of both are not
# position-independent, so no shared object of ours can contain them, and bookworm's shared
# copies need glibc 2.34. The symbolizer plugin and the stack walk load them from the host when
# attribution is on; without them attribution names sites by dladdr or is off, and
# `npuprobe check` says which (libdw1 and libunwind8 on Debian, elfutils-libs and libunwind on
# openEuler/EulerOS/Kylin).
set(npuprobe_dlopened "")
# A cross build (scripts/aarch64.sh) finds the libraries in its sysroot.
set(npuprobe_search_dirs "")
if(CMAKE_SYSROOT)
  set(npuprobe_search_dirs "${CMAKE_SYSROOT}/usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}"
    "${CMAKE_SYSROOT}/lib/${CMAKE_LIBRARY_ARCHITECTURE}")
endif()
install(CODE "set(npuprobe_lib_dir \"${NPUPROBE_INSTALL_LIB}\")
  set(npuprobe_dlopened \"${npuprobe_dlopened}\")
  set(npuprobe_search_dirs \"${npuprobe_search_dirs}\")" COMPONENT npuprobe)
install(CODE [[
  file(GET_RUNTIME_DEPENDENCIES
    EXECUTABLES $<TARGET_FILE:npuprobe>
    LIBRARIES $<TARGET_FILE:npuprobe_config_plugin> $<TARGET_FILE:npuprobe_symbolizer_plugin>
      $<$<TARGET_EXISTS:npuprobe_exposer_plugin>:$<TARGET_FILE:npuprobe_exposer_plugin>>
      ${npuprobe_dlopened}
    DIRECTORIES ${npuprobe_search_dirs}
    RESOLVED_DEPENDENCIES_VAR npuprobe_bundled
    UNRESOLVED_DEPENDENCIES_VAR npuprobe_unresolved
    PRE_EXCLUDE_REGEXES
      "^(libc|libm|libdl|libpthread|librt|libresolv|ld-linux[^/]*)\\.so"
      "^(libstdc\\+\\+|libgcc_s)\\.so"
      "^(libdw|libelf|liblzma|libbz2|libzstd|libunwind[^/]*)\\.so"
    POST_EXCLUDE_REGEXES
      "/(libc|libm|libdl|libpthread|librt|libresolv|ld-linux[^/]*)\\.so[^/]*$"
      "/(libstdc\\+\\+|libgcc_s)\\.so[^/]*$"
      "/(libdw|libelf|liblzma|libbz2|libzstd|libunwind[^/]*)[-.][^/]*$")
  if(npuprobe_unresolved)
    message(FATAL_ERROR "npuprobe install: unresolved libraries: ${npuprobe_unresolved}")
  endif()
  foreach(library ${npuprobe_bundled} ${npuprobe_dlopened})
    file(INSTALL ${library} DESTINATION "${CMAKE_INSTALL_PREFIX}/${npuprobe_lib_dir}"
      FOLLOW_SYMLINK_CHAIN)
  endforeach()
]] COMPONENT npuprobe)

# The mock: its libraries find each other beside them, npu-sim finds them in ../lib/.
set(npuprobe_mock_libraries npumock_ascendcl npumock_runtime npumock_opapi npumock_mspti npumock_hccl
  npusim_helper)
set_target_properties(${npuprobe_mock_libraries} PROPERTIES INSTALL_RPATH "$ORIGIN")
# npu-sim: ../lib/npuprobe-mock/ installed, ../lib/ in the build tree (build/mock/{bin,lib}).
set_target_properties(npu_sim PROPERTIES
  INSTALL_RPATH "$ORIGIN/../${NPUPROBE_INSTALL_MOCK_LIB};$ORIGIN/../lib")
install(TARGETS ${npuprobe_mock_libraries}
  LIBRARY DESTINATION ${NPUPROBE_INSTALL_MOCK_LIB} COMPONENT mock)
install(TARGETS npu_sim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT mock)

# --- CPack -------------------------------------------------------------------------------------
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
  set(NPUPROBE_DEB_ARCH arm64)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64)$")
  set(NPUPROBE_DEB_ARCH amd64)
else()
  set(NPUPROBE_DEB_ARCH ${CMAKE_SYSTEM_PROCESSOR})
endif()
set(CPACK_PACKAGE_NAME npuprobe)
set(CPACK_PACKAGE_VENDOR npuprobe)
set(CPACK_PACKAGE_CONTACT "npuprobe maintainers")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "LD_PRELOAD instrumentation of Ascend NPU serving, published as Prometheus metrics")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR TGZ DEB)
set(CPACK_COMPONENTS_ALL npuprobe mock)
set(CPACK_ARCHIVE_COMPONENT_INSTALL ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /opt/npuprobe)
set(CPACK_ARCHIVE_NPUPROBE_FILE_NAME npuprobe-${PROJECT_VERSION}-${NPUPROBE_DEB_ARCH})
set(CPACK_ARCHIVE_MOCK_FILE_NAME npuprobe-mock-${PROJECT_VERSION}-${NPUPROBE_DEB_ARCH})
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${NPUPROBE_DEB_ARCH})
set(CPACK_DEBIAN_NPUPROBE_PACKAGE_NAME npuprobe)
set(CPACK_DEBIAN_MOCK_PACKAGE_NAME npuprobe-mock)
set(CPACK_DEBIAN_NPUPROBE_FILE_NAME npuprobe_${PROJECT_VERSION}_${NPUPROBE_DEB_ARCH}.deb)
set(CPACK_DEBIAN_MOCK_FILE_NAME npuprobe-mock_${PROJECT_VERSION}_${NPUPROBE_DEB_ARCH}.deb)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libc6 (>= ${NPUPROBE_GLIBC_FLOOR})")
# Attribution's stack walk and symbolizer use the host's libunwind and libdw (see above).
set(CPACK_DEBIAN_NPUPROBE_PACKAGE_RECOMMENDS "libunwind8, libdw1")
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/packages)
# Debug information stays in the build; the packages are stripped.
set(CPACK_STRIP_FILES ON)
include(CPack)

# The build tree gets the install RPATH. Otherwise CMake pads a build-tree RPATH with ':' (room
# to rewrite it in place at install), and to the loader every empty entry is the current
# directory: build/bin/npuprobe, libnpuprobe.so and what it dlopens, npu-sim and the mock looked
# for their libraries in whatever folder they were started from, where anyone may put a
# libz.so.1 (tests/hostile/test_hostile_libraries.py). In the build tree the install entries
# name folders beside the binary there ($ORIGIN: build/lib, build/mock/lib) or none at all.
set_target_properties(${npuprobe_shipped_libraries} npuprobe ${npuprobe_mock_libraries} npu_sim
  PROPERTIES BUILD_WITH_INSTALL_RPATH ON)
