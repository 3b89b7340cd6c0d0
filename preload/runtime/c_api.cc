// The small C API a host process may call (found with dlsym, or declared by hand):
//   const char *npuprobe_version(void);
//   int npuprobe_flush_now(void);     1 when the store files were written
//   int npuprobe_enabled(void);       1 when calls are being measured
//   void npuprobe_set_enabled(int);   the runtime switch (0 = forward everything)
#include "npuprobe/version.h"
#include "runtime.h"

extern "C" __attribute__((visibility("default"))) const char *npuprobe_version(void) {
  return NPUPROBE_VERSION_STRING;
}

extern "C" __attribute__((visibility("default"))) int npuprobe_flush_now(void) {
  return npuprobe::preload::flush_now() ? 1 : 0;
}

extern "C" __attribute__((visibility("default"))) int npuprobe_enabled(void) {
  using npuprobe::preload::g_runtime_state;
  using npuprobe::preload::RuntimeState;
  const int state = g_runtime_state.load();
  return state != static_cast<int>(RuntimeState::kOff) &&
                 npuprobe::preload::g_measuring.load()
             ? 1
             : 0;
}

// The in-process runtime switch: 0 makes every wrapper a plain forward (counts stop), 1 resumes.
extern "C" __attribute__((visibility("default"))) void npuprobe_set_enabled(int on) {
  npuprobe::preload::set_measuring(on != 0);
}
