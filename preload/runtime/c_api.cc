// The C API (include/npuprobe.h documents each function). Including the header makes the
// compiler check that these definitions match what hosts declare; NPUPROBE_API exports them.
#include "npuprobe.h"

#include "npuprobe/version.h"
#include "runtime.h"

extern "C" {

NPUPROBE_API const char *npuprobe_version(void) { return NPUPROBE_VERSION_STRING; }

NPUPROBE_API int npuprobe_flush_now(void) { return npuprobe::preload::flush_now() ? 1 : 0; }

NPUPROBE_API int npuprobe_enabled(void) {
  using npuprobe::preload::g_runtime_state;
  using npuprobe::preload::RuntimeState;
  const int state = g_runtime_state.load();
  return state != static_cast<int>(RuntimeState::kOff) &&
                 npuprobe::preload::g_measuring.load()
             ? 1
             : 0;
}

// The in-process runtime switch: 0 makes every wrapper a plain forward (counts stop), 1 resumes.
NPUPROBE_API void npuprobe_set_enabled(int on) { npuprobe::preload::set_measuring(on != 0); }

}  // extern "C"
