// The control segment and its semaphore as files under /dev/shm, opened the way a hostile host
// requires (docs/hostile-host.md, "Folders, registry and control segment").
//
// The segment is mode 0666 (shared with other users' ms_service_metric), so any local user can
// truncate it, put a FIFO or a link at its name, or fill it with anything. npuprobe therefore
// never maps it: shm_open would block on a FIFO and a mapping turns a truncation by someone else
// into SIGBUS. It is opened here with O_NOFOLLOW | O_NONBLOCK, checked with fstat (a regular file
// of a plausible size) and read and written with pread / pwrite, whose worst case after a
// truncation is a short read, reported as a malformed segment.
#pragma once

#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace npuprobe::config {

// The largest segment a valid MS_SERVICE_METRIC_MAX_PROCS can give: 36 + 4 * 1000000 bytes.
inline constexpr std::size_t kMaxSegmentBytes = 36 + 4 * 1000000;

// "/dev/shm/<name without its leading slash>", where glibc's shm_open and sem_open put POSIX
// shared memory ("sem." before a semaphore's name). Empty when `name` is not a valid name (a
// further slash, or nothing after the first).
std::string shm_file_path(const std::string &name, const char *kind_prefix = "");

// Opens an existing segment file (O_RDONLY or O_RDWR) without following a link and without
// blocking, and checks it is a regular file of at most kMaxSegmentBytes. -1 with `error` empty
// when nothing is there, -1 with `error` set ("<path>: is a FIFO, not a regular file") when it
// is refused. `info` receives its fstat.
int open_segment_file(const std::string &path, int access, struct stat *info,
                      std::string *error);

// Reads go through base::read_exact_at (false when fewer bytes are there: truncated).
// Writes 4 bytes at `offset`; false on a short write or error.
bool write_u32(int fd, std::size_t offset, std::uint32_t value);

}  // namespace npuprobe::config
