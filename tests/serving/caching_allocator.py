"""A caching allocator in the style of torch_npu's NPUCachingAllocator, reduced to what matters
for the metrics: device memory is taken with aclrtMalloc in rounded blocks, a released block goes
back to a per-size free list instead of aclrtFree, and everything is freed only at shutdown
(empty_cache). So allocations happen when a new size is first needed (the first request of a
shape), not on every step, exactly the pattern npu:memory:* must account for."""

ROUND_BYTES = 2 << 20  # large-block rounding


class CachingAllocator:
    def __init__(self, runtime):
        self._runtime = runtime
        self._free = {}   # rounded size -> [pointers]
        self._sizes = {}  # every pointer this allocator holds -> rounded size

    @staticmethod
    def rounded(size):
        return max(ROUND_BYTES, (size + ROUND_BYTES - 1) // ROUND_BYTES * ROUND_BYTES)

    def allocate(self, size):
        rounded = self.rounded(size)
        cached = self._free.get(rounded)
        if cached:
            return cached.pop()
        ptr = self._runtime.malloc(rounded)
        self._sizes[ptr] = rounded
        return ptr

    def release(self, ptr):
        self._free.setdefault(self._sizes[ptr], []).append(ptr)

    def held_bytes(self):
        return sum(self._sizes.values())

    def empty_cache(self):
        """Frees every block, cached or not (the process is shutting down)."""
        for ptr in list(self._sizes):
            self._runtime.call("aclrtFree", ptr)
        self._sizes.clear()
        self._free.clear()
