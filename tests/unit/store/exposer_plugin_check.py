"""libnpuprobe-exposer.so through its C API (ctypes, as the preload would dlopen it): serves a
folder, a second server on the same address is refused (the address is taken), and once the
first stops another one can take over.

usage: exposer_plugin_check.py PLUGIN_SO FOLDER
"""
import ctypes
import sys
import urllib.request


def main():
    plugin = ctypes.CDLL(sys.argv[1])
    folder = sys.argv[2].encode()
    plugin.npuprobe_exposer_start.restype = ctypes.c_void_p
    plugin.npuprobe_exposer_start.argtypes = [ctypes.c_char_p] * 4 + [ctypes.c_size_t]
    plugin.npuprobe_exposer_port.argtypes = [ctypes.c_void_p]
    plugin.npuprobe_exposer_stop.argtypes = [ctypes.c_void_p]
    error = ctypes.create_string_buffer(256)

    first = plugin.npuprobe_exposer_start(b"127.0.0.1:0", folder, b"auto", error, 256)
    assert first, error.value
    port = plugin.npuprobe_exposer_port(first)
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    assert 'npu_launches_total{api="aclnn",dp="0"} 7' in body, body

    address = f"127.0.0.1:{port}".encode()
    second = plugin.npuprobe_exposer_start(address, folder, b"auto", error, 256)
    assert not second and error.value, "a second server bound a busy address"
    assert not plugin.npuprobe_exposer_start(address, folder, b"v3", error, 256)
    assert b"format" in error.value, error.value

    plugin.npuprobe_exposer_stop(first)
    taker = plugin.npuprobe_exposer_start(address, folder, b"auto", error, 256)
    assert taker, b"take-over failed: " + error.value
    plugin.npuprobe_exposer_stop(taker)
    print("PASS")


if __name__ == "__main__":
    main()
