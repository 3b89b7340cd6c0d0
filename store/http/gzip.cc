// One deflate pass over the whole body: a scrape body is at most a few megabytes and is built
// in memory anyway, so streaming would buy nothing. windowBits 15 + 16 makes zlib write the gzip
// header and trailer itself. Level 6 is zlib's default (Python's gzip.compress uses 9; a
// scraper decodes either the same).
#include "npuprobe/store/gzip.h"

#include <zlib.h>

namespace npuprobe::store {

std::string gzip_compress(std::string_view data) {
  if (data.size() > 0xffffffffu) return {};  // avail_in is 32 bits
  z_stream stream{};
  if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return {};
  }
  std::string out(deflateBound(&stream, static_cast<uLong>(data.size())), '\0');
  stream.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef *>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return rc == Z_STREAM_END ? out : std::string();
}

}  // namespace npuprobe::store
