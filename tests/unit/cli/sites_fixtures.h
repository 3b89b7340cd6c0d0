// Hand-made sites reports for the tests of the sites file and `npuprobe sites`, and a field by
// field comparison (the attribution structs have no operator==).
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "npuprobe/attribution/sites_file.h"

namespace npuprobe::attribution::fixtures {

inline Frame frame(std::uintptr_t pc, const std::string &module, const std::string &function,
                   const std::string &file = "", int line = 0) {
  Frame f;
  f.pc = pc;
  f.known_module = !module.empty();
  f.module = module;
  f.module_offset = module.empty() ? 0 : pc - 0x7f0000000000;
  f.function = function;
  f.file = file;
  f.line = line;
  return f;
}

// A wait in aclrtSynchronizeStream called from decode_step (the site) in the serving program.
inline std::vector<Frame> sync_stack() {
  return {frame(0x7f0000001000, "/opt/cann/lib64/libascendcl.so", "aclrtSynchronizeStream"),
          frame(0x7f0000002000, "/build/lib/libnpuprobe.so", "npuprobe_aclrtSynchronizeStream"),
          frame(0x7f0000003000, "/srv/model/libserve.so", "decode_step(int)", "/src/serve.cc", 42),
          frame(0x7f0000004000, "/srv/model/libserve.so", ""),
          frame(0x7f0000005000, "/lib/x86_64-linux-gnu/libc.so.6", "__libc_start_main")};
}

inline SiteEntry entry(CaptureKind kind, const std::string &api, int device,
                       const std::string &site, std::uint64_t count, double total_seconds,
                       std::vector<Frame> stack = sync_stack(), std::size_t site_index = 2) {
  SiteEntry e;
  e.kind = kind;
  e.api = api;
  e.device = device;
  e.site = site;
  e.label = site;
  e.count = count;
  e.total_seconds = total_seconds;
  e.site_index = stack.empty() ? 0 : site_index;
  e.stack = std::move(stack);
  return e;
}

inline SitesReport report(long pid) {
  SitesReport r;
  r.pid = pid;
  r.dp = "0";
  r.process = "npu-sim";
  r.updated_unix_s = 1722222222.125;
  r.max_labels = 20;
  r.captured[0] = 12;
  r.captured[1] = 3;
  r.not_captured_rate_limit = 4;
  r.not_captured_ring_full = 1;
  r.sites.push_back(
      entry(CaptureKind::kSync, "stream", 0, "decode_step(int) (serve.cc:42)", 10, 0.5));
  r.sites.push_back(entry(CaptureKind::kSlowLaunch, "aclnn", 1, "decode_step(int) (serve.cc:42)", 3,
                          0.0123456789));
  r.sites.push_back(entry(CaptureKind::kSync, "device", 0, "libserve.so+0x4000", 2, 0.25));
  r.sites.back().site_index = 3;
  r.sites.back().partial = true;
  return r;
}

inline void expect_same(const Frame &a, const Frame &b) {
  EXPECT_EQ(a.pc, b.pc);
  EXPECT_EQ(a.known_module, b.known_module);
  EXPECT_EQ(a.module, b.module);
  EXPECT_EQ(a.module_offset, b.module_offset);
  EXPECT_EQ(a.function, b.function);
  EXPECT_EQ(a.file, b.file);
  EXPECT_EQ(a.line, b.line);
}

inline void expect_same(const SiteEntry &a, const SiteEntry &b) {
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.api, b.api);
  EXPECT_EQ(a.device, b.device);
  EXPECT_EQ(a.site, b.site);
  EXPECT_EQ(a.label, b.label);
  EXPECT_EQ(a.count, b.count);
  EXPECT_EQ(a.total_seconds, b.total_seconds);  // exact: %.17g reads back to the same double
  EXPECT_EQ(a.site_index, b.site_index);
  EXPECT_EQ(a.partial, b.partial);
  EXPECT_EQ(a.truncated, b.truncated);
  ASSERT_EQ(a.stack.size(), b.stack.size());
  for (std::size_t i = 0; i < a.stack.size(); ++i) expect_same(a.stack[i], b.stack[i]);
}

inline void expect_same(const SitesReport &a, const SitesReport &b) {
  EXPECT_EQ(a.pid, b.pid);
  EXPECT_EQ(a.dp, b.dp);
  EXPECT_EQ(a.process, b.process);
  EXPECT_EQ(a.updated_unix_s, b.updated_unix_s);
  EXPECT_EQ(a.max_labels, b.max_labels);
  for (int k = 0; k < kCaptureKindCount; ++k) EXPECT_EQ(a.captured[k], b.captured[k]);
  EXPECT_EQ(a.not_captured_rate_limit, b.not_captured_rate_limit);
  EXPECT_EQ(a.not_captured_ring_full, b.not_captured_ring_full);
  ASSERT_EQ(a.sites.size(), b.sites.size());
  for (std::size_t i = 0; i < a.sites.size(); ++i) {
    SCOPED_TRACE("site " + std::to_string(i));
    expect_same(a.sites[i], b.sites[i]);
  }
}

}  // namespace npuprobe::attribution::fixtures
