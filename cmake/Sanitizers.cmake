# Global sanitizer flags. Every target (mock, preload, tests) is instrumented alike, so that an
# instrumented executable never loads an uninstrumented library that races with it (TSan) or
# hands it memory it cannot track (ASan).
if(NPUPROBE_SANITIZER STREQUAL "asan")
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
  add_compile_definitions(NPUPROBE_SANITIZER_ASAN=1)
elseif(NPUPROBE_SANITIZER STREQUAL "tsan")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
  add_compile_definitions(NPUPROBE_SANITIZER_TSAN=1)
elseif(NOT NPUPROBE_SANITIZER STREQUAL "none")
  message(FATAL_ERROR "NPUPROBE_SANITIZER must be none, asan or tsan (got '${NPUPROBE_SANITIZER}')")
endif()

# A fuzzing tree (scripts/fuzz.sh builds only the fuzz targets in it): every target carries
# libFuzzer's coverage instrumentation, so that the feedback comes from the code under test (the
# config and store libraries) and not only from the harness, which alone gives libFuzzer a
# handful of edges to go by. The fuzz targets link libFuzzer itself (-fsanitize=fuzzer). ASan is
# required: it finds the out-of-bounds reads a fuzzer is for, and its runtime defines the
# coverage callbacks that the instrumented shared objects reference.
if(NPUPROBE_FUZZ_INSTRUMENT)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "NPUPROBE_FUZZ_INSTRUMENT needs clang (got ${CMAKE_CXX_COMPILER_ID})")
  endif()
  if(NOT NPUPROBE_SANITIZER STREQUAL "asan")
    message(FATAL_ERROR "NPUPROBE_FUZZ_INSTRUMENT needs NPUPROBE_SANITIZER=asan")
  endif()
  add_compile_options($<$<COMPILE_LANGUAGE:C,CXX>:-fsanitize=fuzzer-no-link>)
endif()
