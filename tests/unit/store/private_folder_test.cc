#include "npuprobe/store/private_folder.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/temp_dir.h"

namespace npuprobe::store {
namespace {

TEST(PrivateFolder, PerUserAndSession) {
  const std::string path = private_folder_path("/base");
  EXPECT_EQ(path,
            "/base/npuprobe-" + std::to_string(::getuid()) + "-" + std::to_string(::getsid(0)));
}

TEST(PrivateFolder, CreatedPrivateAndRefusedWhenOthersCanWrite) {
  testing::TempDir dir;
  const std::string path = dir.file("store");
  std::string error;
  ASSERT_TRUE(prepare_private_folder(path, &error)) << error;
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  EXPECT_TRUE(prepare_private_folder(path, &error)) << "an existing good folder is reused";
  ::chmod(path.c_str(), 0777);
  EXPECT_FALSE(prepare_private_folder(path, &error));
  EXPECT_NE(error.find("writable by other users"), std::string::npos) << error;
  ::rmdir(path.c_str());
  ASSERT_EQ(::symlink("/tmp", path.c_str()), 0);
  EXPECT_FALSE(prepare_private_folder(path, &error));
  ::unlink(path.c_str());
}

}  // namespace
}  // namespace npuprobe::store
