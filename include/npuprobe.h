/* npuprobe.h: the C API of libnpuprobe.so, for a host process that wants to ask npuprobe
 * something or switch it from inside.
 *
 * Plain C (C89 and later) and C++. Every function is cold: a handful of calls in a process's
 * life (at start-up, around a phase to leave unmeasured, before exit), never per operator or
 * per step. Nothing here is needed for npuprobe to work: LD_PRELOAD alone measures.
 *
 * A program that must also run without npuprobe should not link these names but find them at
 * run time, where they are present only while libnpuprobe.so is preloaded:
 *
 *     npuprobe_set_enabled_fn set_enabled =
 *         (npuprobe_set_enabled_fn)dlsym(RTLD_DEFAULT, "npuprobe_set_enabled");
 *     if (set_enabled != NULL) set_enabled(0);
 *
 * The names are the ones preload/exports.map exports; the library compiles its definitions
 * (preload/src/c_api.cc) against this header. */
#ifndef NPUPROBE_H
#define NPUPROBE_H

/* Default visibility for the library's own definitions; on a declaration in a host it changes
 * nothing. */
#if defined(__GNUC__) || defined(__clang__)
#define NPUPROBE_API __attribute__((visibility("default")))
#else
#define NPUPROBE_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The release version of the loaded npuprobe, e.g. "0.1.0" (the `version` label of
 * npuprobe:info).
 * Returns a static string, valid for the life of the process; never NULL.
 * Thread safety: any thread, any time. Does not start npuprobe. */
NPUPROBE_API const char *npuprobe_version(void);

/* Writes this process's metrics into its store files now, instead of at the next flush
 * interval (e.g. just before a short job exits, or before a test reads the folder).
 * Returns 1 when the files were written, 0 when nothing was: npuprobe has not started (no ACL
 * call was made yet), it is off, or the write failed (the log names the error).
 * Thread safety: any thread; concurrent calls and the publisher thread's own flush take turns.
 * Blocks for the time of one flush (file I/O); never call it from a signal handler. */
NPUPROBE_API int npuprobe_flush_now(void);

/* Returns 1 when intercepted calls are being measured, 0 when every call is forwarded
 * unmeasured (NPUPROBE_DISABLE=1, a failed start, or the runtime switch off). Before the first
 * ACL call it returns 1 unless the switch was turned off: npuprobe starts on that call (and a
 * configuration that starts it switched off turns the switch off then).
 * Thread safety: any thread; the answer may be stale the moment it returns when another thread
 * or the control segment (`npuprobe on|off`) flips the switch. */
NPUPROBE_API int npuprobe_enabled(void);

/* The in-process runtime switch. 0: from now on every wrapper forwards at once and counts
 * nothing (the metrics keep their values); any other value: measuring resumes. It does not
 * undo NPUPROBE_DISABLE=1 or a failed start. ms_service_metric's control segment drives the
 * same switch; whichever changes it last wins.
 * Thread safety: any thread; a call already inside a wrapper may still be counted. */
NPUPROBE_API void npuprobe_set_enabled(int on);

/* The same functions as pointer types, for dlsym(). */
typedef const char *(*npuprobe_version_fn)(void);
typedef int (*npuprobe_flush_now_fn)(void);
typedef int (*npuprobe_enabled_fn)(void);
typedef void (*npuprobe_set_enabled_fn)(int on);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* NPUPROBE_H */
