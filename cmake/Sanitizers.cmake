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
