#include "sample_table.h"

#include <algorithm>
#include <functional>

namespace npuprobe::store {

bool SampleTable::has_name(std::string_view name) const {
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (this->name(i) == name) return true;
  }
  return false;
}

Sample SampleTable::to_sample(std::size_t i) const {
  Sample sample{std::string(name(i)), {}, slots_[i].value};
  sample.labels.reserve(slots_[i].label_count);
  for_each_label(i, [&sample](std::string_view label, std::string_view value) {
    sample.labels.emplace_back(label, value);
  });
  return sample;
}

char *SampleTable::room(std::size_t size) {
  if (size > block_left_) {
    // Blocks double up to 64 KiB: a family of a few samples takes little, a big one few blocks.
    // Not zero-filled: every byte handed out is written first.
    const std::size_t next =
        blocks_.empty() ? 512 : std::min<std::size_t>(64 << 10, 2 * last_block_);
    const std::size_t block = std::max(next, size);
    blocks_.push_back(std::unique_ptr<char[]>(new char[block]));
    block_at_ = blocks_.back().get();
    block_left_ = block;
    last_block_ = next;
  }
  return block_at_;
}

void SampleTable::add(const char *text, std::size_t size, bool sorted, std::size_t hash,
                      double value, bool indexed) {
  slots_.push_back(Slot{text, static_cast<std::uint32_t>(size),
                        static_cast<std::uint32_t>(key_name_size_),
                        static_cast<std::uint32_t>(sizes_.size()),
                        static_cast<std::uint32_t>(key_sizes_.size() / 2), hash, value, indexed,
                        sorted});
  sizes_.insert(sizes_.end(), key_sizes_.begin(), key_sizes_.end());
}

std::size_t SampleTable::append_variant(std::size_t model, std::size_t label,
                                        std::string_view text, double value) {
  const Slot from = slots_[model];  // a copy: slots_ grows below
  const std::size_t first_size = sizes_.size();
  sizes_.resize(first_size + 2 * std::size_t{from.label_count});
  std::uint32_t *sizes = sizes_.data() + first_size;
  std::memcpy(sizes, sizes_.data() + from.sizes_at, 2 * from.label_count * sizeof *sizes);
  // name \0 label \0 value ...: the bytes before the value replaced, and those after it.
  std::size_t before = from.name_size;
  for (std::size_t k = 0; k < label; ++k) before += 2 + sizes[2 * k] + sizes[2 * k + 1];
  before += 2 + sizes[2 * label];
  const std::size_t replaced = sizes[2 * label + 1];
  const std::size_t after = from.size - before - replaced;
  const std::size_t size = before + text.size() + after;
  char *const at = room(size);  // blocks never move: from.text stays valid
  std::memcpy(at, from.text, before);
  if (!text.empty()) std::memcpy(at + before, text.data(), text.size());
  if (after != 0) std::memcpy(at + before + text.size(), from.text + before + replaced, after);
  block_at_ += size;
  block_left_ -= size;
  sizes[2 * label + 1] = static_cast<std::uint32_t>(text.size());
  slots_.push_back(Slot{at, static_cast<std::uint32_t>(size), from.name_size,
                        static_cast<std::uint32_t>(first_size), from.label_count, 0, value,
                        /*indexed=*/false, from.sorted});
  return slots_.size() - 1;
}

void SampleTable::grow_index() {
  const std::size_t capacity = index_.empty() ? 16 : 2 * index_.size();
  index_.assign(capacity, 0);
  const std::size_t mask = capacity - 1;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (!slots_[i].indexed) continue;
    std::size_t at = slots_[i].hash & mask;
    while (index_[at] != 0) at = (at + 1) & mask;
    index_[at] = static_cast<std::uint32_t>(i + 1);
  }
}

std::size_t SampleTable::find_or_add(std::string_view key, bool sorted, double initial) {
  // At most half full: probes stay short.
  if (2 * (indexed_ + 1) > index_.size()) grow_index();
  const std::size_t hash = std::hash<std::string_view>{}(key);
  const std::size_t mask = index_.size() - 1;
  std::size_t at = hash & mask;
  for (; index_[at] != 0; at = (at + 1) & mask) {
    const Slot &slot = slots_[index_[at] - 1];
    if (slot.hash == hash && slot.size == key.size() &&
        (key.empty() || std::memcmp(slot.text, key.data(), key.size()) == 0)) {
      return index_[at] - 1;
    }
  }
  char *kept = room(key.size());
  if (!key.empty()) std::memcpy(kept, key.data(), key.size());
  block_at_ += key.size();
  block_left_ -= key.size();
  add(kept, key.size(), sorted, hash, initial, /*indexed=*/true);
  index_[at] = static_cast<std::uint32_t>(slots_.size());
  ++indexed_;
  return slots_.size() - 1;
}

}  // namespace npuprobe::store
