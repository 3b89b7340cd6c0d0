#include "npuprobe/base/private_dir.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scratch_dir.h"

namespace npuprobe::base {
namespace {

using testing::ScratchDir;

TEST(MakePrivateDir, MakesAFolderOnlyTheUserCanWrite) {
  ScratchDir dir;
  std::string why;
  ASSERT_TRUE(make_private_dir(dir / "p", 0700, &why)) << why;
  struct stat st {};
  ASSERT_EQ(::lstat((dir / "p").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_TRUE(make_private_dir(dir / "p", 0700, &why)) << why;  // and accepts it again
}

TEST(MakePrivateDir, RefusesAFolderOthersCanWrite) {
  ScratchDir dir;
  ASSERT_EQ(::mkdir((dir / "open").c_str(), 0700), 0);
  ASSERT_EQ(::chmod((dir / "open").c_str(), 0777), 0);
  std::string why;
  EXPECT_FALSE(make_private_dir(dir / "open", 0700, &why));
  EXPECT_EQ(why, "is writable by other users");
}

TEST(MakePrivateDir, RefusesALinkToAFolder) {
  ScratchDir dir;
  ASSERT_EQ(::mkdir((dir / "real").c_str(), 0700), 0);
  ASSERT_EQ(::symlink((dir / "real").c_str(), (dir / "link").c_str()), 0);
  std::string why;
  EXPECT_FALSE(make_private_dir(dir / "link", 0700, &why));
  EXPECT_EQ(why, "is a symbolic link, not a directory");
}

TEST(MakePrivateDir, RefusesAFolderOfAnotherUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to make a folder owned by nobody";
  ScratchDir dir;
  ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((dir / "theirs").c_str(), 0700), 0);
  ASSERT_EQ(::chown((dir / "theirs").c_str(), 65534, 65534), 0);
  std::string why;
  EXPECT_FALSE(make_private_dir(dir / "theirs", 0700, &why));
  EXPECT_EQ(why, "belongs to uid 65534, not to this user (uid 0)");
}

}  // namespace
}  // namespace npuprobe::base
