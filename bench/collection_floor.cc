// The physical limits of a collection on this machine, beside which bench/collection_bench.py
// puts `npuprobe dump` and `npuprobe serve`:
//
//   collection_floor read FOLDER REPS   the entries of every *.db file of FOLDER read once, as
//                                       any collector must: the folder listed, each file opened,
//                                       its size taken, its first 4 KiB read (the header says
//                                       how many bytes hold entries: prometheus_client's files
//                                       are mostly unused space), then the rest of those bytes,
//                                       into a buffer kept from file to file; closed. Bytes at
//                                       the page cache's speed.
//   collection_floor format TEXT REPS   the exposition in file TEXT made again at least cost:
//                                       every sample line's name and labels copied and its value
//                                       formatted (std::to_chars, shortest round trip, the least
//                                       a float-to-text takes), every comment line copied, into
//                                       one buffer. Lines formatted, with nothing decoded, looked
//                                       up or merged.
//   collection_floor start              returns at once: the caller times a process start (exec,
//                                       the dynamic loader, the C++ runtime), which every run of
//                                       `npuprobe dump` pays.
//
// read and format print one JSON object: the median ms over REPS runs after one warm-up, and
// what was read or made. Standard C++ and POSIX only.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

double now_ms() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// One pass over the folder; returns the bytes read.
std::uint64_t read_folder(const std::string &folder, std::vector<char> &buffer,
                          std::size_t *files) {
  std::uint64_t bytes = 0;
  *files = 0;
  DIR *dir = opendir(folder.c_str());
  if (dir == nullptr) return 0;
  std::vector<std::string> names;
  while (const dirent *item = readdir(dir)) {
    const std::size_t n = std::strlen(item->d_name);
    if (n > 3 && item->d_name[0] != '.' && std::strcmp(item->d_name + n - 3, ".db") == 0) {
      names.push_back(folder + "/" + item->d_name);
    }
  }
  closedir(dir);
  std::sort(names.begin(), names.end());
  for (const std::string &name : names) {
    const int fd = open(name.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    struct stat info {};
    if (fstat(fd, &info) == 0 && info.st_size > 0) {
      const auto size = static_cast<std::size_t>(info.st_size);
      if (buffer.size() < size) buffer.resize(size);
      const ssize_t got = pread(fd, buffer.data(), std::min<std::size_t>(size, 4096), 0);
      if (got >= 4) {
        std::uint32_t used = 0;
        std::memcpy(&used, buffer.data(), sizeof used);  // the header's first field
        const std::size_t wanted = std::min<std::size_t>(used, size);
        bytes += static_cast<std::uint64_t>(got);
        if (wanted > static_cast<std::size_t>(got)) {
          const ssize_t rest = pread(fd, buffer.data() + got, wanted - static_cast<std::size_t>(got),
                                     got);
          if (rest > 0) bytes += static_cast<std::uint64_t>(rest);
        }
      }
    }
    close(fd);
    ++*files;
  }
  return bytes;
}

int read_floor(const std::string &folder, int reps) {
  std::vector<char> buffer;
  std::vector<double> times;
  std::uint64_t bytes = 0;
  std::size_t files = 0;
  for (int i = 0; i <= reps; ++i) {
    const double t0 = now_ms();
    bytes = read_folder(folder, buffer, &files);
    const double t1 = now_ms();
    if (i > 0) times.push_back(t1 - t0);  // the first pass warms the page cache
  }
  std::printf("{\"read_ms\": %.4f, \"files\": %zu, \"bytes\": %llu}\n", median(times), files,
              static_cast<unsigned long long>(bytes));
  return 0;
}

// A sample line split once, before timing: what goes before the value, and the value.
struct Line {
  std::string head;  // "name{labels} " or a whole comment line
  bool sample = false;
  double value = 0;
};

int format_floor(const std::string &path, int reps) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "collection_floor: cannot read %s\n", path.c_str());
    return 1;
  }
  std::vector<Line> lines;
  std::size_t samples = 0;
  for (std::string text; std::getline(in, text);) {
    Line line;
    const std::size_t space = text.rfind(' ');
    if (!text.empty() && text[0] != '#' && space != std::string::npos) {
      line.head = text.substr(0, space + 1);
      line.value = std::strtod(text.c_str() + space + 1, nullptr);
      line.sample = true;
      ++samples;
    } else {
      line.head = text;
    }
    lines.push_back(std::move(line));
  }
  std::vector<char> out;
  std::vector<double> times;
  std::size_t made = 0;
  for (int i = 0; i <= reps; ++i) {
    const double t0 = now_ms();
    std::size_t at = 0;
    for (const Line &line : lines) {
      if (out.size() < at + line.head.size() + 32) out.resize((at + line.head.size() + 32) * 2);
      std::memcpy(out.data() + at, line.head.data(), line.head.size());
      at += line.head.size();
      if (line.sample) {
        at = static_cast<std::size_t>(
            std::to_chars(out.data() + at, out.data() + out.size(), line.value).ptr - out.data());
      }
      out[at++] = '\n';
    }
    const double t1 = now_ms();
    made = at;
    if (i > 0) times.push_back(t1 - t0);  // the first pass grows the buffer
  }
  std::printf("{\"format_ms\": %.4f, \"lines\": %zu, \"samples\": %zu, \"bytes\": %zu}\n",
              median(times), lines.size(), samples, made);
  return 0;
}

}  // namespace

int main(int argc, char **argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "start") return 0;
  if ((mode == "read" || mode == "format") && argc == 4) {
    const int reps = std::max(1, std::atoi(argv[3]));
    return mode == "read" ? read_floor(argv[2], reps) : format_floor(argv[2], reps);
  }
  std::fprintf(stderr,
               "usage: collection_floor read FOLDER REPS | format TEXT REPS | start\n");
  return 2;
}
