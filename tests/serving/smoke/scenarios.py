"""The smoke scenarios: how the harness is started for each, what it is sent, and the contract
its /metrics must meet (docs/contract.md names, with the default prefix)."""
from contract import PREFIX, Increases, IncreasesForDistinct, Positive

# What every scenario with npuprobe working must show: steps closed, launches counted, the three
# phase histograms observed (non_forward needs a second step per device, which every request
# gives: a prefill and max_tokens decode steps), and the harness's own Python metric beside them.
# A request is exactly STEPS_PER_REQUEST steps (1 prefill + runner.MAX_TOKENS decode steps), so
# the per-step series grow by exactly that many per completed request.
STEPS_PER_REQUEST = 9
STEP_CONTRACT = [
    Increases(PREFIX + "npu:steps_total", per_request=STEPS_PER_REQUEST),
    Increases(PREFIX + "npu:launches_total"),
    Increases(PREFIX + "npu:forward_duration_count", per_request=STEPS_PER_REQUEST),
    Increases(PREFIX + "npu:kernel_launch_count", per_request=STEPS_PER_REQUEST),
    Increases(PREFIX + "npu:non_forward_duration_count"),
]
PYTHON_COEXISTENCE = [Increases("vllm:request_success_total")]


class Scenario:
    def __init__(self, name, description, harness_args, contract, requests=4,
                 poll_timeout_s=30.0, task_time_mode=None):
        self.name = name
        self.description = description
        self.harness_args = harness_args
        self.contract = contract
        self.requests = requests
        self.poll_timeout_s = poll_timeout_s
        self.task_time_mode = task_time_mode  # set: NPUPROBE_CONFIG + libmspti.so preloaded


SCENARIOS = {s.name: s for s in [
    Scenario("basic", "one worker, eager aclnn decode", ["--devices", "0"],
             STEP_CONTRACT + PYTHON_COEXISTENCE),
    Scenario("dplb", "two data-parallel workers, requests load-balanced round-robin",
             ["--devices", "0,1", "--data-parallel"],
             STEP_CONTRACT + PYTHON_COEXISTENCE + [
                 IncreasesForDistinct(PREFIX + "npu:steps_total", "dp", 2),
                 IncreasesForDistinct(PREFIX + "npu:steps_total", "device", 2)],
             requests=8),
    Scenario("graph", "decode by graph replay (aclmdlRIExecuteAsync)", ["--devices", "0", "--graph"],
             STEP_CONTRACT + PYTHON_COEXISTENCE + [
                 Increases(PREFIX + "npu:launches_total", {"api": "graph"})]),
    Scenario("taskqueue", "launches from a task-queue thread, waits on the Python thread",
             ["--devices", "0", "--task-queue"],
             STEP_CONTRACT + PYTHON_COEXISTENCE + [
                 Increases(PREFIX + "npu:launches_total", {"api": "aclnn"})]),
    Scenario("memory", "caching-allocator device memory", ["--devices", "0"],
             PYTHON_COEXISTENCE + [
                 Positive(PREFIX + "npu:memory:allocated_bytes"),
                 Increases(PREFIX + "npu:memory:allocs_total")]),
    Scenario("tasktime", "task time mode 2 (MSPTI kernel records)", ["--devices", "0"],
             STEP_CONTRACT + PYTHON_COEXISTENCE + [
                 Increases(PREFIX + "npu:kernels_total")],
             task_time_mode=2),
]}
