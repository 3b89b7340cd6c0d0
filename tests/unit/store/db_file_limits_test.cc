// What a reader of the store folder does with files that are not what they seem (issue 15,
// docs/hostile-host.md "Files"): a FIFO is refused without blocking, a file over kMaxDbFileBytes
// is refused before it is read, `used` is never trusted past the file's size, a sparse file
// stops at its first entry, and format detection reads a bounded prefix.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "npuprobe/store/db_file_format.h"
#include "npuprobe/store/db_file_reader.h"
#include "npuprobe/store/format_detection.h"
#include "npuprobe/base/log.h"
#include "support/temp_dir.h"

namespace npuprobe::store {
namespace {

using testing::TempDir;
using testing::write_file;
using base::LogLevel;
using base::reset_log_after_fork;
using base::set_log_sink;

// The old reader blocked forever in open() on a FIFO: SIGALRM's default action ends the test
// binary instead of letting it hang.
class HangGuard {
 public:
  HangGuard() { ::alarm(20); }
  ~HangGuard() { ::alarm(0); }
};

std::string header(std::int32_t used) {
  std::string bytes(8, '\0');
  std::memcpy(&bytes[0], &used, 4);
  return bytes;
}

// A file of `size` bytes, holes but for a header whose `used` says `used`.
void sparse_file(const std::string &path, off_t size, std::int32_t used) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, size), 0);
  const std::string bytes = header(used);
  ASSERT_EQ(::pwrite(fd, bytes.data(), bytes.size(), 0), 8);
  ::close(fd);
}

std::string db_file(int entries, StoreFormat format) {
  std::string body;
  for (int i = 0; i < entries; ++i) {
    append_db_entry(body, R"(["m", "m_total", {"i": ")" + std::to_string(i) + R"("}, "h"])",
                    i, 0, format);
  }
  return header(static_cast<std::int32_t>(8 + body.size())) + body;
}

TEST(DbFileLimits, AFifoIsRefusedWithoutBlocking) {
  HangGuard guard;
  TempDir dir;
  const std::string path = dir.file("counter_77.db");
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  std::string bytes, error;
  EXPECT_FALSE(read_db_file_bytes(path, bytes, &error));
  EXPECT_EQ(error, path + ": is a FIFO, not a regular file");
}

TEST(DbFileLimits, AFileOverTheLimitIsRefusedBeforeItIsRead) {
  TempDir dir;
  const std::string path = dir.file("counter_1.db");
  sparse_file(path, off_t{kMaxDbFileBytes} + 1, 0);
  std::string bytes, error;
  EXPECT_FALSE(read_db_file_bytes(path, bytes, &error));
  EXPECT_EQ(error, path + ": is 268435457 bytes, larger than the limit of 256 MiB");
  EXPECT_TRUE(bytes.empty());
}

TEST(DbFileLimits, UsedIsNeverTrustedPastTheFileSize) {
  TempDir dir;
  const std::string path = dir.file("counter_1.db");
  sparse_file(path, 4096, 0x7fffffff);
  std::string bytes, error;
  ASSERT_TRUE(read_db_file_bytes(path, bytes, &error)) << error;
  EXPECT_EQ(bytes.size(), 4096u);
  EXPECT_LT(bytes.capacity(), std::size_t{1} << 20) << "allocated for what `used` claimed";
  std::vector<DbEntry> entries;
  EXPECT_FALSE(parse_db_bytes(bytes, StoreFormat::kV2, entries, &error));
  EXPECT_EQ(error, "header says used=2147483647 but the file has only 4096 bytes");
}

TEST(DbFileLimits, ASparseFileStopsAtItsFirstEntry) {
  // A header that claims the whole file over zeros: every "entry" has an empty key. Taken as
  // entries, 1 MiB became 43690 of them (and 2 GiB gigabytes of memory).
  std::string bytes = header(1 << 20);
  bytes.resize(1 << 20, '\0');
  std::vector<DbEntry> entries;
  std::string error;
  EXPECT_FALSE(parse_db_bytes(bytes, StoreFormat::kV2, entries, &error));
  EXPECT_EQ(error, "empty key (entry at offset 8)");
  EXPECT_TRUE(entries.empty());
}

TEST(DbFileLimits, DetectionReadsABoundedPrefix) {
  TempDir dir;
  for (const StoreFormat format : {StoreFormat::kV1, StoreFormat::kV2}) {
    const std::string path = dir.file("counter_1.db");
    const std::string whole = db_file(4000, format);  // well over the prefix
    ASSERT_GT(whole.size(), std::size_t{kDbDetectionPrefixBytes});
    write_file(path, whole);
    std::string bytes, error;
    ASSERT_TRUE(read_db_file_bytes(path, bytes, &error, kDbDetectionPrefixBytes)) << error;
    EXPECT_EQ(bytes.size(), kDbDetectionPrefixBytes);
    EXPECT_EQ(detect_db_format_of_prefix(bytes),
              format == StoreFormat::kV1 ? DetectedFormat::kV1 : DetectedFormat::kV2);
    // As a whole file the prefix is short of `used`: corrupt, not a format.
    EXPECT_EQ(detect_db_format(bytes), DetectedFormat::kUnknown);
    // Whole, it is read to `used` and parses.
    ASSERT_TRUE(read_db_file_bytes(path, bytes, &error)) << error;
    std::vector<DbEntry> entries;
    ASSERT_TRUE(parse_db_bytes(bytes, format, entries, &error)) << error;
    EXPECT_EQ(entries.size(), 4000u);
  }
  // A prefix that holds no whole entry tells nothing.
  EXPECT_EQ(detect_db_format_of_prefix(db_file(1, StoreFormat::kV2).substr(0, 20)),
            DetectedFormat::kUnknown);
}

std::vector<std::string> *g_lines = nullptr;

void capture(LogLevel level, const char *message) {
  g_lines->push_back(std::string(to_string(level)) + ": " + message);
}

TEST(DbFileLimits, TheFormatWatcherSkipsAFifoAndSaysSoOnce) {
  HangGuard guard;
  std::vector<std::string> lines;
  g_lines = &lines;
  set_log_sink(&capture);
  reset_log_after_fork();
  TempDir dir;
  const std::string fifo = dir.file("counter_77.db");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  write_file(dir.file("counter_1.db"), db_file(3, StoreFormat::kV1));
  PythonFormatWatcher watcher;
  for (int flush = 0; flush < 3; ++flush) EXPECT_EQ(watcher.scan(dir.path()), StoreFormat::kV1);
  set_log_sink(nullptr);
  g_lines = nullptr;
  EXPECT_EQ(lines, std::vector<std::string>{"warning: format detection skips " + fifo +
                                            ": is a FIFO, not a regular file"});
}

}  // namespace
}  // namespace npuprobe::store
