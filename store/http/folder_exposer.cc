#include "npuprobe/store/folder_exposer.h"

#include <prometheus/exposer.h>

#include "npuprobe/store/folder_collectable.h"

namespace npuprobe::store {

std::unique_ptr<FolderExposer> FolderExposer::start(const std::string &listen,
                                                    std::string directory, FormatPreference format,
                                                    std::string *error) {
  std::unique_ptr<FolderExposer> exposer(new FolderExposer());
  try {
    exposer->collectable_ = std::make_shared<FolderCollectable>(std::move(directory), format);
    exposer->exposer_ = std::make_unique<prometheus::Exposer>(listen, 2);
    exposer->exposer_->RegisterCollectable(exposer->collectable_, "/metrics");
  } catch (const std::exception &e) {
    if (error) *error = "cannot listen on " + listen + ": " + e.what();
    return nullptr;
  }
  return exposer;
}

FolderExposer::~FolderExposer() = default;

std::vector<int> FolderExposer::listening_ports() const {
  return exposer_->GetListeningPorts();
}

}  // namespace npuprobe::store
