// The two layouts of the fake CANN: build/mock/lib (one libascendcl.so) and build/mock/lib-split
// (libacl_rt.so + a compat libascendcl.so, as the open-sourced runtime ships). The same npu-sim
// runs on both and prints the same summary; names resolve through a libascendcl.so handle in
// both, from the library that defines them.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace {

std::string run(const std::string &command) {
  std::string out;
  FILE *p = popen(command.c_str(), "r");
  if (p == nullptr) return "popen failed";
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = pclose(p);
  if (status != 0) out += "\nexit status " + std::to_string(status);
  return out;
}

const std::string kNames =
    " aclrtSynchronizeStream aclrtSetCurrentContext aclmdlRIExecute aclInit aclopExecuteV2"
    " aclmdlLoadFromMem aclprofInit npumock_call_count";

TEST(SplitLayout, SymbolsComeFromTheLibraryThatDefinesThem) {
  EXPECT_EQ(run("LD_LIBRARY_PATH=" NPUMOCK_SPLIT_LIB_DIR " " NPUMOCK_SPLIT_PROBE + kNames),
            "aclrtSynchronizeStream libacl_rt.so\naclrtSetCurrentContext libacl_rt.so\n"
            "aclmdlRIExecute libacl_rt.so\naclInit libacl_rt.so\naclopExecuteV2 libascendcl.so\n"
            "aclmdlLoadFromMem libascendcl.so\naclprofInit libascendcl.so\n"
            "npumock_call_count libacl_rt.so\n");
  EXPECT_EQ(run("LD_LIBRARY_PATH=" NPUMOCK_LIB_DIR " " NPUMOCK_SPLIT_PROBE " aclrtSynchronizeStream aclopExecuteV2"),
            "aclrtSynchronizeStream libascendcl.so\naclopExecuteV2 libascendcl.so\n");
}

TEST(SplitLayout, NpuSimRunsTheSameOnBothLayouts) {
  const std::string args =
      " --steps 3 --launches 4 --device-us 20 --host-gap-us 20 --launch-api mixed --devices 0,1";
  for (const char *binding : {"linked", "dlsym", "opapi"}) {
    const std::string a = " --binding " + std::string(binding);
    const std::string classic = run("LD_LIBRARY_PATH=" NPUMOCK_LIB_DIR " " NPUMOCK_NPU_SIM + args + a);
    const std::string split = run("LD_LIBRARY_PATH=" NPUMOCK_SPLIT_LIB_DIR " " NPUMOCK_NPU_SIM + args + a);
    EXPECT_EQ(split, classic) << binding;
    EXPECT_NE(classic.find("device 1: steps=3 launches=12"), std::string::npos) << classic;
  }
}

}  // namespace
