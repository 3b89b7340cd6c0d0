// npuprobe_sites_<pid>.json: what write_sites_file writes, read_sites_file reads back the same
// (escaping, empty stacks, frames without a symbol or module); malformed files and a newer
// format are errors with a message, unknown keys are not.
#include "npuprobe/attribution/sites_file.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>

#include "npuprobe/base/json.h"
#include "sites_fixtures.h"

namespace npuprobe::attribution {
namespace {

using namespace fixtures;

class SitesFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/npuprobe-sites-file-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    for (const std::string &name : names()) ::unlink((dir_ + "/" + name).c_str());
    ::rmdir(dir_.c_str());
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    if (DIR *d = ::opendir(dir_.c_str())) {
      while (const dirent *item = ::readdir(d)) {
        if (std::string(item->d_name) != "." && std::string(item->d_name) != "..")
          out.emplace_back(item->d_name);
      }
      ::closedir(d);
    }
    return out;
  }
  SitesReport round_trip(const SitesReport &written) {
    std::string error;
    EXPECT_TRUE(write_sites_file(dir_, written, &error)) << error;
    SitesReport read;
    EXPECT_TRUE(read_sites_file(dir_ + "/" + sites_file_name(written.pid), &read, &error)) << error;
    return read;
  }
  std::string dir_;
};

std::string error_of(const std::string &text) {
  SitesReport report;
  std::string error;
  EXPECT_FALSE(parse_sites_json(text, &report, &error)) << text;
  return error;
}

std::string replaced(std::string text, const std::string &from, const std::string &to) {
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return at == std::string::npos ? text : text.replace(at, from.size(), to);
}

TEST(SitesFileName, RoundTripsAndRejectsOtherNames) {
  EXPECT_EQ(sites_file_name(4242), "npuprobe_sites_4242.json");
  long pid = 0;
  EXPECT_TRUE(parse_sites_file_name("npuprobe_sites_4242.json", &pid));
  EXPECT_EQ(pid, 4242);
  for (const char *other :
       {"npuprobe_sites_.json", "npuprobe_sites_-1.json", "npuprobe_sites_042.json",
        "npuprobe_sites_12.json.tmp12", ".npuprobe_sites_12.json.tmp12", "npuprobe_sites_1x.json",
        "counter_12.db", "npuprobe_sites_99999999999.json"}) {
    EXPECT_FALSE(parse_sites_file_name(other, &pid)) << other;
  }
}

TEST_F(SitesFile, WritesAtomicallyAndReadsBackTheSame) {
  const SitesReport written = report(4242);
  expect_same(written, round_trip(written));
  EXPECT_EQ(names(), std::vector<std::string>{"npuprobe_sites_4242.json"}) << "no temporary left";
}

TEST_F(SitesFile, EscapesControlCharactersAndKeepsUtf8) {
  SitesReport written = report(7);
  written.process = "quote\" back\\slash\nnew\ttab\x01\x1f\x7f";
  // "déjà 日本 😀": 2, 3 and 4 byte sequences
  written.dp = "d\xc3\xa9j\xc3\xa0 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80";
  written.sites[0].stack[2].function = "ns::f<char const*>(std::string const&) \"x\"";
  written.sites[0].stack[2].file = "/src/dir with space/\xc3\xa9t\xc3\xa9.cc";
  expect_same(written, round_trip(written));

  const std::string json = to_json(written);
  EXPECT_NE(json.find(R"("quote\" back\\slash\nnew\ttab\u0001\u001f\u007f")"), std::string::npos)
      << json;
  EXPECT_NE(json.find("d\xc3\xa9j\xc3\xa0 \xe6\x97\xa5"), std::string::npos) << "UTF-8 kept";
}

TEST_F(SitesFile, InvalidUtf8BecomesCodePointsAndStaysValidJson) {
  SitesReport written = report(8);
  written.process = "latin1-\xe9t\xe9 cut-\xe6\x97 lone-\x80 overlong-\xc0\xaf";
  const std::string json = to_json(written);
  EXPECT_NE(
      json.find(R"("latin1-\u00e9t\u00e9 cut-\u00e6\u0097 lone-\u0080 overlong-\u00c0\u00af")"),
      std::string::npos)
      << json;
  SitesReport read;
  std::string error;
  ASSERT_TRUE(parse_sites_json(json, &read, &error)) << error;
  EXPECT_EQ(read.process.substr(0, 9), "latin1-\xc3\xa9");  // U+00E9 as UTF-8
}

TEST_F(SitesFile, EmptyStacksUnknownFunctionsAndModulesAndNoSite) {
  SitesReport written = report(9);
  written.sites.push_back(entry(CaptureKind::kSync, "event", 2, kOtherSite, 1, 0.001, {}));
  std::vector<Frame> unknown = {frame(0xdeadbeef, "", ""), frame(0x7f0000009000, "/x/liba.so", "")};
  written.sites.push_back(entry(CaptureKind::kSync, "stream", 2, "unknown", 1, 0, unknown, 2));
  written.sites.back().truncated = true;
  written.sites.back().label = kOtherSite;
  written.sites.push_back(entry(CaptureKind::kSync, "stream", 3, "site", 1, 0));
  written.dp = "";
  written.process = "";
  const SitesReport read = round_trip(written);
  expect_same(written, read);
  EXPECT_EQ(read.sites[3].site_index, 0u) << "empty stack: site_index == stack.size()";
  EXPECT_EQ(read.sites[4].site_index, 2u) << "no usable frame: site_index == stack.size()";
  EXPECT_FALSE(read.sites[4].stack[0].known_module);
  EXPECT_NE(to_json(written).find("\"site_frame\":null"), std::string::npos);
}

TEST_F(SitesFile, KeepsAtMostTheDocumentedNumberOfSitesAndFullAddresses) {
  SitesReport written = report(10);
  const SiteEntry first = written.sites[0];
  written.sites.assign(kMaxSitesInFile + 5, first);
  written.sites[0].stack[0].pc = UINTPTR_MAX;
  written.sites[0].stack[0].module_offset = 0x123456789abcdef0;
  const SitesReport read = round_trip(written);
  EXPECT_EQ(read.sites.size(), kMaxSitesInFile);
  EXPECT_EQ(read.sites[0].stack[0].pc, UINTPTR_MAX);
  EXPECT_EQ(read.sites[0].stack[0].module_offset, 0x123456789abcdef0u);
  EXPECT_NE(to_json(written).find(R"("pc":"0xffffffffffffffff")"), std::string::npos);
}

TEST_F(SitesFile, NonFiniteDurationsAreWrittenAsZero) {
  SitesReport written = report(11);
  written.updated_unix_s = std::numeric_limits<double>::quiet_NaN();
  written.sites[0].total_seconds = std::numeric_limits<double>::infinity();
  const SitesReport read = round_trip(written);
  EXPECT_EQ(read.updated_unix_s, 0);
  EXPECT_EQ(read.sites[0].total_seconds, 0);
}

TEST_F(SitesFile, WriteFailureIsAnErrorNotAnException) {
  std::string error;
  EXPECT_FALSE(write_sites_file(dir_ + "/missing", report(12), &error));
  EXPECT_NE(error.find("No such file or directory"), std::string::npos) << error;
  EXPECT_TRUE(names().empty());
  SitesReport read;
  EXPECT_FALSE(read_sites_file(dir_ + "/npuprobe_sites_12.json", &read, &error));
  EXPECT_NE(error.find("npuprobe_sites_12.json: No such file"), std::string::npos) << error;
}

TEST(SitesJson, ToleratesUnknownKeysAndAMissingKnownModule) {
  std::string json = to_json(report(13));
  json = replaced(json, "{\"format\":1,", "{\"format\":1,\"future\":{\"x\":[1,2]},");
  json = replaced(json, "\"count\":10,", "\"count\":10,\"p99_seconds\":0.2,");
  json = replaced(json, "\"known_module\":true,", "");
  SitesReport read;
  std::string error;
  ASSERT_TRUE(parse_sites_json(json, &read, &error)) << error;
  expect_same(report(13), read);
}

TEST(SitesJson, RejectsANewerFormatWithAClearMessage) {
  const std::string json = replaced(to_json(report(14)), "\"format\":1", "\"format\":2");
  EXPECT_EQ(error_of(json),
            "line 1: format 2 is newer than this npuprobe reads (1): use the "
            "npuprobe that wrote it");
}

TEST(SitesJson, RejectsMalformedFiles) {
  const std::string good = to_json(report(15));
  EXPECT_NE(error_of("").find("line 1"), std::string::npos);
  EXPECT_NE(error_of(good.substr(0, good.size() / 2)).find("line "), std::string::npos);
  EXPECT_EQ(error_of("[1]"), "line 1: not a JSON object");
  EXPECT_EQ(error_of("{}"), "line 1: missing \"format\"");
  EXPECT_EQ(error_of(replaced(good, "\"format\":1", "\"format\":\"1\"")),
            "line 1: \"format\" must be a number, not a string");
  EXPECT_EQ(error_of(replaced(good, "\"format\":1", "\"format\":0")),
            "line 1: \"format\" must be an integer in 1..2147483647, not 0");
  EXPECT_EQ(error_of(replaced(good, "\"pid\":15,", "")), "line 1: missing \"pid\"");
  EXPECT_EQ(error_of(replaced(good, "\"count\":10", "\"count\":-10")),
            "line 2: \"count\" must be an integer in 0..9223372036854775807, not -10");
  EXPECT_EQ(error_of(replaced(good, "\"count\":10", "\"count\":1.5")),
            "line 2: \"count\" must be an integer in 0..9223372036854775807, not 1.5");
  EXPECT_EQ(error_of(replaced(good, "\"kind\":\"sync\"", "\"kind\":\"page_fault\"")),
            "line 2: unknown capture kind \"page_fault\"");
  EXPECT_EQ(error_of(replaced(good, "\"pc\":\"0x7f0000001000\"", "\"pc\":\"7f0000001000\"")),
            "line 2: \"pc\" must be a \"0x...\" address, not \"7f0000001000\"");
  EXPECT_EQ(error_of(replaced(good, "\"site_frame\":2", "\"site_frame\":5")),
            "line 2: \"site_frame\" must be an integer in 0..4, not 5");
  EXPECT_EQ(error_of(replaced(good, "\"partial\":false", "\"partial\":0")),
            "line 2: \"partial\" must be a boolean, not a number");
  EXPECT_EQ(error_of(replaced(good, "\"sites\":[", "\"sites\":[1,")),
            "line 1: a site must be an object");
  EXPECT_EQ(error_of(replaced(good, "\"stack\":[", "\"stack\":[\"f\",")),
            "line 2: a stack frame must be an object");
  EXPECT_EQ(
      error_of(replaced(good, "\"captures\":{\"sync\":12", "\"captures\":{\"x\":1,\"sync\":null")),
      "line 1: \"sync\" must be a number, not null");
  EXPECT_NE(error_of(good + "{}").find("line "), std::string::npos) << "trailing content";
}

}  // namespace
}  // namespace npuprobe::attribution
