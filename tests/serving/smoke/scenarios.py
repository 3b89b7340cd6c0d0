"""The smoke scenarios: how the harness is started for each, what it is sent, and the contract
its /metrics must meet (docs/contract.md names, with the default prefix)."""
from contract import PREFIX, Increases, IncreasesForDistinct, IncreasesForExactly, InfoRows, \
    Positive

# What every scenario with npuprobe working must show: steps closed, launches counted, the three
# phase histograms observed (non_forward needs a second step per device, which every request
# gives: a prefill and max_tokens decode steps), and the harness's own Python metric beside them.
# A request is exactly STEPS_PER_REQUEST steps (1 prefill + runner.MAX_TOKENS decode steps), so
# the per-step series grow by exactly that many per completed request.
STEPS_PER_REQUEST = 9
MODEL = "npuprobe-mock-llm"  # the harness's --model (scenario harness_args carry it)


def step_contract(tensor_parallel=1):
    """A request runs on one engine: its steps on each of the engine's tensor-parallel ranks."""
    per_request = STEPS_PER_REQUEST * tensor_parallel
    return [
        Increases(PREFIX + "npu:steps_total", per_request=per_request),
        Increases(PREFIX + "npu:launches_total"),
        Increases(PREFIX + "npu:forward_duration_count", per_request=per_request),
        Increases(PREFIX + "npu:kernel_launch_count", per_request=per_request),
        Increases(PREFIX + "npu:non_forward_duration_count"),
    ]


STEP_CONTRACT = step_contract()

# eplb: two DP engines with expert parallelism (expert_parallel.py): per step 2 MoE layers x
# (dispatch + combine) all-to-all-v; every EPLB_INTERVAL steps of an engine one rebalance (4
# device-to-device copies + one broadcast of the moved experts). A request is 9 steps, a multiple
# of the interval, so each request is exactly 3 rebalances on the engine that served it.
MOE_LAYERS = 2
EPLB_INTERVAL = 3
EPLB_MOVED_EXPERTS = 4
EPLB_BROADCAST_BYTES = EPLB_MOVED_EXPERTS * (1 << 20)  # expert_parallel.BROADCAST_BYTES
REBALANCES_PER_REQUEST = STEPS_PER_REQUEST // EPLB_INTERVAL


def eplb_contract():
    return [
        Increases(PREFIX + "npu:hccl_calls_total", {"op": "alltoallv"},
                  per_request=2 * MOE_LAYERS * STEPS_PER_REQUEST),
        Increases(PREFIX + "npu:hccl_calls_total", {"op": "broadcast"},
                  per_request=REBALANCES_PER_REQUEST),
        Increases(PREFIX + "npu:hccl_bytes_total", {"op": "broadcast"},
                  per_request=REBALANCES_PER_REQUEST * EPLB_BROADCAST_BYTES),
        Increases(PREFIX + "npu:hccl_bytes_total", {"op": "alltoallv"}),
        Increases(PREFIX + "npu:hccl_launch_latency_count", {"op": "alltoallv"},
                  per_request=2 * MOE_LAYERS * STEPS_PER_REQUEST),
        # Collectives add no steps: one observation per step, each with its collectives' time.
        Increases(PREFIX + "npu:step_hccl_duration_count", per_request=STEPS_PER_REQUEST),
        Increases(PREFIX + "npu:step_hccl_duration_sum"),
        Increases(PREFIX + "npu:launches_total", {"api": "memcpy_async"},
                  per_request=REBALANCES_PER_REQUEST * EPLB_MOVED_EXPERTS),
        # One communicator of the two engines: rank = dp rank, size 2, on each engine's device.
        IncreasesForExactly(PREFIX + "npu:hccl_calls_total", ("dp", "device", "rank", "size"),
                            [("0", "0", "0", "2"), ("1", "1", "1", "2")]),
    ]
PYTHON_COEXISTENCE = [Increases("vllm:request_success_total")]
INFO_LABELS = ("dp", "device", "local_device", "model_name")


def identity_contract(rows):
    """rows: (dp, host device, local device) of every process and device: the steps counted
    under (dp, host device) exactly, and one npu:device_info row each, a pid of its own."""
    return [
        IncreasesForExactly(PREFIX + "npu:steps_total", ("dp", "device"),
                            [(dp, device) for dp, device, _ in rows]),
        InfoRows(PREFIX + "npu:device_info", INFO_LABELS,
                 [(dp, device, local, MODEL) for dp, device, local in rows],
                 distinct="process_pid"),
    ]


class Scenario:
    def __init__(self, name, description, harness_args, contract, requests=4,
                 poll_timeout_s=30.0, task_time_mode=None, env=None):
        self.name = name
        self.description = description
        self.harness_args = harness_args
        self.contract = contract
        self.requests = requests
        self.poll_timeout_s = poll_timeout_s
        self.task_time_mode = task_time_mode  # set: NPUPROBE_CONFIG + libmspti.so preloaded
        self.env = dict(env or {})  # the harness's environment on top of the runner's


# Every scenario starts the harness as `vllm serve MODEL ...` would run (api_server.py): engine
# cores titled EngineCore[_DP<n>], no VLLM_DP_RANK, one API server per data-parallel rank.
SERVE = ["--model", MODEL]
SCENARIOS = {s.name: s for s in [
    Scenario("basic", "one engine core, eager aclnn decode", SERVE,
             STEP_CONTRACT + PYTHON_COEXISTENCE + identity_contract([("0", "0", "0")])),
    Scenario("dplb", "two data-parallel engines behind two API servers, round-robin",
             SERVE + ["--data-parallel-size", "2"],
             STEP_CONTRACT + PYTHON_COEXISTENCE + [
                 IncreasesForDistinct(PREFIX + "npu:steps_total", "dp", 2),
                 IncreasesForDistinct(PREFIX + "npu:steps_total", "device", 2)] +
             identity_contract([("0", "0", "0"), ("1", "1", "0")]),
             requests=8),
    # vllm serve --data-parallel-size 2 --tensor-parallel-size 2 on the host's NPUs 4-7: each
    # engine sees its two NPUs as 0 and 1; its workers are titled after device init.
    Scenario("dptp", "DP 2 x TP 2 on NPUs 4-7: four workers, titles set late",
             SERVE + ["--data-parallel-size", "2", "--tensor-parallel-size", "2"],
             step_contract(tensor_parallel=2) + PYTHON_COEXISTENCE +
             identity_contract([("0", "4", "0"), ("0", "5", "1"), ("1", "6", "0"),
                                ("1", "7", "1")]),
             requests=8, env={"ASCEND_RT_VISIBLE_DEVICES": "4,5,6,7"}),
    Scenario("eplb", "two DP engines with expert parallelism: MoE all-to-all-v every step, "
             "EPLB rebalancing (D2D copies + broadcast) every 3 steps",
             SERVE + ["--data-parallel-size", "2", "--enable-expert-parallel", "--enable-eplb",
                      "--eplb-step-interval", str(EPLB_INTERVAL)],
             STEP_CONTRACT + PYTHON_COEXISTENCE + eplb_contract() +
             identity_contract([("0", "0", "0"), ("1", "1", "0")]),
             requests=8),
    Scenario("graph", "decode by graph replay (aclmdlRIExecuteAsync)", SERVE + ["--graph"],
             STEP_CONTRACT + PYTHON_COEXISTENCE + [
                 Increases(PREFIX + "npu:launches_total", {"api": "graph"})]),
    Scenario("taskqueue", "launches from a task-queue thread, waits on the Python thread",
             SERVE + ["--task-queue"],
             STEP_CONTRACT + PYTHON_COEXISTENCE + [
                 Increases(PREFIX + "npu:launches_total", {"api": "aclnn"})]),
    Scenario("memory", "caching-allocator device memory", SERVE,
             PYTHON_COEXISTENCE + [
                 Positive(PREFIX + "npu:memory:allocated_bytes"),
                 Increases(PREFIX + "npu:memory:allocs_total")]),
    Scenario("tasktime", "task time mode 2 (MSPTI kernel records)", SERVE,
             STEP_CONTRACT + PYTHON_COEXISTENCE + [
                 Increases(PREFIX + "npu:kernels_total")],
             task_time_mode=2),
]}
