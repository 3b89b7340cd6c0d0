// Opening files on a host that may be hostile.
//
// Every path npuprobe reads or writes can be something other than it seems: a FIFO that blocks
// open() and read() forever, a device, a sparse file that claims gigabytes, a symlink planted by
// another user where a root process writes. These functions are the only way npuprobe opens a
// file it did not just create itself:
//   - reads never block (O_NONBLOCK on open), accept only regular files, and never read more
//     than the caller's limit, even from a file that grows while it is read;
//   - writes never follow a link (O_NOFOLLOW) and new files are created with O_EXCL, so an
//     existing file, link or FIFO at the path is refused, not reused;
//   - a whole-file write goes to a fresh temporary file and is renamed over the target: rename
//     replaces a planted link instead of writing through it.
// A refusal returns false/-1 and one short reason in *why ("is a FIFO", "larger than 1 MiB");
// the caller names the path in one rate-limited log line and goes on without the file.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace npuprobe::base {

enum class Links { kFollow, kRefuse };

// "regular file", "FIFO", "directory", "socket", "character device", ... for messages.
const char *file_kind(mode_t mode);

// Why an opened descriptor is not a regular file ("is a FIFO, not a regular file", or fstat's
// error), "" when it is one; `info` receives its fstat. For callers that must open a file
// another way (read-write, as the control segment) and check it as the functions below do.
std::string why_not_regular(int fd, struct stat *info);

// What becomes of O_NONBLOCK once the file is known to be regular. kLeave saves two fcntl
// calls for a caller that only pread()s it (Linux ignores O_NONBLOCK for regular files): a
// collection opens every file of a store folder at every scrape.
enum class Blocking { kRestore, kLeave };

// Opens `path` read-only without blocking and checks it is a regular file of at most
// `max_bytes` bytes. Returns a descriptor (O_CLOEXEC, blocking mode restored unless kLeave) or
// -1 with *why. `info` (optional) receives the fstat of what was opened. kRefuse also refuses a
// final link.
int open_regular_for_read(const std::string &path, std::size_t max_bytes, std::string *why,
                          struct stat *info = nullptr, Links links = Links::kFollow,
                          Blocking blocking = Blocking::kRestore);

// Up to `length` bytes at `offset` into `out`, EINTR and short reads retried, stopping where
// the file ends: how many were read, or -1 on a read error (errno says which). The one pread
// loop every reader below (and the store's) is built on.
ssize_t pread_up_to(int fd, std::size_t offset, void *out, std::size_t length);

// Reads up to `length` bytes at `offset` into *out (replacing it); a shorter result means the
// file ended. Retries EINTR; false with *why on a read error.
bool read_at_most(int fd, std::size_t offset, std::size_t length, std::string *out,
                  std::string *why);

// Exactly `length` bytes at `offset` into `out` (EINTR and short reads retried); false when
// the file ends first (say, truncated by someone else) or a read fails.
bool read_exact_at(int fd, std::size_t offset, void *out, std::size_t length);

// All of `data` at `offset` (EINTR and short writes retried); false on an error or when the
// file takes no more.
bool write_all_at(int fd, std::size_t offset, const void *data, std::size_t length);

// The whole file, checked as open_regular_for_read does; false when it is not a regular file,
// is larger than `max_bytes` (also when it grew past the limit while being read), or fails.
bool read_regular_file(const std::string &path, std::size_t max_bytes, std::string *out,
                       std::string *why, Links links = Links::kFollow);

// Creates a new file: O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | `access` (O_WRONLY or
// O_RDWR). Whatever already exists at the path (a file, a link, a FIFO) is refused (EEXIST).
int create_new_file(const std::string &path, int access, mode_t mode, std::string *why);

// Replaces `path` with `content`: written to "<path>.tmp<pid>" created by create_new_file (a
// stale temporary of ours is removed first, never followed), then renamed over `path`.
bool replace_file(const std::string &path, std::string_view content, mode_t mode,
                  std::string *why);

// The same with the caller's name for the temporary (a writer's own convention, such as a
// dot-name its readers skip); `temporary` must be in the folder of `path`.
bool replace_file_using(const std::string &path, const std::string &temporary,
                        std::string_view content, mode_t mode, std::string *why);

// Opens a log file to append to: created if missing (O_EXCL first, so a link appearing between
// the two calls is still refused), never through a link, never blocking, and only a regular file
// owned by the effective user is accepted.
int open_for_append(const std::string &path, mode_t mode, std::string *why);

}  // namespace npuprobe::base
