// `npuprobe sites`' output from hand-made reports: which entries are shown, each frame's line,
// the marked site frame and stack notes, and JSON that reads back as the documented format.
#include "sites_text.h"

#include <gtest/gtest.h>

#include "npuprobe/base/json.h"
#include "sites_fixtures.h"

namespace npuprobe::cli::sites {
namespace {

using namespace attribution::fixtures;
using attribution::CaptureKind;
using attribution::SiteEntry;

TEST(SitesText, FrameLinesBySymbolizationLevel) {
  EXPECT_EQ(format_frame(frame(0x7f0000003000, "/srv/libserve.so", "f(int)", "/src/a.cc", 12)),
            "f(int) at /src/a.cc:12 (libserve.so)");
  EXPECT_EQ(format_frame(frame(0x7f0000003000, "/srv/libserve.so", "f(int)")),
            "f(int) (libserve.so)");
  EXPECT_EQ(format_frame(frame(0x7f0000003abc, "/srv/libserve.so", "")), "libserve.so+0x3abc");
  EXPECT_EQ(format_frame(frame(0xdeadbeef, "", "")), "0xdeadbeef (unknown module)");
  EXPECT_EQ(format_frame(frame(0x7f0000000001, "/srv/lib\x1b[2Jx.so", "g\n")), "g? (lib?[2Jx.so)")
      << "no terminal control from a file";
}

TEST(SitesText, ShowsTheTopEntriesOfEachDevice) {
  attribution::SitesReport r = report(1);
  r.sites.clear();
  for (int i = 0; i < 5; ++i) {
    r.sites.push_back(entry(CaptureKind::kSync, "stream", 0, "a" + std::to_string(i), 10 + i, 1));
    r.sites.push_back(entry(CaptureKind::kSync, "stream", 1, "b" + std::to_string(i), 20 - i, 1));
  }
  std::vector<std::string> shown;
  for (const SiteEntry *e : shown_entries(r, 2)) shown.push_back(e->site);
  EXPECT_EQ(shown, (std::vector<std::string>{"b0", "b1", "a4", "a3"}));
  EXPECT_EQ(shown_entries(r, 100).size(), 10u);
}

TEST(SitesText, ProcessDeviceEntryAndStack) {
  attribution::SitesReport r = report(4242);
  r.sites[0].label = attribution::kOtherSite;
  r.sites[1].truncated = true;
  const std::string text =
      format_text({{r, true}, {report(4243), false}}, 10, r.updated_unix_s + 3);
  EXPECT_NE(text.find("pid 4242  npu-sim  dp 0  alive  updated 3 s ago\n"
                      "  captured: 12 sync, 3 slow_launch; not captured: 4 over the rate limit, 1 "
                      "ring full\n"
                      "  device 0\n"
                      "    [1] sync stream  count 10  mean 50.000 ms  total 500.000 ms  site "
                      "decode_step(int) (serve.cc:42)  (label \"other\")\n"
                      "          #0 aclrtSynchronizeStream (libascendcl.so)\n"
                      "          #1 npuprobe_aclrtSynchronizeStream (libnpuprobe.so)\n"
                      "       -> #2 decode_step(int) at /src/serve.cc:42 (libserve.so)\n"
                      "          #3 libserve.so+0x4000\n"
                      "          #4 __libc_start_main (libc.so.6)\n"
                      "    [2] sync device  count 2"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("       -> #3 libserve.so+0x4000\n"
                      "          #4 __libc_start_main (libc.so.6)\n"
                      "          (partial stack)\n"
                      "  device 1\n"
                      "    [1] slow_launch aclnn  count 3  mean 4.115 ms  total 12.346 ms"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("(truncated at max depth)\n\npid 4243  npu-sim  dp 0  exited"),
            std::string::npos)
      << text;
}

TEST(SitesText, EmptyReportAndEntryWithoutStack) {
  attribution::SitesReport r = report(5);
  r.dp.clear();
  r.process.clear();
  r.sites.clear();
  EXPECT_NE(format_text({{r, false}}, 10, 0).find("pid 5  ?  dp -  exited  updated 0 s ago"),
            std::string::npos);
  EXPECT_NE(format_text({{r, false}}, 10, 0).find("  no sites yet\n"), std::string::npos);
  r.sites.push_back(entry(CaptureKind::kSync, "event", 0, attribution::kOtherSite, 1, 0, {}));
  EXPECT_NE(format_text({{r, false}}, 10, 0).find("site other\n          (no stack kept)\n"),
            std::string::npos);
}

TEST(SitesText, JsonIsAnArrayOfTheReportsWithAlive) {
  attribution::SitesReport r = report(4242);
  r.process = "a \"quoted\" name";
  const std::string json = format_json({{r, true}, {report(4243), false}}, 1);
  base::json::Value root;
  base::json::ParseError error;
  ASSERT_TRUE(base::json::parse(json, &root, &error)) << error.message << "\n" << json;
  ASSERT_EQ(root.type, base::json::Value::Type::kArray);
  ASSERT_EQ(root.items.size(), 2u);
  EXPECT_TRUE(root.items[0].find("alive")->boolean);
  EXPECT_FALSE(root.items[1].find("alive")->boolean);
  EXPECT_EQ(root.items[0].find("process")->text, "a \"quoted\" name");
  EXPECT_EQ(root.items[0].find("sites")->items.size(), 2u) << "--top 1: one per device";
  EXPECT_EQ(root.items[0].find("format")->integer, 1);
  EXPECT_EQ(root.items[0].find("sites")->items[0].find("stack")->items.size(), 5u);
  EXPECT_EQ(format_json({}, 10), "[\n]\n");
}

}  // namespace
}  // namespace npuprobe::cli::sites
