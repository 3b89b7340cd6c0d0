// Why an address given to civetweb could not be listened on (see bind_diagnosis.cc).
#pragma once

#include <string>

namespace npuprobe::store {

// `listen` as civetweb takes it ("127.0.0.1:9464", "9464", "[::1]:9464"); returns the reason
// the kernel gives for binding it now, e.g. "Address already in use".
std::string bind_diagnosis(const std::string &listen);

}  // namespace npuprobe::store
