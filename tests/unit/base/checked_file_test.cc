#include "npuprobe/base/checked_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "scratch_dir.h"

namespace npuprobe::base {
namespace {

using testing::ScratchDir;

void write_text(const std::string &path, const std::string &text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string read_text(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(ReadRegularFile, ReadsAFileWithinTheLimit) {
  ScratchDir dir;
  write_text(dir / "a", "hello");
  std::string out, why;
  ASSERT_TRUE(read_regular_file(dir / "a", 5, &out, &why)) << why;
  EXPECT_EQ(out, "hello");
}

TEST(ReadRegularFile, RefusesAFileOverTheLimit) {
  ScratchDir dir;
  write_text(dir / "a", "hello!");
  std::string out, why;
  EXPECT_FALSE(read_regular_file(dir / "a", 5, &out, &why));
  EXPECT_EQ(why, "is 6 bytes, larger than the limit of 5 bytes");
}

TEST(ReadRegularFile, RefusesASparseFileByItsSizeWithoutReadingIt) {
  ScratchDir dir;
  const int fd = ::open((dir / "sparse").c_str(), O_WRONLY | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, off_t(1) << 33), 0);  // 8 GiB of holes
  ::close(fd);
  std::string out, why;
  EXPECT_FALSE(read_regular_file(dir / "sparse", 1u << 20, &out, &why));
  EXPECT_EQ(why, "is 8589934592 bytes, larger than the limit of 1 MiB");
  EXPECT_TRUE(out.empty());
}

TEST(ReadRegularFile, DoesNotBlockOnAFifoAndSaysWhatItIs) {
  ScratchDir dir;
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  std::string out, why;
  // No writer: a blocking open would never return and the test would time out.
  EXPECT_FALSE(read_regular_file(dir / "fifo", 100, &out, &why));
  EXPECT_EQ(why, "is a FIFO, not a regular file");
}

TEST(ReadRegularFile, RefusesADirectoryAndADevice) {
  ScratchDir dir;
  std::string out, why;
  EXPECT_FALSE(read_regular_file(dir.path(), 100, &out, &why));
  EXPECT_EQ(why, "is a directory, not a regular file");
  EXPECT_FALSE(read_regular_file("/dev/zero", 100, &out, &why));
  EXPECT_EQ(why, "is a character device, not a regular file");
}

TEST(ReadRegularFile, FollowsLinksOnlyWhenAsked) {
  ScratchDir dir;
  write_text(dir / "target", "x");
  ASSERT_EQ(::symlink((dir / "target").c_str(), (dir / "link").c_str()), 0);
  std::string out, why;
  EXPECT_TRUE(read_regular_file(dir / "link", 10, &out, &why)) << why;
  EXPECT_FALSE(read_regular_file(dir / "link", 10, &out, &why, Links::kRefuse));
  EXPECT_EQ(why, "is a symbolic link");
}

TEST(ReadRegularFile, SaysWhyAMissingFileFails) {
  ScratchDir dir;
  std::string out, why;
  EXPECT_FALSE(read_regular_file(dir / "none", 10, &out, &why));
  EXPECT_EQ(why, "No such file or directory");
}

TEST(ReadAtMost, StopsAtTheLengthAndAtTheEndAndPreadUpToCountsWhatItRead) {
  ScratchDir dir;
  write_text(dir / "a", "0123456789");
  std::string why;
  const int fd = open_regular_for_read(dir / "a", 100, &why);
  ASSERT_GE(fd, 0) << why;
  std::string out;
  ASSERT_TRUE(read_at_most(fd, 2, 3, &out, &why));
  EXPECT_EQ(out, "234");
  ASSERT_TRUE(read_at_most(fd, 8, 100, &out, &why));
  EXPECT_EQ(out, "89");
  EXPECT_EQ(::fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
  // The loop under both: how many bytes it read, fewer where the file ends.
  char got[16] = {};
  EXPECT_EQ(pread_up_to(fd, 3, got, 4), 4);
  EXPECT_EQ(std::string(got, 4), "3456");
  EXPECT_EQ(pread_up_to(fd, 7, got, sizeof got), 3);
  EXPECT_EQ(std::string(got, 3), "789");
  EXPECT_EQ(pread_up_to(fd, 10, got, sizeof got), 0);
  EXPECT_EQ(pread_up_to(fd, 0, got, 0), 0);
  ::close(fd);
  errno = 0;
  EXPECT_EQ(pread_up_to(fd, 0, got, 4), -1);  // closed: the error, not a short read
  EXPECT_EQ(errno, EBADF);
  EXPECT_FALSE(read_at_most(fd, 0, 4, &out, &why));
  EXPECT_EQ(why, std::strerror(EBADF));
  // A directory reads as an error (EISDIR), never as an empty file.
  const int dir_fd = ::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(dir_fd, 0);
  EXPECT_EQ(pread_up_to(dir_fd, 0, got, 4), -1);
  EXPECT_EQ(errno, EISDIR);
  ::close(dir_fd);
}

TEST(ExactAt, WritesAndReadsWholeRangesAndSaysWhenTheFileIsShort) {
  ScratchDir dir;
  std::string why;
  const int fd = create_new_file(dir / "f", O_RDWR, 0600, &why);
  ASSERT_GE(fd, 0) << why;
  ASSERT_TRUE(write_all_at(fd, 4, "abcdef", 6));
  char got[6] = {};
  ASSERT_TRUE(read_exact_at(fd, 4, got, sizeof got));
  EXPECT_EQ(std::string(got, sizeof got), "abcdef");
  // 10 bytes in the file: 4 at offset 8 run past its end (a truncated record or segment).
  EXPECT_FALSE(read_exact_at(fd, 8, got, 4));
  EXPECT_TRUE(read_exact_at(fd, 8, got, 2));
  EXPECT_EQ(std::string(got, 2), "ef");
  ::close(fd);
}

TEST(CreateNewFile, RefusesWhateverIsAlreadyThere) {
  ScratchDir dir;
  write_text(dir / "victim", "keep");
  ASSERT_EQ(::symlink((dir / "victim").c_str(), (dir / "link").c_str()), 0);
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  std::string why;
  for (const char *name : {"victim", "link", "fifo"}) {
    EXPECT_EQ(create_new_file(dir / name, O_WRONLY, 0600, &why), -1) << name;
    EXPECT_EQ(why, "already exists (refused: never reused or followed)");
  }
  EXPECT_EQ(read_text(dir / "victim"), "keep");
  const int fd = create_new_file(dir / "fresh", O_RDWR, 0640, &why);
  ASSERT_GE(fd, 0) << why;
  struct stat st {};
  ASSERT_EQ(::fstat(fd, &st), 0);
  EXPECT_EQ(st.st_mode & 0777 & ~0640u, 0u);  // never more than asked (umask may take some)
  ::close(fd);
}

TEST(ReplaceFile, ReplacesAPlantedLinkInsteadOfWritingThroughIt) {
  ScratchDir dir;
  write_text(dir / "victim", "keep");
  ASSERT_EQ(::symlink((dir / "victim").c_str(), (dir / "out.json").c_str()), 0);
  // A link planted at the temporary name as well.
  const std::string temporary = dir / ("out.json.tmp" + std::to_string(::getpid()));
  ASSERT_EQ(::symlink((dir / "victim").c_str(), temporary.c_str()), 0);
  std::string why;
  ASSERT_TRUE(replace_file(dir / "out.json", "{}", 0600, &why)) << why;
  EXPECT_EQ(read_text(dir / "victim"), "keep");
  EXPECT_EQ(read_text(dir / "out.json"), "{}");
  struct stat st {};
  ASSERT_EQ(::lstat((dir / "out.json").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_NE(::access(temporary.c_str(), F_OK), 0);
}

TEST(ReplaceFile, UsesTheCallersTemporaryNameWithoutFollowingALinkThere) {
  ScratchDir dir;
  write_text(dir / "victim", "keep");
  const std::string temporary = dir / ".out.json.tmp1";
  ASSERT_EQ(::symlink((dir / "victim").c_str(), temporary.c_str()), 0);
  std::string why;
  ASSERT_TRUE(replace_file_using(dir / "out.json", temporary, "{}", 0600, &why)) << why;
  EXPECT_EQ(read_text(dir / "victim"), "keep");
  EXPECT_EQ(read_text(dir / "out.json"), "{}");
  EXPECT_NE(::access(temporary.c_str(), F_OK), 0);
}

TEST(OpenForAppend, CreatesAppendsAndRefusesLinksAndFifos) {
  ScratchDir dir;
  std::string why;
  int fd = open_for_append(dir / "log", 0600, &why);
  ASSERT_GE(fd, 0) << why;
  ASSERT_EQ(::write(fd, "a", 1), 1);
  ::close(fd);
  fd = open_for_append(dir / "log", 0600, &why);
  ASSERT_GE(fd, 0) << why;
  ASSERT_EQ(::write(fd, "b", 1), 1);
  ::close(fd);
  EXPECT_EQ(read_text(dir / "log"), "ab");

  write_text(dir / "victim", "keep");
  ASSERT_EQ(::symlink((dir / "victim").c_str(), (dir / "link").c_str()), 0);
  EXPECT_EQ(open_for_append(dir / "link", 0600, &why), -1);
  EXPECT_EQ(why, "is a symbolic link");
  EXPECT_EQ(read_text(dir / "victim"), "keep");

  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  EXPECT_EQ(open_for_append(dir / "fifo", 0600, &why), -1);
  // No reader: a blocking open would hang; O_NONBLOCK makes it ENXIO before any check.
  EXPECT_EQ(why, "is a FIFO, not a regular file");
}

}  // namespace
}  // namespace npuprobe::base
