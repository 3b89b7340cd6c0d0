// Every entry point of the fake CANN has an id: its calls are counted (the ground truth a test
// compares with npu-sim's report) and fault rules (NPU_MOCK_FAIL, NPU_MOCK_HANG) apply to it.
#pragma once

#include <cstdint>

namespace npumock {

constexpr int kMaxApis = 512;

// Registers a name (idempotent) and returns its id, or -1 when the table is full.
int api_id(const char *name);
const char *api_name(int id);
int api_count();  // number of registered names

// Counts one call and applies the fault rules: returns the error code to inject (0 = none).
// A hang rule sleeps here, before the real work, so the caller really blocks.
int api_enter(int id);
uint64_t api_calls(int id);

}  // namespace npumock
