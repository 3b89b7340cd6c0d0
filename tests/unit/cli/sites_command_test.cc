// The built `npuprobe sites` and `npuprobe gc` over a folder of hand-written sites files, one
// from this (live) process and one from a child that already exited: the text and --json
// output, the skipped and missing files, and gc removing only the dead pid's files.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "npuprobe/attribution/sites_file.h"
#include "npuprobe/base/json.h"
#include "sites_fixtures.h"

namespace npuprobe::attribution {
namespace {

using namespace fixtures;

// A pid that no process has any more (a child that exited and was reaped).
long dead_pid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  int status = 0;
  ::waitpid(child, &status, 0);
  return child;
}

std::string slurp(const std::string &path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Result {
  int status = -1;
  std::string out, err;
};

class SitesCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/npuprobe-sites-cli-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
    dir_ = root_ + "/store";
    ASSERT_EQ(::mkdir(dir_.c_str(), 0755), 0);
  }
  void TearDown() override {
    [[maybe_unused]] const int status = std::system(("rm -rf '" + root_ + "'").c_str());
  }

  // Runs the built npuprobe with `args` (a shell word list), stdout and stderr apart.
  Result npuprobe(const std::string &args, const std::string &env = "") {
    const std::string out = root_ + "/stdout", err = root_ + "/stderr";
    const std::string command = "env -u PROMETHEUS_MULTIPROC_DIR " + env + " '" NPUPROBE_CLI "' " +
                                args + " >'" + out + "' 2>'" + err + "'";
    const int status = std::system(command.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
  }

  void write(const SitesReport &r) {
    std::string error;
    ASSERT_TRUE(write_sites_file(dir_, r, &error)) << error;
  }
  void write_text(const std::string &name, const std::string &text) {
    std::ofstream(dir_ + "/" + name) << text;
  }
  bool exists(const std::string &name) const {
    return ::access((dir_ + "/" + name).c_str(), F_OK) == 0;
  }

  std::string root_, dir_;
  const long live_ = ::getpid();
  const long dead_ = dead_pid();
};

TEST_F(SitesCommand, TextShowsEachProcessItsDevicesAndStacks) {
  write(report(live_));
  SitesReport exited = report(dead_);
  exited.process = "vllm worker";
  exited.dp = "1";
  write(exited);
  const Result r = npuprobe("sites --dir '" + dir_ + "'");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const std::string live_header = "pid " + std::to_string(live_) + "  npu-sim  dp 0  alive  ";
  const std::string dead_header = "pid " + std::to_string(dead_) + "  vllm worker  dp 1  exited  ";
  ASSERT_NE(r.out.find(live_header), std::string::npos) << r.out;
  ASSERT_NE(r.out.find(dead_header), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(live_header) < r.out.find(dead_header), live_ < dead_) << "lowest pid first";
  EXPECT_NE(r.out.find("  device 1\n    [1] slow_launch aclnn  count 3  mean 4.115 ms"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("       -> #2 decode_step(int) at /src/serve.cc:42 (libserve.so)\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("(partial stack)"), std::string::npos);

  const Result one = npuprobe("sites --top 1 --pid " + std::to_string(dead_),
                              "PROMETHEUS_MULTIPROC_DIR='" + dir_ + "'");
  ASSERT_EQ(one.status, 0) << one.err;
  EXPECT_EQ(one.out.find(live_header), std::string::npos) << one.out;
  EXPECT_NE(one.out.find(dead_header), std::string::npos) << one.out;
  EXPECT_EQ(one.out.find("[2]"), std::string::npos) << "--top 1: " << one.out;
}

TEST_F(SitesCommand, JsonIsAnArrayOfReportsWithAlive) {
  write(report(live_));
  write(report(dead_));
  const Result r = npuprobe("sites --json --dir '" + dir_ + "'");
  ASSERT_EQ(r.status, 0) << r.err;
  base::json::Value root;
  base::json::ParseError error;
  ASSERT_TRUE(base::json::parse(r.out, &root, &error)) << error.message << "\n" << r.out;
  ASSERT_EQ(root.items.size(), 2u) << r.out;
  for (const base::json::Value &process : root.items) {
    const bool is_live = process.find("pid")->integer == live_;
    EXPECT_EQ(process.find("alive")->boolean, is_live);
    EXPECT_EQ(process.find("format")->integer, kSitesFileFormat);
    EXPECT_EQ(process.find("sites")->items.size(), 3u);
    EXPECT_EQ(process.find("sites")->items[0].find("site")->text, "decode_step(int) (serve.cc:42)");
  }
}

TEST_F(SitesCommand, SkipsUnreadableFilesWithAWarning) {
  write(report(live_));
  write_text(sites_file_name(dead_), "{\"format\":1,");
  SitesReport newer = report(dead_pid());
  write(newer);
  const std::string newer_name = sites_file_name(newer.pid);
  std::string text = slurp(dir_ + "/" + newer_name);
  write_text(newer_name, "{\"format\":2," + text.substr(text.find(',') + 1));
  const Result r = npuprobe("sites --dir '" + dir_ + "'");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("pid " + std::to_string(live_)), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("npuprobe sites: skipped " + dir_ + "/" + sites_file_name(dead_) + ": line"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(newer_name + ": line 1: format 2 is newer than this npuprobe reads (1)"),
            std::string::npos)
      << r.err;
}

TEST_F(SitesCommand, FailsWithoutAnyReadableFile) {
  Result r = npuprobe("sites --dir '" + dir_ + "'");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("no readable npuprobe_sites_<pid>.json in " + dir_), std::string::npos)
      << r.err;
  write_text(sites_file_name(dead_), "not json");
  r = npuprobe("sites --dir '" + dir_ + "'");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("skipped"), std::string::npos) << r.err;
  r = npuprobe("sites --pid 1 --dir '" + dir_ + "'");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("no readable npuprobe_sites_1.json in"), std::string::npos) << r.err;
  EXPECT_EQ(npuprobe("sites --dir '" + root_ + "/missing'").status, 1);
  EXPECT_EQ(npuprobe("sites").status, 2) << "no --dir, no PROMETHEUS_MULTIPROC_DIR";
  EXPECT_EQ(npuprobe("sites --top 0 --dir '" + dir_ + "'").status, 2);
  EXPECT_EQ(npuprobe("sites --pid x --dir '" + dir_ + "'").status, 2);
}

TEST_F(SitesCommand, IsInTheHelp) {
  const Result r = npuprobe("help");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("sites [--dir D] [--top N] [--json] [--pid P]"), std::string::npos) << r.out;
}

TEST_F(SitesCommand, GcRemovesTheSitesFilesOfDeadProcessesOnly) {
  write(report(live_));
  write(report(dead_));
  const std::string dead_temporary = "." + sites_file_name(dead_) + ".tmp" + std::to_string(dead_);
  const std::string live_temporary = "." + sites_file_name(live_) + ".tmp" + std::to_string(live_);
  write_text(dead_temporary, "{");
  write_text(live_temporary, "{");
  const std::string dead_gauge = "gauge_liveall_" + std::to_string(dead_) + ".db";
  write_text(dead_gauge, "");

  Result r = npuprobe("gc --dry-run --dir '" + dir_ + "'");
  ASSERT_EQ(r.status, 0) << r.err;
  for (const std::string &name : {sites_file_name(dead_), dead_temporary, dead_gauge}) {
    EXPECT_NE(r.out.find("would remove " + dir_ + "/" + name + "\n"), std::string::npos)
        << name << "\n"
        << r.out;
    EXPECT_TRUE(exists(name)) << name;
  }
  EXPECT_EQ(r.out.find("/" + sites_file_name(live_)), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("/" + live_temporary), std::string::npos) << r.out;

  r = npuprobe("gc --dir '" + dir_ + "'");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("removed " + dir_ + "/" + sites_file_name(dead_) + "\n"), std::string::npos)
      << r.out;
  EXPECT_FALSE(exists(sites_file_name(dead_)));
  EXPECT_FALSE(exists(dead_temporary));
  EXPECT_FALSE(exists(dead_gauge));
  EXPECT_TRUE(exists(sites_file_name(live_)));
  EXPECT_TRUE(exists(live_temporary));
}

}  // namespace
}  // namespace npuprobe::attribution
