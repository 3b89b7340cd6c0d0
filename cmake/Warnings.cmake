# Warning flags for every target of the project: call npuprobe_warnings(<target>).
function(npuprobe_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow -Wnon-virtual-dtor
    -Wcast-align -Wunused -Woverloaded-virtual -Wformat=2)
  if(NPUPROBE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
