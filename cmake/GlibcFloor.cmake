# npuprobe_glibc_floor(<target>): the target loads on glibc 2.28 and needs no libstdc++ or
# libgcc_s from the host (issue 17; base/floor/glibc_floor.c says how). libstdc++ and libgcc
# are linked statically and their symbols stay hidden (--exclude-libs,ALL), so the host's own
# libstdc++, however old or new, is never met. Plain builds only: the sanitizers bring their
# own runtimes, which expect the shared libstdc++.
set(NPUPROBE_GLIBC_FLOOR 2.28)
# Whether this build's shipped files are floored at all (the same test as the function below):
# the layers link static archives of their third-party libraries then (yaml-cpp), so that no
# library of the build machine's glibc has to travel with them.
if(NPUPROBE_SANITIZER STREQUAL "none" AND NOT NPUPROBE_FUZZ_INSTRUMENT)
  set(NPUPROBE_AT_FLOOR ON)
else()
  set(NPUPROBE_AT_FLOOR OFF)
endif()
set(NPUPROBE_GLIBC_FLOOR_WRAPPED
  pthread_create pthread_join pthread_detach pthread_once pthread_kill pthread_sigmask
  pthread_key_create __pthread_key_create pthread_key_delete pthread_getspecific
  pthread_setspecific sem_open sem_close sem_unlink sem_post sem_wait sem_timedwait shm_open
  shm_unlink dlopen dlclose dlerror dlvsym dlinfo dladdr dladdr1 stat lstat fstat fstat64 stat64 lstat64
  pthread_cond_clockwait arc4random _dl_find_object)

# npuprobe_glibc_floor(<target> [INTERPOSES_DLSYM]): INTERPOSES_DLSYM for the preload, which
# defines dlsym itself and must never call the public one.
function(npuprobe_glibc_floor target)
  cmake_parse_arguments(floor "INTERPOSES_DLSYM" "" "" ${ARGN})
  if(NOT NPUPROBE_SANITIZER STREQUAL "none" OR NPUPROBE_FUZZ_INSTRUMENT)
    return()
  endif()
  target_link_libraries(${target} PRIVATE npuprobe_glibc_floor)
  set(options -static-libstdc++ -static-libgcc -Wl,--exclude-libs,ALL
    # Where old glibc keeps what the wrappers call (empty stubs on glibc >= 2.34); by file name,
    # since glibc >= 2.34 ships only empty static archives for -lpthread, -ldl and -lrt.
    -Wl,--push-state,--no-as-needed -l:libpthread.so.0 -l:libdl.so.2 -l:librt.so.1
    -Wl,--pop-state)
  set(wrapped ${NPUPROBE_GLIBC_FLOOR_WRAPPED})
  if(NOT floor_INTERPOSES_DLSYM)
    target_link_libraries(${target} PRIVATE npuprobe_glibc_floor_dlsym)
    list(APPEND wrapped dlsym)
  endif()
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "EXECUTABLE")
    list(APPEND wrapped __libc_start_main)
  endif()
  foreach(name ${wrapped})
    list(APPEND options -Wl,--wrap=${name})
  endforeach()
  target_link_options(${target} PRIVATE ${options})
endfunction()
