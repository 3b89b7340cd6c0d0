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

}  // namespace

bool read_dumps_key(std::string_view json, EntryKeyView *key) {
  const std::size_t size = json.size();
  if (size < 2 || json[0] != '[' || json[size - 1] != ']') return false;
  std::uint32_t quotes[kQuoteRoom];
  std::size_t count = 0;
  if (!find_quotes(json, quotes, &count)) return false;
  // Strings: metric, sample, a name and a value per label, help.
  if (count < 6 || count % 2 != 0 || (count / 2 - 3) % 2 != 0) return false;
  if (quotes[0] != 1 || quotes[count - 1] != size - 2) return false;
  const char *const text = json.data();
  const auto string = [&](std::size_t i) {
    return std::string_view(text + quotes[2 * i] + 1, quotes[2 * i + 1] - quotes[2 * i] - 1);
  };
  // Whether what lies between string i and string i + 1 is `expected` (a literal: the compare
  // is a load or two).
  const auto gap_is = [&](std::size_t i, const auto &expected) {
    constexpr std::size_t n = sizeof expected - 1;
    const std::size_t from = quotes[2 * i + 1] + 1;
    return quotes[2 * i + 2] - from == n && std::memcmp(text + from, expected, n) == 0;
  };
  const std::size_t labels = (count / 2 - 3) / 2;
  if (!gap_is(0, ", ") || !(labels == 0 ? gap_is(1, ", {}, ") : gap_is(1, ", {"))) return false;
  LabelViews &pairs = key->labels;
  pairs.resize(labels);
  for (std::size_t k = 0; k < labels; ++k) {
    if (!gap_is(2 + 2 * k, ": ") || !(k + 1 < labels ? gap_is(3 + 2 * k, ", ")
                                                     : gap_is(3 + 2 * k, "}, "))) {
      return false;
    }
    pairs[k] = {string(2 + 2 * k), string(3 + 2 * k)};
  }
  key->metric_name = string(0);
  key->sample_name = string(1);
  key->help = string(count / 2 - 1);
  // json.dumps(sort_keys=True) wrote them sorted; other writers may not have.
  if (!std::is_sorted(pairs.begin(), pairs.end(), pair_less)) {
    std::sort(pairs.begin(), pairs.end());
  }
  return true;
}

}  // namespace npuprobe::store
