#include "dumps_key_reader.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace npuprobe::store {
namespace {

// Keys with more quotes than this (four per label, six more: fourteen labels) go to the
// general reader (vLLM's have two or three labels). The array of positions has room for one
// chunk's quotes more: the limit is checked per chunk.
constexpr std::size_t kMaxQuotes = 64;
constexpr std::size_t kQuoteRoom = kMaxQuotes + 16;
static_assert(kQuoteRoom == DumpsKeyReader::kQuoteRoom, "one limit for both readers");

// The positions of the quotes of `json` into `quotes` (kQuoteRoom of them); false on a
// backslash, a control byte, a byte >= 0x80 or more than kMaxQuotes quotes.
bool find_quotes(std::string_view json, std::uint32_t *quotes, std::size_t *count) {
  const char *const text = json.data();
  const std::size_t size = json.size();
  std::size_t found = 0;
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'),
                space = _mm_set1_epi8(0x20);
  // Sixteen bytes at `at`, the key's bytes from `base` (`skip` of them already seen): the
  // quotes of the rest noted.
  const auto chunk_ok = [&](const char *at, std::size_t base, unsigned skip) {
    const __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i *>(at));
    // Below 0x20 as a signed byte: control bytes and every byte >= 0x80.
    const __m128i special =
        _mm_or_si128(_mm_cmpeq_epi8(chunk, backslash), _mm_cmplt_epi8(chunk, space));
    const unsigned keep = 0xFFFFu << skip;
    if ((static_cast<unsigned>(_mm_movemask_epi8(special)) & keep) != 0) return false;
    unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(chunk, quote))) & keep;
    while (mask != 0) {
      quotes[found++] = static_cast<std::uint32_t>(base + static_cast<unsigned>(__builtin_ctz(mask)));
      mask &= mask - 1;
    }
    return found <= kMaxQuotes;
  };
  std::size_t at = 0;
  for (; at + 16 <= size; at += 16) {
    if (!chunk_ok(text + at, at, 0)) return false;
  }
  if (at < size) {
    if (size >= 16) {
      // The last sixteen bytes, those already seen masked off: no read past the key.
      if (!chunk_ok(text + size - 16, size - 16, static_cast<unsigned>(at + 16 - size))) {
        return false;
      }
    } else {
      // A short key, padded with spaces (neither special nor a quote).
      char padded[16];
      std::memset(padded, ' ', sizeof padded);
      std::memcpy(padded, text, size);
      if (!chunk_ok(padded, 0, 0)) return false;
    }
  }
#else
  for (std::size_t at = 0; at < size; ++at) {
    const auto c = static_cast<unsigned char>(text[at]);
    if (c == '\\' || c < 0x20 || c >= 0x80) return false;
    if (c == '"') {
      if (found == kMaxQuotes) return false;
      quotes[found++] = static_cast<std::uint32_t>(at);
    }
  }
#endif
  *count = found;
  return true;
}

// (a, b) < (c, d), first bytes compared inline: label names mostly differ there.
bool pair_less(const std::pair<std::string_view, std::string_view> &x,
               const std::pair<std::string_view, std::string_view> &y) {
  if (!x.first.empty() && !y.first.empty() && x.first[0] != y.first[0]) {
    return static_cast<unsigned char>(x.first[0]) < static_cast<unsigned char>(y.first[0]);
  }
  return x < y;
}

// `key` from the quotes of `json`, whose layout has been checked: views into `json`.
void fill_key(std::string_view json, const std::uint32_t *quotes, std::size_t count,
              EntryKeyView *key) {
  const char *const text = json.data();
  const auto string = [&](std::size_t i) {
    return std::string_view(text + quotes[2 * i] + 1, quotes[2 * i + 1] - quotes[2 * i] - 1);
  };
  const std::size_t labels = (count / 2 - 3) / 2;
  LabelViews &pairs = key->labels;
  pairs.resize(labels);
  for (std::size_t k = 0; k < labels; ++k) pairs[k] = {string(2 + 2 * k), string(3 + 2 * k)};
  key->metric_name = string(0);
  key->sample_name = string(1);
  key->help = string(count / 2 - 1);
}

// read_dumps_key, leaving the quotes' positions in `quotes` (kQuoteRoom of them) and their number
// in `count`; `names_rising`: the label names were written in strictly rising order (so a
// label's value can change without changing the order).
bool read_full(std::string_view json, EntryKeyView *key, std::uint32_t *quotes,
               std::size_t *count_out, bool *names_rising) {
  const std::size_t size = json.size();
  if (size < 2 || json[0] != '[' || json[size - 1] != ']') return false;
  std::size_t count = 0;
  if (!find_quotes(json, quotes, &count)) return false;
  // Strings: metric, sample, a name and a value per label, help.
  if (count < 6 || count % 2 != 0 || (count / 2 - 3) % 2 != 0) return false;
  if (quotes[0] != 1 || quotes[count - 1] != size - 2) return false;
  const char *const text = json.data();
  // Whether what lies between string i and string i + 1 is `expected` (a literal: the compare
  // is a load or two).
  const auto gap_is = [&](std::size_t i, const auto &expected) {
    constexpr std::size_t n = sizeof expected - 1;
    const std::size_t from = quotes[2 * i + 1] + 1;
    return quotes[2 * i + 2] - from == n && std::memcmp(text + from, expected, n) == 0;
  };
  const std::size_t labels = (count / 2 - 3) / 2;
  if (!gap_is(0, ", ") || !(labels == 0 ? gap_is(1, ", {}, ") : gap_is(1, ", {"))) return false;
  for (std::size_t k = 0; k < labels; ++k) {
    if (!gap_is(2 + 2 * k, ": ") || !(k + 1 < labels ? gap_is(3 + 2 * k, ", ")
                                                     : gap_is(3 + 2 * k, "}, "))) {
      return false;
    }
  }
  fill_key(json, quotes, count, key);
  *count_out = count;
  LabelViews &pairs = key->labels;
  *names_rising = true;
  for (std::size_t k = 1; k < pairs.size() && *names_rising; ++k) {
    *names_rising = pairs[k - 1].first < pairs[k].first;
  }
  // json.dumps(sort_keys=True) wrote them sorted; other writers may not have.
  if (!*names_rising && !std::is_sorted(pairs.begin(), pairs.end(), pair_less)) {
    std::sort(pairs.begin(), pairs.end());
  }
  return true;
}

// How many bytes `a` and `b` have in common from the start, at most `n`.
std::size_t common_prefix(const char *a, const char *b, std::size_t n) {
  std::size_t i = 0;
#if defined(__SSE2__)
  for (; i + 16 <= n; i += 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i *>(a + i));
    const __m128i y = _mm_loadu_si128(reinterpret_cast<const __m128i *>(b + i));
    const unsigned differ = ~static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, y))) & 0xFFFFu;
    if (differ != 0) return i + static_cast<unsigned>(__builtin_ctz(differ));
  }
  if (i < n && n >= 16) {
    // The last bytes short of a chunk: the sixteen ending at n, those already compared masked
    // off.
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i *>(a + n - 16));
    const __m128i y = _mm_loadu_si128(reinterpret_cast<const __m128i *>(b + n - 16));
    const unsigned fresh = 0xFFFFu & ~(0xFFFFu >> (n - i));  // the n - i highest bytes
    const unsigned differ = ~static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, y))) & fresh;
    return differ == 0 ? n : n - 16 + static_cast<unsigned>(__builtin_ctz(differ));
  }
#endif
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

// How many bytes the `n` before `a_end` and before `b_end` have in common from the end.
std::size_t common_suffix(const char *a_end, const char *b_end, std::size_t n) {
  std::size_t i = 0;
#if defined(__SSE2__)
  for (; i + 16 <= n; i += 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i *>(a_end - i - 16));
    const __m128i y = _mm_loadu_si128(reinterpret_cast<const __m128i *>(b_end - i - 16));
    const unsigned differ = ~static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, y))) & 0xFFFFu;
    // The highest differing byte is the one nearest the end.
    if (differ != 0) return i + 15 - static_cast<unsigned>(31 - __builtin_clz(differ));
  }
  if (i < n && n >= 16) {
    // The last bytes short of a chunk: the sixteen ending n bytes before the ends, those
    // already compared masked off.
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i *>(a_end - n));
    const __m128i y = _mm_loadu_si128(reinterpret_cast<const __m128i *>(b_end - n));
    const unsigned fresh = 0xFFFFu >> (16 - (n - i));  // the n - i lowest bytes
    const unsigned differ = ~static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, y))) & fresh;
    if (differ == 0) return n;
    return n - 1 - static_cast<unsigned>(31 - __builtin_clz(differ));
  }
#endif
  while (i < n && a_end[-1 - static_cast<std::ptrdiff_t>(i)] == b_end[-1 - static_cast<std::ptrdiff_t>(i)]) ++i;
  return i;
}

// Whether `text` may stand inside a string of the layout: printable ASCII, no quote, no
// backslash.
bool plain_string_bytes(std::string_view text) {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x80 || c == '"' || c == '\\') return false;
  }
  return true;
}

}  // namespace

bool read_dumps_key(std::string_view json, EntryKeyView *key) {
  std::uint32_t quotes[kQuoteRoom];
  std::size_t count = 0;
  bool names_rising = false;
  return read_full(json, key, quotes, &count, &names_rising);
}

bool DumpsKeyReader::read(std::string_view json, EntryKeyView *key) {
  if (last_ready_ && read_like_last(json, key)) {
    last_ = json;
    return true;
  }
  bool names_rising = false;
  const bool read = read_full(json, key, quotes_, &count_, &names_rising);
  // Only a key whose labels' order no value can change is a model for the next one.
  last_ready_ = read && names_rising;
  last_ = json;
  if (last_ready_) {
    strings_[0] = key->metric_name;
    strings_[1] = key->sample_name;
    strings_[2] = key->help;
    last_labels_.assign(key->labels.begin(), key->labels.end());
  }
  return read;
}

bool DumpsKeyReader::read_like_last(std::string_view json, EntryKeyView *key) {
  const std::size_t old_size = last_.size(), size = json.size();
  const std::size_t shorter = std::min(old_size, size);
  const std::size_t prefix = common_prefix(last_.data(), json.data(), shorter);
  const std::size_t suffix =
      common_suffix(last_.data() + old_size, json.data() + size, shorter - prefix);
  // What changed: [prefix, old_end) of the last key became [prefix, size - suffix) of this one.
  const std::size_t old_end = old_size - suffix;
  // It must lie inside one string's content: the first string closed at or after old_end must
  // open before prefix (else a quote or a separator changed).
  const std::size_t strings = count_ / 2;
  std::size_t j = 0;
  while (j < strings && quotes_[2 * j + 1] < old_end) ++j;
  if (j == strings || quotes_[2 * j] >= prefix) return false;
  // Not a label's name: the labels' order could change with it.
  if (j >= 2 && j + 1 < strings && (j - 2) % 2 == 0) return false;
  if (!plain_string_bytes(json.substr(prefix, size - suffix - prefix))) return false;
  // The quotes from that string's closing one on move by the change in length (modulo 2^32:
  // a shorter key moves them back).
  const auto delta = static_cast<std::uint32_t>(size - old_size);
  for (std::size_t q = 2 * j + 1; q < count_; ++q) quotes_[q] += delta;
  // The other strings are where the keys before left them (the same bytes, still in memory):
  // only string j is taken from this key.
  const std::string_view changed(json.data() + quotes_[2 * j] + 1,
                                 quotes_[2 * j + 1] - quotes_[2 * j] - 1);
  if (j < 2) {
    strings_[j] = changed;
  } else if (j + 1 == strings) {
    strings_[2] = changed;  // the help
  } else {
    last_labels_[(j - 2) / 2].second = changed;  // a label's value
  }
  key->metric_name = strings_[0];
  key->sample_name = strings_[1];
  key->help = strings_[2];
  key->labels.assign(last_labels_.begin(), last_labels_.end());
  return true;
}

}  // namespace npuprobe::store
