// read_guarded (store/src/sigbus_guard.h): a load from a mapping past its file's end, after the
// file shrank under it, is abandoned and reported, again and again; other reads run as usual.
#include "sigbus_guard.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>

#include "support/temp_dir.h"

namespace npuprobe::store {
namespace {

TEST(SigbusGuard, ALoadPastAShrunkFilesEndIsAbandonedEachTime) {
  ASSERT_TRUE(sigbus_guard_ready());
  testing::TempDir dir;
  const std::string path = dir.file("mapped");
  const long page = ::sysconf(_SC_PAGESIZE);
  testing::write_file(path, std::string(static_cast<std::size_t>(2 * page), 'a'));
  const int fd = ::open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  void *map = ::mmap(nullptr, static_cast<std::size_t>(2 * page), PROT_READ, MAP_SHARED, fd, 0);
  ASSERT_NE(map, MAP_FAILED);
  const volatile char *bytes = static_cast<const char *>(map);

  volatile char seen = 0;
  EXPECT_TRUE(read_guarded([&] {
    seen = bytes[page];
    return true;
  }));
  EXPECT_EQ(seen, 'a');
  EXPECT_FALSE(read_guarded([] { return false; }));  // the read's own answer

  ASSERT_EQ(::ftruncate(fd, page), 0);  // the second page is past the end now
  for (int attempt = 0; attempt < 3; ++attempt) {  // the handler stays armed
    volatile int reached = 0;  // volatile: each store happens, in order
    EXPECT_FALSE(read_guarded([&] {
      reached = 1;
      seen = bytes[page];
      reached = 2;
      return true;
    })) << attempt;
    EXPECT_EQ(reached, 1) << attempt;
  }
  // The first page is still the file's: read as usual.
  EXPECT_TRUE(read_guarded([&] {
    seen = bytes[0];
    return true;
  }));
  EXPECT_EQ(seen, 'a');
  ::munmap(map, static_cast<std::size_t>(2 * page));
  ::close(fd);
}

}  // namespace
}  // namespace npuprobe::store
