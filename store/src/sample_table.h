// The samples of one family as a collection makes them: keyed by (name, labels), in first-
// insertion order like a Python dict. A collection makes one sample per series per process (a
// 16-process folder: thousands), so a sample owns no string and no vector: its identity bytes
// (name \0 label \0 value ...) are copied once into blocks the table owns, and its name and
// labels are read back out of them. A hit costs one hash of the identity and one compare.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "npuprobe/store/multiprocess_collector.h"

namespace npuprobe::store {

class SampleTable {
 public:
  SampleTable() = default;
  SampleTable(SampleTable &&) noexcept = default;
  SampleTable &operator=(SampleTable &&) noexcept = default;

  // The index of sample (name, labels without those called `skip`; empty: none), made with
  // value `initial` when new. `labels` pairs of strings or views, in the order to keep.
  template <typename Labels>
  std::size_t at(std::string_view name, const Labels &labels, double initial,
                 std::string_view skip = {}) {
    key_.resize(identity_bound(name, labels));  // zero-filled only where it grows
    const Identity identity = write_identity(&key_[0], name, labels, skip);
    return find_or_add(std::string_view(key_.data(), identity.size), identity.sorted, initial);
  }
  // Appends a sample the caller knows to be new; it is never found by `at`.
  template <typename Labels>
  std::size_t append_new(std::string_view name, const Labels &labels, double value) {
    char *at = room(identity_bound(name, labels));
    const Identity identity = write_identity(at, name, labels, {});
    add(at, identity.size, identity.sorted, 0, value, /*indexed=*/false);
    block_at_ += identity.size;
    block_left_ -= identity.size;
    return slots_.size() - 1;
  }
  // Appends a sample the caller knows to be new: sample `model` (itself appended, not found by
  // `at`) with the value of its label number `label` replaced by `text`. A histogram's buckets
  // differ only in `le`: each is the previous one with one value changed, three copies, not an
  // identity built label by label.
  std::size_t append_variant(std::size_t model, std::size_t label, std::string_view text,
                             double value);
  // Room for `more` samples (a histogram's buckets are made all at once).
  void reserve(std::size_t more) { slots_.reserve(slots_.size() + more); }

  std::size_t size() const { return slots_.size(); }
  double &value(std::size_t i) { return slots_[i].value; }
  double value(std::size_t i) const { return slots_[i].value; }
  std::string_view name(std::size_t i) const {
    return std::string_view(slots_[i].text, slots_[i].name_size);
  }
  std::size_t label_count(std::size_t i) const { return slots_[i].label_count; }
  // The identity's size: the name, and per label its name and value and two separators.
  std::size_t identity_size(std::size_t i) const { return slots_[i].size; }
  bool has_name(std::string_view name) const;

  // Calls each(label, value) for the labels of sample `i`, in order.
  template <typename Each>
  void for_each_label(std::size_t i, Each &&each) const {
    const Slot &slot = slots_[i];
    const char *at = slot.text + slot.name_size;
    const std::uint32_t *sizes = sizes_.data() + slot.sizes_at;  // none for no labels
    for (std::uint32_t k = 0; k < slot.label_count; ++k) {
      const std::string_view label(at + 1, sizes[2 * k]);
      at += 1 + sizes[2 * k];
      const std::string_view value(at + 1, sizes[2 * k + 1]);
      at += 1 + sizes[2 * k + 1];
      each(label, value);
    }
  }
  // Whether the labels of sample `i` are sorted (as (name, value) pairs).
  bool labels_sorted(std::size_t i) const { return slots_[i].sorted; }
  // Sample `i` as strings (for collect_folder's callers).
  Sample to_sample(std::size_t i) const;

 private:
  struct Slot {
    const char *text;  // the identity, in blocks_
    std::uint32_t size, name_size, sizes_at, label_count;
    std::size_t hash;
    double value;
    bool indexed;  // made by `at` (not append_new)
    bool sorted;   // its labels are in (name, value) order
  };
  struct Identity {
    std::size_t size;
    bool sorted;
  };

  template <typename Labels>
  static std::size_t identity_bound(std::string_view name, const Labels &labels) {
    std::size_t size = name.size();
    for (const auto &[label, value] : labels) size += label.size() + value.size() + 2;
    return size;
  }
  // name \0 label \0 value ... at `at` (room for identity_bound), leaving out the labels called
  // `skip`; their sizes go to key_sizes_.
  template <typename Labels>
  Identity write_identity(char *const start, std::string_view name, const Labels &labels,
                          std::string_view skip) {
    char *at = start;
    const auto copy = [&at](std::string_view text) {
      if (!text.empty()) std::memcpy(at, text.data(), text.size());  // may have no data
      at += text.size();
    };
    copy(name);
    key_sizes_.resize(2 * labels.size());
    std::uint32_t *sizes = key_sizes_.data();
    bool sorted = true;
    std::string_view last_label, last_value;
    for (const auto &[label_text, value_text] : labels) {
      const std::string_view label(label_text), value(value_text);
      if (!skip.empty() && label == skip) continue;
      if (sizes != key_sizes_.data() && less(label, value, last_label, last_value)) sorted = false;
      last_label = label;
      last_value = value;
      *at++ = '\0';
      copy(label);
      *at++ = '\0';
      copy(value);
      *sizes++ = static_cast<std::uint32_t>(label.size());
      *sizes++ = static_cast<std::uint32_t>(value.size());
    }
    key_sizes_.resize(static_cast<std::size_t>(sizes - key_sizes_.data()));
    key_name_size_ = name.size();
    return Identity{static_cast<std::size_t>(at - start), sorted};
  }
  // (label, value) < (last_label, last_value), the first bytes compared inline: label names
  // mostly differ there.
  static bool less(std::string_view label, std::string_view value, std::string_view last_label,
                   std::string_view last_value) {
    if (!label.empty() && !last_label.empty() && label[0] != last_label[0]) {
      return static_cast<unsigned char>(label[0]) < static_cast<unsigned char>(last_label[0]);
    }
    const int order = label.compare(last_label);
    return order < 0 || (order == 0 && value < last_value);
  }
  std::size_t find_or_add(std::string_view key, bool sorted, double initial);
  void add(const char *text, std::size_t size, bool sorted, std::size_t hash, double value,
           bool indexed);
  // At least `size` bytes free in the current block (not taken: the caller moves block_at_).
  char *room(std::size_t size);
  void grow_index();

  std::vector<Slot> slots_;
  std::vector<std::uint32_t> sizes_;   // per label of every slot: name size, value size
  std::vector<std::uint32_t> index_;   // open addressing: slot + 1, 0 empty; a power of two
  std::size_t indexed_ = 0;
  std::vector<std::unique_ptr<char[]>> blocks_;
  char *block_at_ = nullptr;
  std::size_t block_left_ = 0;
  std::size_t last_block_ = 0;
  // The identity being looked up (reused: a hit copies nothing).
  std::string key_;
  std::vector<std::uint32_t> key_sizes_;
  std::size_t key_name_size_ = 0;
};

}  // namespace npuprobe::store
