#include "component_list.h"

namespace npuprobe::preload {

bool ComponentList::add(Component &part) noexcept {
  if (count_ == kCapacity) return false;
  parts_[count_++] = &part;
  return true;
}

void ComponentList::before_flush(const FlushContext &context) {
  for (std::size_t i = 0; i < count_; ++i) parts_[i]->before_flush(context);
}

void ComponentList::after_flush(const FlushResult &result) noexcept {
  for (std::size_t i = 0; i < count_; ++i) parts_[i]->after_flush(result);
}

void ComponentList::on_first_use_of_device(std::uint64_t devices) noexcept {
  for (std::size_t i = 0; i < count_; ++i) parts_[i]->on_first_use_of_device(devices);
}

void ComponentList::before_fork() noexcept {
  for (std::size_t i = count_; i > 0; --i) parts_[i - 1]->before_fork();
}

void ComponentList::after_fork_in_parent() noexcept {
  for (std::size_t i = 0; i < count_; ++i) parts_[i]->after_fork_in_parent();
}

void ComponentList::after_fork_in_child() noexcept {
  for (std::size_t i = 0; i < count_; ++i) parts_[i]->after_fork_in_child();
}

void ComponentList::stop_npu_collection() noexcept {
  for (std::size_t i = 0; i < count_; ++i) parts_[i]->stop_npu_collection();
}

void ComponentList::stop() noexcept {
  for (std::size_t i = count_; i > 0; --i) parts_[i - 1]->stop();
}

}  // namespace npuprobe::preload
