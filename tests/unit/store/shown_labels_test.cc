// A process's identity changes under its series (a late title's dp, a device's host id, a fork
// child's folder): the files show the new labels and every count stays under exactly one label
// set, read back by the collector as the folder's readers would.
#include <gtest/gtest.h>
#include <unistd.h>

#include "npuprobe/store/multiprocess_collector.h"
#include "npuprobe/store/publisher.h"
#include "support/temp_dir.h"

namespace npuprobe::store {
namespace {

using testing::TempDir;

// Every `c_total` sample of the folder: labels (sorted by name, as read) -> value.
std::map<LabelPairs, double> counts(const std::string &dir) {
  std::map<LabelPairs, double> out;
  for (const auto &family : collect_folder(dir, FormatPreference::kV2).families) {
    for (const auto &s : family.samples) {
      if (s.name == "c_total") out[s.labels] += s.value;
    }
  }
  return out;
}

struct Fixture {
  MetricRegistry registry;
  FamilyId family = registry.add_family(counter_spec("c", "h", {"dp", "device"}));
  CounterHandle d0 = registry.counter(family, {"0", "0"});
  CounterHandle d1 = registry.counter(family, {"0", "1"});
};

TEST(ShownLabels, ADpLearnedAfterAPublishMovesEveryCountToIt) {
  TempDir dir;
  Fixture f;
  Publisher publisher(f.registry, {{dir.path(), FormatPreference::kV2, "", {}}});
  f.registry.add(f.d0, 5);
  f.registry.add(f.d1, 2);
  ASSERT_TRUE(publisher.flush_now());
  EXPECT_EQ(counts(dir.path()),
            (std::map<LabelPairs, double>{{{{"device", "0"}, {"dp", "0"}}, 5},
                                          {{{"device", "1"}, {"dp", "0"}}, 2}}));
  ShownLabels shown;
  shown.replace["dp"] = "3";
  shown.rename["device"] = {{"0", "6"}, {"1", "7"}};
  publisher.set_shown_labels(shown);
  f.registry.add(f.d0, 1);
  ASSERT_TRUE(publisher.flush_now());
  // The old label sets are gone, not left beside the new ones: the sums stay exact.
  EXPECT_EQ(counts(dir.path()),
            (std::map<LabelPairs, double>{{{{"device", "6"}, {"dp", "3"}}, 6},
                                          {{{"device", "7"}, {"dp", "3"}}, 2}}));
  EXPECT_EQ(dir.file_names(),
            std::vector<std::string>{"counter_" + std::to_string(::getpid()) + "-npu.db"});
}

TEST(ShownLabels, SeriesMadeAfterTheChangeShowTheNewValuesToo) {
  TempDir dir;
  Fixture f;
  Publisher publisher(f.registry, {{dir.path(), FormatPreference::kV2, "", {}}});
  ShownLabels shown;
  shown.replace["dp"] = "1";
  publisher.set_shown_labels(shown);
  ASSERT_TRUE(publisher.flush_now());
  const CounterHandle d2 = f.registry.counter(f.family, {"0", "2"});
  f.registry.add(d2, 4);
  ASSERT_TRUE(publisher.flush_now());
  EXPECT_EQ(counts(dir.path())[(LabelPairs{{"device", "2"}, {"dp", "1"}})], 4);
  EXPECT_EQ(counts(dir.path()).count(LabelPairs{{"device", "2"}, {"dp", "0"}}), 0u);
}

TEST(ShownLabels, ANewFolderGetsTheFilesAndTheOldOneLosesThem) {
  TempDir first, second;
  Fixture f;
  Publisher publisher(f.registry, {{first.path(), FormatPreference::kV2, "", {}}});
  f.registry.add(f.d0, 3);
  ASSERT_TRUE(publisher.flush_now());
  ASSERT_EQ(first.file_names().size(), 1u);
  publisher.set_directory(second.path());
  ASSERT_TRUE(publisher.flush_now());
  EXPECT_TRUE(first.file_names().empty());
  EXPECT_EQ(counts(second.path())[(LabelPairs{{"device", "0"}, {"dp", "0"}})], 3);
}

}  // namespace
}  // namespace npuprobe::store
