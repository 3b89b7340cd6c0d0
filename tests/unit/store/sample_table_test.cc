// SampleTable (store/src/sample_table.h): lookups by identity, first-insertion order, labels
// read back from the kept bytes, sortedness, and many samples across blocks and index growth.
#include "sample_table.h"

#include <gtest/gtest.h>

#include <string>

namespace npuprobe::store {
namespace {

LabelPairs labels_of(const SampleTable &table, std::size_t i) {
  LabelPairs labels;
  table.for_each_label(i, [&labels](std::string_view label, std::string_view value) {
    labels.emplace_back(label, value);
  });
  return labels;
}

TEST(SampleTable, FindsASampleByNameAndLabelsAndKeepsFirstInsertionOrder) {
  SampleTable table;
  const LabelPairs a{{"engine", "0"}, {"model", "m"}};
  const LabelViews b{{"engine", "1"}, {"model", "m"}};
  EXPECT_EQ(table.at("x_total", a, 1.0), 0u);
  EXPECT_EQ(table.at("x_total", b, 2.0), 1u);
  EXPECT_EQ(table.at("y", a, 3.0), 2u);
  // The same identity from strings or views is the same sample; the initial value is not reset.
  EXPECT_EQ(table.at("x_total", LabelViews{{"engine", "1"}, {"model", "m"}}, 9.0), 1u);
  EXPECT_EQ(table.at("x_total", a, 9.0), 0u);
  table.value(1) += 5;
  ASSERT_EQ(table.size(), 3u);
  EXPECT_EQ(table.name(0), "x_total");
  EXPECT_EQ(table.name(2), "y");
  EXPECT_EQ(table.value(0), 1.0);
  EXPECT_EQ(table.value(1), 7.0);
  EXPECT_EQ(labels_of(table, 1), (LabelPairs{{"engine", "1"}, {"model", "m"}}));
  const Sample sample = table.to_sample(2);
  EXPECT_EQ(sample.name, "y");
  EXPECT_EQ(sample.labels, a);
  EXPECT_EQ(sample.value, 3.0);
}

TEST(SampleTable, SkipLeavesALabelOutOfTheIdentityAndTheSample) {
  SampleTable table;
  const LabelPairs pid1{{"a", "1"}, {"pid", "10"}};
  const LabelPairs pid2{{"a", "1"}, {"pid", "20"}};
  EXPECT_EQ(table.at("g", pid1, 1.0, "pid"), 0u);
  EXPECT_EQ(table.at("g", pid2, 1.0, "pid"), 0u);
  EXPECT_EQ(table.at("g", pid2, 1.0), 1u);  // without skip: another sample
  EXPECT_EQ(labels_of(table, 0), (LabelPairs{{"a", "1"}}));
  EXPECT_EQ(labels_of(table, 1), pid2);
  EXPECT_EQ(table.label_count(0), 1u);
}

TEST(SampleTable, IdentitiesDifferByWhereTheBytesFallNotOnlyByTheBytes) {
  SampleTable table;
  // Concatenated, both are "ab" + "c": the separators keep them apart.
  EXPECT_EQ(table.at("ab", LabelPairs{{"c", ""}}, 0.0), 0u);
  EXPECT_EQ(table.at("a", LabelPairs{{"bc", ""}}, 0.0), 1u);
  EXPECT_EQ(table.at("", LabelPairs{}, 0.0), 2u);  // an empty name and no labels
  EXPECT_EQ(table.at("", LabelPairs{}, 0.0), 2u);
  EXPECT_EQ(table.name(2), "");
  EXPECT_EQ(table.label_count(2), 0u);
  EXPECT_EQ(labels_of(table, 1), (LabelPairs{{"bc", ""}}));
}

TEST(SampleTable, AppendedSamplesAreNeverFound) {
  SampleTable table;
  const LabelPairs labels{{"le", "1.0"}};
  EXPECT_EQ(table.append_new("h_bucket", labels, 4.0), 0u);
  EXPECT_TRUE(table.has_name("h_bucket"));
  EXPECT_FALSE(table.has_name("h_count"));
  EXPECT_EQ(table.at("h_bucket", labels, 0.0), 1u);  // a sample of its own
  EXPECT_EQ(table.at("h_bucket", labels, 0.0), 1u);
  EXPECT_EQ(table.value(0), 4.0);
}

TEST(SampleTable, SaysWhetherLabelsAreSortedAsPairs) {
  SampleTable table;
  table.at("s", LabelPairs{{"a", "2"}, {"b", "1"}}, 0.0);
  table.at("s", LabelPairs{{"b", "1"}, {"a", "2"}}, 0.0);
  table.at("s", LabelPairs{{"a", "2"}, {"a", "1"}}, 0.0);   // same name, values out of order
  table.at("s", LabelPairs{{"a", "1"}, {"a", "1"}}, 0.0);   // equal pairs are in order
  table.at("s", LabelPairs{{"ab", "1"}, {"aa", "1"}}, 0.0);  // first bytes equal
  table.append_new("t", LabelPairs{{"z", ""}, {"y", ""}}, 0.0);
  EXPECT_TRUE(table.labels_sorted(0));
  EXPECT_FALSE(table.labels_sorted(1));
  EXPECT_FALSE(table.labels_sorted(2));
  EXPECT_TRUE(table.labels_sorted(3));
  EXPECT_FALSE(table.labels_sorted(4));
  EXPECT_FALSE(table.labels_sorted(5));
}

TEST(SampleTable, AVariantIsItsModelWithOneLabelValueReplaced) {
  SampleTable table;
  const LabelViews model{{"engine", "0"}, {"le", "0.005"}, {"model_name", "m"}};
  const std::size_t first = table.append_new("x_bucket", model, 1.0);
  // Longer, shorter and empty values; the first, middle and last label; a variant of a variant.
  const std::size_t longer = table.append_variant(first, 1, "12.500000", 2.0);
  const std::size_t shorter = table.append_variant(longer, 1, "+Inf", 3.0);
  const std::size_t first_label = table.append_variant(shorter, 0, "", 4.0);
  const std::size_t last_label = table.append_variant(first, 2, "another-model", 5.0);
  EXPECT_EQ(labels_of(table, longer),
            (LabelPairs{{"engine", "0"}, {"le", "12.500000"}, {"model_name", "m"}}));
  EXPECT_EQ(labels_of(table, shorter),
            (LabelPairs{{"engine", "0"}, {"le", "+Inf"}, {"model_name", "m"}}));
  EXPECT_EQ(labels_of(table, first_label),
            (LabelPairs{{"engine", ""}, {"le", "+Inf"}, {"model_name", "m"}}));
  EXPECT_EQ(labels_of(table, last_label),
            (LabelPairs{{"engine", "0"}, {"le", "0.005"}, {"model_name", "another-model"}}));
  EXPECT_EQ(labels_of(table, first), (LabelPairs{model.begin(), model.end()}));  // untouched
  for (std::size_t i = 0; i < table.size(); ++i) {
    EXPECT_EQ(table.name(i), "x_bucket");
    EXPECT_EQ(table.value(i), static_cast<double>(i + 1));
    EXPECT_TRUE(table.labels_sorted(i));
    EXPECT_EQ(table.label_count(i), 3u);
  }
  // The identity size follows the new value: name + per label its name, value, two separators.
  EXPECT_EQ(table.identity_size(longer), 8 + (6 + 1 + 2) + (2 + 9 + 2) + (10 + 1 + 2));
  // Variants are appended like append_new's samples: never found by `at`, which adds its own.
  const LabelViews shorter_labels{{"engine", "0"}, {"le", "+Inf"}, {"model_name", "m"}};
  const std::size_t appended = table.size();
  EXPECT_EQ(table.at("x_bucket", shorter_labels, 0.0), appended);
  // A model with unsorted labels makes unsorted variants.
  const std::size_t unsorted = table.append_new("y", LabelViews{{"b", "1"}, {"a", "2"}}, 0.0);
  EXPECT_FALSE(table.labels_sorted(table.append_variant(unsorted, 1, "3", 0.0)));
}

TEST(SampleTable, VariantsKeepTheirBytesAcrossBlocks) {
  SampleTable table;
  // Thousands of buckets, each the one before with another le: far more than one block.
  constexpr std::size_t kBuckets = 5000;
  std::size_t previous = table.append_new("h_bucket", LabelPairs{{"le", "0"}, {"x", "y"}}, 0.0);
  for (std::size_t b = 1; b < kBuckets; ++b) {
    previous = table.append_variant(previous, 0, std::to_string(b * 7), static_cast<double>(b));
  }
  ASSERT_EQ(table.size(), kBuckets);
  for (std::size_t b = 0; b < kBuckets; ++b) {
    ASSERT_EQ(labels_of(table, b), (LabelPairs{{"le", std::to_string(b * 7)}, {"x", "y"}})) << b;
    ASSERT_EQ(table.value(b), static_cast<double>(b));
  }
}

TEST(SampleTable, ManySamplesKeepTheirBytesAcrossBlocksAndIndexGrowth) {
  SampleTable table;
  const std::string long_value(100000, 'v');  // bigger than a block
  constexpr std::size_t kSamples = 5000;
  for (std::size_t i = 0; i < kSamples; ++i) {
    const std::string value = i == 77 ? long_value : std::to_string(i);
    ASSERT_EQ(table.at("m", LabelPairs{{"i", value}}, static_cast<double>(i)), i);
  }
  for (std::size_t i = 0; i < kSamples; ++i) {
    const std::string value = i == 77 ? long_value : std::to_string(i);
    ASSERT_EQ(table.at("m", LabelPairs{{"i", value}}, 0.0), i);
    ASSERT_EQ(labels_of(table, i), (LabelPairs{{"i", value}}));
    ASSERT_EQ(table.value(i), static_cast<double>(i));
  }
  EXPECT_EQ(table.size(), kSamples);
}

}  // namespace
}  // namespace npuprobe::store
