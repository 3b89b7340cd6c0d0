// A fresh directory under $TMPDIR (or /tmp), removed with its files when the object dies.
#pragma once

#include <string>
#include <vector>

namespace npuprobe::store::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;

  const std::string &path() const { return path_; }
  std::string file(const std::string &name) const { return path_ + "/" + name; }
  std::vector<std::string> file_names() const;  // sorted, dot-files included

 private:
  std::string path_;
};

// Names in `directory`, sorted, dot-files included (not . and ..).
std::vector<std::string> list_file_names(const std::string &directory);

void write_file(const std::string &path, const std::string &bytes);
void copy_file(const std::string &from, const std::string &to);

}  // namespace npuprobe::store::testing
