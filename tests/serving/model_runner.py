"""The model runner of one worker: a tiny decoder-only "model" executed on the fake NPU the way
vLLM-Ascend's model runner drives torch_npu. Every operator is an aclnn call (first stage on this
thread, launch here or on the task-queue thread); a step ends when the host blocks in
aclrtSynchronizeStream, as torch_npu does when the sampled tokens are read back.

Options: task_queue (launches from a separate thread), graph (decode steps replay one graph
captured at load time with aclmdlRICaptureBegin/End, like ACL graph mode; prefill stays eager),
expert_parallel (an ExpertParallel, expert_parallel.py: every layer's MLP is an MoE layer whose
tokens go to their experts and back with two all-to-all-v, and EPLB rebalances before the wait
of every step_interval-th step; eager only).
"""
import ctypes

from caching_allocator import CachingAllocator
from fake_cann import ACL_MODEL_RI_CAPTURE_MODE_GLOBAL
from task_queue import TaskQueue

LAYERS = 2
HIDDEN = 1024
HEADS = 8
VOCAB = 8192
BYTES_PER_ELEMENT = 2  # fp16
# Activation bytes per token: hidden state, qkv, attention out, mlp up (4x) of one layer at a time.
ACTIVATION_BYTES_PER_TOKEN = (1 + 3 + 1 + 4) * HIDDEN * BYTES_PER_ELEMENT
KV_CACHE_BYTES = 16 << 20


class ModelRunner:
    def __init__(self, runtime, opapi, device, task_queue=False, graph=False,
                 expert_parallel=None):
        self.rt, self.ops, self.device = runtime, opapi, device
        self.ep = expert_parallel
        self.allocator = CachingAllocator(runtime)
        self.queue = TaskQueue(runtime, device) if task_queue else None
        self.use_graph = graph
        self.stream = None
        self.graph = None
        self.weights = {}        # name -> aclTensor over a weight block
        self._weight_blocks = []
        self._alpha = ctypes.c_double(1.0)  # aclnnAdd's alpha (an aclScalar on a real host)
        self.steps = 0

    # -- lifetime --------------------------------------------------------------------------
    def load(self):
        """Binds the stream, "loads weights", reserves the KV cache, captures the decode graph."""
        self.stream = self.rt.create_stream()
        shapes = {"norm": (HIDDEN,), "qkv": (HIDDEN, 3 * HIDDEN), "o": (HIDDEN, HIDDEN),
                  "up": (HIDDEN, 4 * HIDDEN), "down": (4 * HIDDEN, HIDDEN),
                  "lm_head": (HIDDEN, VOCAB)}
        for name, dims in shapes.items():
            nbytes = BYTES_PER_ELEMENT
            for d in dims:
                nbytes *= d
            block = self.allocator.allocate(nbytes)
            self._weight_blocks.append(block)
            self.weights[name] = self.ops.create_tensor(list(dims), block)
        self._weight_blocks.append(self.allocator.allocate(KV_CACHE_BYTES))
        if self.ep is not None:
            self.ep.load(self.allocator)
        if self.use_graph:
            self._capture_decode_graph()

    def close(self):
        if self.queue is not None:
            self.queue.drain()
        if self.graph is not None:
            self.rt.call("aclmdlRIDestroy", self.graph)
        for tensor in self.weights.values():
            self.ops.destroy_tensor(tensor)
        if self.queue is not None:
            self.queue.close()
        if self.stream is not None:
            self.rt.call("aclrtSynchronizeStream", self.stream)
            self.rt.call("aclrtDestroyStream", self.stream)
        self.allocator.empty_cache()

    # -- steps -----------------------------------------------------------------------------
    def prefill(self, prompt_tokens):
        self._step(prompt_tokens, eager=True)

    def decode(self):
        self._step(1, eager=not self.use_graph)

    def _step(self, tokens, eager):
        activations = self.allocator.allocate(tokens * ACTIVATION_BYTES_PER_TOKEN)
        hidden = self.ops.create_tensor([tokens, HIDDEN], activations)
        try:
            if eager:
                self._forward(hidden, self._moe_buffers(tokens, activations))
            else:
                self._enqueue(lambda: self.rt.call("aclmdlRIExecuteAsync", self.graph,
                                                   self.stream))
            if self.ep is not None and self.ep.rebalance_due(self.steps):
                self._enqueue(lambda: self.ep.rebalance(self.stream))
            self._drain()
            self.rt.call("aclrtSynchronizeStream", self.stream)  # reading the sampled tokens
            self.steps += 1
        finally:
            self.ops.destroy_tensor(hidden)
            self.allocator.release(activations)

    def _moe_buffers(self, tokens, activations):
        """(send, recv, counts, displs) of this step's all-to-alls, inside its activations."""
        if self.ep is None:
            return None
        counts, displs = self.ep.counts(tokens)
        return activations, activations + sum(counts) * BYTES_PER_ELEMENT, counts, displs

    def _all_to_all(self, moe):
        send, recv, counts, displs = moe
        self._enqueue(lambda: self.ep.all_to_all(send, recv, counts, displs, self.stream))

    def _forward(self, x, moe=None):
        w = self.weights
        for _ in range(LAYERS):
            self._op("aclnnRmsNorm", x, w["norm"], 1e-6, x, x)
            self._op("aclnnMatmul", x, w["qkv"], x, 0)
            self._op("aclnnFlashAttentionScore", x, x, x, HIDDEN ** -0.5, HEADS, x)
            self._op("aclnnMatmul", x, w["o"], x, 0)
            self._op("aclnnAdd", x, x, ctypes.addressof(self._alpha), x)
            self._op("aclnnRmsNorm", x, w["norm"], 1e-6, x, x)
            if moe is not None:
                self._all_to_all(moe)  # dispatch: tokens to the ranks of their experts
            self._op("aclnnMatmul", x, w["up"], x, 0)
            self._op("aclnnSilu", x, x)
            self._op("aclnnMatmul", x, w["down"], x, 0)
            if moe is not None:
                self._all_to_all(moe)  # combine: expert outputs back to their tokens
            self._op("aclnnAdd", x, x, ctypes.addressof(self._alpha), x)
        self._op("aclnnRmsNorm", x, w["norm"], 1e-6, x, x)
        self._op("aclnnMatmul", x, w["lm_head"], x, 0)
        self._op("aclnnSoftmax", x, -1, x)  # sampling

    def _op(self, op, *args):
        """op-plugin's EXEC_NPU_CMD: plan here, launch here or on the task queue."""
        ws_size, executor = self.ops.plan(op, *args)
        workspace = self.allocator.allocate(ws_size) if ws_size else None

        def launch():
            self.ops.launch(op, workspace, ws_size, executor, self.stream)
        self._enqueue(launch)
        if workspace is not None:
            self.allocator.release(workspace)  # stream-ordered reuse, as the caching allocator

    def _enqueue(self, work):
        if self.queue is not None:
            self.queue.submit(work)
        else:
            work()

    def _drain(self):
        if self.queue is not None:
            self.queue.drain()

    def _capture_decode_graph(self):
        """One decode forward recorded into a graph (launches count as `capture`, no step)."""
        block = self.allocator.allocate(ACTIVATION_BYTES_PER_TOKEN)  # the graph's static input
        self._weight_blocks.append(block)
        hidden = self.ops.create_tensor([1, HIDDEN], block)
        self.rt.call("aclmdlRICaptureBegin", self.stream, ACL_MODEL_RI_CAPTURE_MODE_GLOBAL)
        self._forward(hidden)
        self._drain()
        self.graph = self.rt.out_pointer("aclmdlRICaptureEnd", self.stream)
        self.ops.destroy_tensor(hidden)
