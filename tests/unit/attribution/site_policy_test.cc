// Which frame is the site, what it is called, and whether a stack is whole.
#include "npuprobe/attribution/site_policy.h"

#include <gtest/gtest.h>

#include "frames.h"

namespace npuprobe::attribution {
namespace {

using test_frames::known;
using test_frames::unknown;

const char *const kAcl = "/usr/local/Ascend/ascend-toolkit/latest/lib64/libascendcl.so";
const char *const kPreload = "/opt/npuprobe/lib/libnpuprobe.so";
const char *const kLibc = "/lib/x86_64-linux-gnu/libc.so.6";
const char *const kUser = "/srv/app/libmodel_ops.so";
const char *const kTorchNpu = "/usr/lib/python3/dist-packages/torch_npu/lib/libtorch_npu.so";

TEST(SitePolicy, DefaultSkipsTheRuntimeNpuprobeLibcAndPython) {
  const SitePolicy policy;
  for (const char *module :
       {kAcl,
        kPreload,
        kLibc,
        "/lib64/ld-linux-x86-64.so.2",
        "/lib/ld-linux-aarch64.so.1",
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/lib/x86_64-linux-gnu/libgcc_s.so.1",
        "/usr/lib/libunwind.so.8",
        "/usr/bin/python3.11",
        "/usr/lib/libpython3.11.so.1.0",
        "/usr/lib/x86_64-linux-gnu/libffi.so.8",
        "/usr/lib/python3.11/lib-dynload/_ctypes.cpython-311-x86_64-linux-gnu.so",
        "/usr/local/Ascend/driver/lib64/libascend_hal.so",
        "/x/libopapi.so",
        "/x/libhccl.so",
        "/x/libmspti.so",
        "/x/libruntime.so",
        "/x/libge_runner.so",
        "/x/libnnopbase.so",
        "/x/libacl_op_compiler.so",
        "/x/libmsprofiler.so",
        "/lib/libc-2.28.so",
        "/lib/libpthread.so.0",
        "/lib/libdl.so.2"}) {
    EXPECT_TRUE(is_skipped_module(policy, module)) << module;
  }
}

TEST(SitePolicy, KeepsTheFrameworkAndTheUsersCode) {
  const SitePolicy policy;
  for (const char *module : {kUser, kTorchNpu, "/usr/bin/npu-sim", "/x/libnpusim-helper.so", ""}) {
    EXPECT_FALSE(is_skipped_module(policy, module)) << module;
  }
  // Only the basename counts: a folder named after Python does not skip the user's library.
  EXPECT_FALSE(is_skipped_module(policy, "/opt/python3.11/site-packages/libmine.so"));
}

TEST(SitePolicy, CustomListAndEmptyEntries) {
  SitePolicy policy;
  policy.skip_modules = {"", "libmodel"};
  EXPECT_TRUE(is_skipped_module(policy, kUser));
  EXPECT_FALSE(is_skipped_module(policy, kLibc));  // replaced, not added to
}

TEST(SitePolicy, SiteIsTheFirstKnownFrameNotSkipped) {
  const SitePolicy policy;
  EXPECT_EQ(site_frame_index(policy, {known(kPreload), known(kAcl), unknown(), known(kUser),
                                      known(kTorchNpu), known(kLibc)}),
            3u);
  EXPECT_EQ(site_frame_index(policy, {unknown(), known(kTorchNpu)}), 1u);
}

TEST(SitePolicy, PythonThroughCtypesFallsBackToTheFirstFrameOutsideNpuprobe) {
  const SitePolicy policy;
  EXPECT_EQ(site_frame_index(policy, {known(kPreload), unknown(), known(kAcl),
                                      known("/x/libffi.so.8"), known("/usr/bin/python3")}),
            2u);
}

TEST(SitePolicy, NoUsableFrame) {
  const SitePolicy policy;
  EXPECT_EQ(site_frame_index(policy, {}), 0u);
  EXPECT_EQ(site_frame_index(policy, {known(kPreload), unknown(), known(kPreload)}), 3u);
}

TEST(SitePolicy, SiteNames) {
  EXPECT_EQ(site_name(known(kUser, "ops::gather(int)", "/src/ops/gather.cc", 42)),
            "ops::gather(int) (gather.cc:42)");
  EXPECT_EQ(site_name(known(kUser, "ops::gather(int)")), "ops::gather(int) (libmodel_ops.so)");
  EXPECT_EQ(site_name(known(kUser, "ops::gather(int)", "/src/ops/gather.cc", 0)),
            "ops::gather(int) (libmodel_ops.so)");
  EXPECT_EQ(site_name(known(kUser, "", "", 0, 0x1a2b)), "libmodel_ops.so+0x1a2b");
  EXPECT_EQ(site_name(known(kUser, "", "", 0, 0)), "libmodel_ops.so+0x0");
  EXPECT_EQ(site_name(unknown()), "unknown");
}

TEST(SitePolicy, ThreadEntries) {
  for (const char *entry :
       {"_start", "__libc_start_main", "__libc_start_call_main", "start_thread", "clone", "clone3",
        "__clone", "__clone3", "thread_start", "__GI___clone3"}) {
    EXPECT_TRUE(reaches_thread_entry({known(kUser, "f"), known(kLibc, entry)})) << entry;
  }
  EXPECT_TRUE(reaches_thread_entry({known(kUser, "f"), known(kLibc, "clone3"), unknown(0)}));
  EXPECT_FALSE(reaches_thread_entry({}));
  EXPECT_FALSE(reaches_thread_entry({known(kLibc, "clone3"), known(kUser, "main")}));
  EXPECT_FALSE(reaches_thread_entry({known(kLibc, "clone3"), unknown()}));
  EXPECT_FALSE(reaches_thread_entry({known(kUser, "start_thread_pool")}));
}

}  // namespace
}  // namespace npuprobe::attribution
