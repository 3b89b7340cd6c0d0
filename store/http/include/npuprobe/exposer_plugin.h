/* libnpuprobe-exposer.so: the HTTP /metrics server for the embedded default, as a plugin.
 *
 * The preload dlopen()s this library only when it must serve a folder itself, so that the
 * vLLM path (PROMETHEUS_MULTIPROC_DIR set) never loads the HTTP server or zlib. Plain C so
 * that dlsym() by name is all the preload needs. */
#ifndef NPUPROBE_EXPOSER_PLUGIN_H
#define NPUPROBE_EXPOSER_PLUGIN_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct npuprobe_exposer npuprobe_exposer;

/* Serves the aggregate of `directory` on http://<listen>/metrics; `format` is "v1", "v2" or
 * "auto". Returns NULL when the address cannot be bound (another process serves it: try again
 * later to take over) or on bad arguments, with a message in `error` (may be NULL). */
npuprobe_exposer *npuprobe_exposer_start(const char *listen, const char *directory,
                                         const char *format, char *error, size_t error_size);

/* The bound port (useful with port 0), or -1. */
int npuprobe_exposer_port(const npuprobe_exposer *exposer);

/* Stops serving and frees the server. NULL is ignored. */
void npuprobe_exposer_stop(npuprobe_exposer *exposer);

#ifdef __cplusplus
}
#endif

#endif /* NPUPROBE_EXPOSER_PLUGIN_H */
