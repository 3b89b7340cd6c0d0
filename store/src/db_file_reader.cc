#include "npuprobe/store/db_file_reader.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "npuprobe/base/checked_file.h"
#include "npuprobe/store/db_file_format.h"

namespace npuprobe::store {
namespace {

template <typename T>
T load(std::string_view bytes, std::size_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

bool fail(std::string *error, const std::string &message) {
  if (error) *error = message;
  return false;
}

}  // namespace

bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  // ASCII, 32 then eight bytes at a time: the keys json.dumps writes are ASCII, and every key
  // is checked by each walk over its file.
#if defined(__SSE2__)
  while (i + 32 <= text.size()) {
    const auto *at = reinterpret_cast<const __m128i *>(text.data() + i);
    if (_mm_movemask_epi8(_mm_or_si128(_mm_loadu_si128(at), _mm_loadu_si128(at + 1))) != 0) break;
    i += 32;
  }
#endif
  while (i + 8 <= text.size()) {
    std::uint64_t word;
    std::memcpy(&word, text.data() + i, sizeof word);
    if ((word & 0x8080808080808080ULL) != 0) break;
    i += 8;
  }
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = 1;
    std::uint32_t cp = lead;
    if (lead >= 0x80) {
      if ((lead & 0xE0) == 0xC0)
        length = 2, cp = lead & 0x1F;
      else if ((lead & 0xF0) == 0xE0)
        length = 3, cp = lead & 0x0F;
      else if ((lead & 0xF8) == 0xF0)
        length = 4, cp = lead & 0x07;
      else
        return false;
      if (i + length > text.size()) return false;
      for (std::size_t k = 1; k < length; ++k) {
        const auto next = static_cast<unsigned char>(text[i + k]);
        if ((next & 0xC0) != 0x80) return false;
        cp = (cp << 6) | (next & 0x3F);
      }
      static constexpr std::uint32_t kMinimum[5] = {0, 0, 0x80, 0x800, 0x10000};
      if (cp < kMinimum[length] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    }
    i += length;
  }
  return true;
}

namespace {

// Walks the entries of `bytes`, handing each key and the offset of its value to `on_entry`
// (which returns false to stop the walk as a failure). A prefix (`cut_ok`) may end before
// `used`: it stops after the last whole entry it holds instead of failing.
template <typename OnEntry>
bool walk_entries(std::string_view bytes, StoreFormat format, bool cut_ok, OnEntry &&on_entry,
                  std::string *error) {
  if (bytes.empty()) return fail(error, "zero-length file (prometheus_client fails on it)");
  if (bytes.size() < kDbHeaderSize) return fail(error, "file shorter than the 8-byte header");
  const auto used = load<std::int32_t>(bytes, 0);
  // note: prometheus_client treats used=0 as empty: it is what a reader sees between Python's
  // truncate() of a new file and its first store of `used`.
  if (used == 0) return true;
  if (used < static_cast<std::int32_t>(kDbHeaderSize)) {
    return fail(error, "header says used=" + std::to_string(used) + ", less than the header");
  }
  const bool cut = cut_ok && static_cast<std::size_t>(used) > bytes.size();
  if (!cut && static_cast<std::size_t>(used) > bytes.size()) {
    return fail(error, "header says used=" + std::to_string(used) + " but the file has only " +
                           std::to_string(bytes.size()) + " bytes");
  }
  const auto end = static_cast<std::size_t>(used);
  const std::size_t have = cut ? bytes.size() : end;
  std::size_t pos = kDbHeaderSize;
  // Only a failure names the entry: nothing is formatted for the entries that are fine.
  const auto where = [&pos] { return " (entry at offset " + std::to_string(pos) + ")"; };
  while (pos < end) {
    if (cut && have - pos < 4) return true;
    if (end - pos < 4) return fail(error, "truncated entry header" + where());
    const auto length = load<std::int32_t>(bytes, pos);
    if (length < 0) return fail(error, "negative key length" + where());
    // prometheus_client's keys are JSON arrays, never empty; a run of zeros (a sparse file whose
    // header claims its whole size) stops here instead of becoming millions of entries.
    if (length == 0) return fail(error, "empty key" + where());
    const std::size_t size = db_entry_size(static_cast<std::uint32_t>(length), format);
    if (static_cast<std::size_t>(length) > end || size > end - pos) {
      return fail(error, "entry runs past used=" + std::to_string(used) + where());
    }
    if (cut && size > have - pos) return true;
    const std::string_view key = bytes.substr(pos + 4, static_cast<std::size_t>(length));
    if (!is_valid_utf8(key)) return fail(error, "key is not valid UTF-8" + where());
    if (!on_entry(key, pos + db_value_offset_in_entry(static_cast<std::uint32_t>(length)))) {
      return false;
    }
    pos += size;
  }
  return true;
}

bool parse_entries(std::string_view bytes, StoreFormat format, bool cut_ok,
                   std::vector<DbEntry> &entries, std::string *error) {
  return walk_entries(
      bytes, format, cut_ok,
      [&](std::string_view key, std::size_t value_at) {
        DbEntry entry{std::string(key), load<double>(bytes, value_at), 0};
        if (format == StoreFormat::kV2) entry.timestamp = load<double>(bytes, value_at + 8);
        entries.push_back(std::move(entry));
        return true;
      },
      error);
}

// What detect asks of every key: bracketed as a JSON array (a cheap look, not a parse).
bool looks_like_json_array(std::string_view key) {
  return key.size() >= 2 && key.front() == '[' && key.back() == ']';
}

// A header that says no entry was ever written (`used` 0, or just the header): either format.
bool has_empty_header(std::string_view bytes) {
  if (bytes.size() < kDbHeaderSize) return false;
  const auto used = load<std::int32_t>(bytes, 0);
  return used == 0 || used == static_cast<std::int32_t>(kDbHeaderSize);
}

// Whether every entry is whole in `format` and its key looks like a JSON array, copying
// nothing.
bool parses_as(std::string_view bytes, StoreFormat format, bool cut_ok) {
  std::size_t count = 0;
  const bool whole = walk_entries(
      bytes, format, cut_ok,
      [&count](std::string_view key, std::size_t) {
        ++count;
        return looks_like_json_array(key);
      },
      nullptr);
  // A prefix that holds no whole entry tells nothing.
  return whole && count > 0;
}

DetectedFormat detect(std::string_view bytes, bool cut_ok) {
  if (has_empty_header(bytes)) return DetectedFormat::kEmpty;
  const bool v1 = parses_as(bytes, StoreFormat::kV1, cut_ok);
  const bool v2 = parses_as(bytes, StoreFormat::kV2, cut_ok);
  if (v1 == v2) return DetectedFormat::kUnknown;
  return v1 ? DetectedFormat::kV1 : DetectedFormat::kV2;
}

// The entries of `bytes` in `format` as views (`entries` cleared first). `json_arrays`: also
// refuses a key that is not bracketed as a JSON array, as detect does.
bool walk_views(std::string_view bytes, StoreFormat format, std::vector<DbEntryView> &entries,
                bool json_arrays, std::string *error) {
  entries.clear();
  return walk_entries(
      bytes, format, /*cut_ok=*/false,
      [&](std::string_view key, std::size_t value_at) {
        if (json_arrays && !looks_like_json_array(key)) return false;
        const auto start = static_cast<std::uint32_t>(key.data() - bytes.data() - 4);
        DbEntryView entry{key, load<double>(bytes, value_at), 0, start,
                          static_cast<std::uint32_t>(value_at)};
        if (format == StoreFormat::kV2) entry.timestamp = load<double>(bytes, value_at + 8);
        entries.push_back(entry);
        return true;
      },
      error);
}

// What detect finds of one format (parses_as), keeping the entries.
bool parse_views_as_detect_does(std::string_view bytes, StoreFormat format,
                                std::vector<DbEntryView> &entries) {
  return walk_views(bytes, format, entries, /*json_arrays=*/true, nullptr) && !entries.empty();
}

}  // namespace

DetectedFormat detect_and_parse_db_views(std::string_view bytes,
                                         std::vector<DbEntryView> &entries) {
  entries.clear();
  if (has_empty_header(bytes)) return DetectedFormat::kEmpty;
  // As detect: exactly one of the two formats must hold. The walk in the wrong one stops where
  // it fails, within an entry or two.
  if (parse_views_as_detect_does(bytes, StoreFormat::kV1, entries)) {
    return parses_as(bytes, StoreFormat::kV2, false) ? DetectedFormat::kUnknown
                                                     : DetectedFormat::kV1;
  }
  return parse_views_as_detect_does(bytes, StoreFormat::kV2, entries) ? DetectedFormat::kV2
                                                                      : DetectedFormat::kUnknown;
}

bool parse_db_bytes(std::string_view bytes, StoreFormat format, std::vector<DbEntry> &entries,
                    std::string *error) {
  return parse_entries(bytes, format, /*cut_ok=*/false, entries, error);
}

bool parse_db_views(std::string_view bytes, StoreFormat format, std::vector<DbEntryView> &entries,
                    std::string *error) {
  return walk_views(bytes, format, entries, /*json_arrays=*/false, error);
}

namespace {

// Reads [from, to) of `fd` into `bytes` (already that long), up to `to` or the end of the file
// (truncated meanwhile: what it holds is read); `done` says where it stopped.
bool pread_range(int fd, std::string &bytes, std::size_t from, std::size_t to, std::size_t *done,
                 std::string *problem) {
  const ssize_t n = base::pread_up_to(fd, from, &bytes[from], to - from);
  if (n < 0) {
    *done = from;
    *problem = std::strerror(errno);
    return false;
  }
  *done = from + static_cast<std::size_t>(n);
  return true;
}

}  // namespace

bool read_db_file_bytes(const std::string &path, std::string &bytes, std::string *error,
                        std::size_t at_most) {
  std::string problem;
  struct stat info {};
  // Never blocks (a FIFO named like a store file), only a regular file, at most the limit.
  const int fd = base::open_regular_for_read(path, kMaxDbFileBytes, &problem, &info,
                                               base::Links::kFollow, base::Blocking::kLeave);
  if (fd < 0) {
    bytes.clear();
    return fail(error, path + ": " + problem);
  }
  // `used` is trusted only up to what the file holds: a header that claims more is read as
  // far as the file goes (and then found corrupt), never allocated.
  const std::size_t size = std::min(static_cast<std::size_t>(info.st_size), at_most);
  // The buffer is read into as long as it already is (a collection reuses one for every file):
  // only where it grows is it zero-filled first, never byte for byte what pread overwrites.
  const std::size_t first = std::min<std::size_t>(size, 4096);
  if (bytes.size() < first) bytes.resize(first);
  std::size_t done = 0;
  bool ok = pread_range(fd, bytes, 0, first, &done, &problem);
  if (ok && done >= 4) {
    const auto used = load<std::int32_t>(bytes, 0);
    const std::size_t wanted = used > 0 ? std::min(static_cast<std::size_t>(used), size) : 0;
    // The rest, behind what is there (each file of a folder is read once, not its first 4 KiB
    // twice), up to the `used` read first: a writer may have published more since, and the
    // entries up to the first `used` are what this read promises.
    if (wanted > done) {
      if (bytes.size() < wanted) bytes.resize(wanted);
      ok = pread_range(fd, bytes, done, wanted, &done, &problem);
    }
  }
  bytes.resize(ok ? done : 0);
  ::close(fd);
  if (!ok) return fail(error, path + ": read failed: " + problem);
  return true;
}

bool read_db_file(const std::string &path, StoreFormat format, std::vector<DbEntry> &entries,
                  std::string *error) {
  std::string bytes;
  if (!read_db_file_bytes(path, bytes, error)) return false;
  std::string problem;
  if (!parse_db_bytes(bytes, format, entries, &problem)) {
    return fail(error, path + ": corrupt " + std::string(to_string(format)) + " file: " + problem);
  }
  return true;
}

DetectedFormat detect_db_format(std::string_view bytes) { return detect(bytes, false); }

DetectedFormat detect_db_format_of_prefix(std::string_view prefix) { return detect(prefix, true); }

}  // namespace npuprobe::store
