"""Where a run keeps its files: <workspace>/npuprobe-smoke/<scenario>/<uuid>/ holds every
artifact while the run lasts and is kept on failure or with --debug-mode; a small summary JSON
always goes to <workspace>/npuprobe-smoke/summaries/."""
import json
import os
import shutil
import time
import uuid

ARTIFACTS = ("preflight.log", "service.log", "request.log", "metrics.before.raw", "metrics.raw",
             "assertion_report.json", "log_health_report.json")


class RunFolder:
    def __init__(self, workspace, scenario):
        self.root = os.path.join(os.path.abspath(workspace), "npuprobe-smoke")
        self.run_id = uuid.uuid4().hex
        self.path = os.path.join(self.root, scenario, self.run_id)
        os.makedirs(self.path)

    def file(self, name):
        return os.path.join(self.path, name)

    def write_text(self, name, text):
        with open(self.file(name), "w") as f:
            f.write(text)

    def write_json(self, name, obj):
        self.write_text(name, json.dumps(obj, indent=2, sort_keys=True) + "\n")

    def append_text(self, name, text):
        with open(self.file(name), "a") as f:
            f.write(text)

    def finish(self, keep):
        """Removes the run folder unless it is kept; returns the kept path or None."""
        if keep:
            return self.path
        shutil.rmtree(self.path, ignore_errors=True)
        parent = os.path.dirname(self.path)
        try:
            os.rmdir(parent)  # the scenario folder, when no other run is kept there
        except OSError:
            pass
        return None

    def write_summary(self, summary):
        folder = os.path.join(self.root, "summaries")
        os.makedirs(folder, exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%S")
        path = os.path.join(folder, f"{stamp}-{summary['scenario']}-{self.run_id[:8]}.json")
        with open(path, "w") as f:
            json.dump(summary, f, indent=2, sort_keys=True)
            f.write("\n")
        return path
