// gzip (RFC 1952) of a whole response body, with zlib (gzip.cc).
#pragma once

#include <string>
#include <string_view>

namespace npuprobe::store {

// The gzip member of `data`; empty only when zlib fails (out of memory), in which case the
// caller sends the body uncompressed.
std::string gzip_compress(std::string_view data);

}  // namespace npuprobe::store
