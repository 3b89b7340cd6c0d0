// Where finished device work and timed API calls are reported when the fake libmspti listens.
#pragma once

#include <atomic>

#include "npu/npumock.h"

namespace npumock {

extern std::atomic<npumock_activity_sink> g_kernel_sink;
extern std::atomic<npumock_activity_sink> g_api_sink;

// Stable pointer to a copy of s for the process lifetime (kernel and op names in records).
const char *intern(const char *s);

}  // namespace npumock
