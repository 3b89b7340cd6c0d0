"""The serving harness as a child of the smoke runner: started the way a user starts vLLM under
npuprobe (`npuprobe run --dir STORE -- python3 api_server.py ...`) in its own process group, with
stdout and stderr in service.log; reached over loopback HTTP; always stopped as a whole group
(SIGTERM, then SIGKILL), so no worker outlives the run."""
import ctypes
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
API_SERVER = os.path.join(os.path.dirname(HERE), "api_server.py")


class HarnessError(RuntimeError):
    pass


class Harness:
    def __init__(self, cli, store, harness_args, env, log_path, port_file, config=None):
        command = [cli, "run", "--dir", store]
        if config:
            command += ["--config", config]
        command += ["--", sys.executable, API_SERVER, "--port", "0", "--port-file", port_file]
        self.command = command + list(harness_args)
        self.env, self.log_path, self.port_file = env, log_path, port_file
        self.process = None
        self.url = None

    def start(self, ready_timeout_s=90):
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(self.command, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True,
                                            preexec_fn=_terminate_with_parent)
        deadline = time.monotonic() + ready_timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise HarnessError(f"harness exited with status {self.process.returncode} "
                                   f"before it was healthy (see service.log)")
            if self.url is None and os.path.exists(self.port_file):
                with open(self.port_file) as f:
                    self.url = f"http://127.0.0.1:{int(f.read())}"
            if self.url is not None and self._healthy():
                return
            time.sleep(0.1)
        raise HarnessError(f"harness not healthy after {ready_timeout_s} s (see service.log)")

    def _healthy(self):
        try:
            with urllib.request.urlopen(self.url + "/health", timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def metrics(self):
        with urllib.request.urlopen(self.url + "/metrics", timeout=10) as response:
            return response.read().decode()

    def complete(self, prompt, max_tokens, timeout_s=60):
        """POST /v1/completions; returns (HTTP status, parsed or raw body)."""
        body = json.dumps({"model": "npuprobe-mock-llm", "prompt": prompt,
                           "max_tokens": max_tokens}).encode()
        request = urllib.request.Request(self.url + "/v1/completions", data=body,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def stop(self, grace_s=20):
        """SIGTERM to the group, SIGKILL what is left after `grace_s`. Returns a dict saying how
        it ended (exit status, whether SIGKILL was needed, leftover processes)."""
        if self.process is None:
            return {"started": False}
        pgid = self.process.pid  # start_new_session: the group id is the leader's pid
        _signal_group(pgid, signal.SIGTERM)
        killed = False
        try:
            self.process.wait(grace_s)
        except subprocess.TimeoutExpired:
            pass
        # The leader may be gone while children linger: wait for the whole group.
        deadline = time.monotonic() + grace_s
        while _group_alive(self.process) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _group_alive(self.process):
            killed = True
            _signal_group(pgid, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while _group_alive(self.process) and time.monotonic() < deadline:
                time.sleep(0.1)
        if self.process.poll() is None:
            self.process.wait(5)
        return {"started": True, "exit_status": self.process.returncode, "sigkill": killed,
                "leftover_processes": _group_alive(self.process)}


def _terminate_with_parent():
    """In the child before exec: SIGTERM it if the runner dies (even by SIGKILL), so a killed
    run leaves no harness behind; its own session would otherwise keep it alive."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _signal_group(pgid, signum):
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        pass


def _group_alive(process):
    """True while any process of `process`'s group exists. The leader is reaped first: an
    unreaped zombie still counts as a group member for kill(2)."""
    process.poll()
    try:
        os.killpg(process.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
