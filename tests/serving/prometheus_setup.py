"""vLLM's Prometheus set-up (vllm/v1/metrics/prometheus.py, vllm/entrypoints/cli/serve.py).

`run_multi_api_server` calls `setup_multiprocess_prometheus()` only when it runs several API
servers (`api_server_count > 1`): without PROMETHEUS_MULTIPROC_DIR it makes a
TemporaryDirectory, exports it (children inherit it) and the directory is removed when the
process exits; a variable the user set is kept, with a warning that it must be wiped between
runs. `/metrics` (`get_prometheus_registry`) reads the folder when the variable is set, else the
process's own default REGISTRY: one API server without the variable shows only its own metrics.
"""
import os
import sys
import tempfile

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, \
    multiprocess

_prometheus_multiproc_dir = None  # the TemporaryDirectory, removed at exit (or by cleanup())


def setup_multiprocess_prometheus():
    global _prometheus_multiproc_dir
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        _prometheus_multiproc_dir = tempfile.TemporaryDirectory()
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = _prometheus_multiproc_dir.name
        print(f"api_server: created PROMETHEUS_MULTIPROC_DIR at {_prometheus_multiproc_dir.name}",
              flush=True)
    else:
        print("api_server: WARNING: found PROMETHEUS_MULTIPROC_DIR was set by user. This "
              "directory must be wiped between vLLM runs or you will find inaccurate metrics.",
              file=sys.stderr, flush=True)


def cleanup():
    """The TemporaryDirectory goes once every process that writes into it has exited."""
    global _prometheus_multiproc_dir
    if _prometheus_multiproc_dir is not None:
        _prometheus_multiproc_dir.cleanup()
        _prometheus_multiproc_dir = None


def get_prometheus_registry():
    if os.getenv("PROMETHEUS_MULTIPROC_DIR") is not None:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def metrics_exposition():
    """The body of /metrics: a fresh multiprocess registry per scrape, as vLLM."""
    return generate_latest(get_prometheus_registry()), CONTENT_TYPE_LATEST


def mark_process_dead(pid):
    """Drops the live gauge files of `pid` (only meaningful with a folder)."""
    if os.getenv("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(pid)
