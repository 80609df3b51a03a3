#include "exporter/collector_set.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "collectors/common/metrics.h"
#include "exporter/metrics_text.h"

namespace mailflow {
namespace {

// A collector whose behaviour the test picks.
class FakeCollector : public Collector {
 public:
  enum class Mode { kOk, kFail, kThrow, kBlock };
  FakeCollector(std::string name, Mode mode) : name_(name), mode_(mode) {}
  std::string_view Name() const override { return name_; }
  Status Collect(Deadline,
                 std::vector<prometheus::MetricFamily>* out) override {
    AddGauge(out, "fake_" + name_, "Fake.", 1);
    switch (mode_) {
      case Mode::kOk:
        return Status::OK();
      case Mode::kFail:
        return Status::Error("broken on purpose");
      case Mode::kThrow:
        throw std::runtime_error("thrown on purpose");
      case Mode::kBlock: {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [] { return released_; });
        return Status::OK();
      }
    }
    return Status::OK();
  }
  static void Arm() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = false;
  }
  static void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  std::string name_;
  Mode mode_;
  static inline std::mutex mu_;
  static inline std::condition_variable cv_;
  static inline bool released_ = false;
};

CollectorRegistry FakeRegistry() {
  CollectorRegistry r;
  auto add = [&r](std::string name, FakeCollector::Mode mode, bool on) {
    r.Add(
        {name, on, "fake",
         [name, mode](const Config&, ConfigMap options, const CollectorContext&,
                      std::string* err) -> std::unique_ptr<Collector> {
           bool knob = false;
           if (!options.GetBool("knob", &knob, err) || !options.Finish(err)) {
             return nullptr;
           }
           return std::make_unique<FakeCollector>(name, mode);
         }});
  };
  add("good", FakeCollector::Mode::kOk, true);
  add("bad", FakeCollector::Mode::kFail, true);
  add("throws", FakeCollector::Mode::kThrow, true);
  add("slow", FakeCollector::Mode::kBlock, false);
  return r;
}

std::string Text(const CollectedScrape& c) {
  std::vector<const FamilyTexts*> parts;
  for (const auto& p : c.parts) parts.push_back(p.get());
  return JoinFamilyTexts(parts);
}

// The value of `family{collector="NAME"}`, -1 when absent.
double Sample(const std::string& text, const std::string& family,
              const std::string& collector) {
  const std::string head = family + "{collector=\"" + collector + "\"} ";
  size_t at = text.find("\n" + head);
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + 1 + head.size()));
}

bool HasFamily(const std::string& text, const std::string& name) {
  return text.find("# TYPE " + name + " ") != std::string::npos;
}

TEST(CollectorSetTest, FailuresAndExceptionsBecomeSuccessZero) {
  auto registry = FakeRegistry();
  std::string err;
  auto set = CollectorSet::Build(registry, Config(), {}, &err);
  ASSERT_TRUE(set) << err;
  EXPECT_EQ(set->names(), (std::vector<std::string>{"good", "bad", "throws"}));
  set->Start();
  std::string out =
      Text(set->Collect(Deadline::After(std::chrono::seconds(5))));
  EXPECT_EQ(Sample(out, "mailflow_collector_success", "good"), 1);
  EXPECT_EQ(Sample(out, "mailflow_collector_success", "bad"), 0);
  EXPECT_EQ(Sample(out, "mailflow_collector_success", "throws"), 0);
  // A failing collector's partial output is still exported.
  EXPECT_TRUE(HasFamily(out, "fake_good"));
  EXPECT_TRUE(HasFamily(out, "fake_bad"));
  EXPECT_GE(Sample(out, "mailflow_collector_duration_seconds", "good"), 0);
}

TEST(CollectorSetTest, OverrunningCollectorDoesNotHoldTheScrape) {
  auto registry = FakeRegistry();
  std::string err;
  CollectorSelection sel;
  sel.flags["slow"] = true;
  auto set = CollectorSet::Build(registry, Config(), sel, &err);
  ASSERT_TRUE(set) << err;
  FakeCollector::Arm();
  set->Start();
  // The slow collector blocks until released; Collect must still return.
  std::string out =
      Text(set->Collect(Deadline::After(std::chrono::milliseconds(200))));
  EXPECT_EQ(Sample(out, "mailflow_collector_success", "slow"), 0);
  EXPECT_EQ(Sample(out, "mailflow_collector_success", "good"), 1);
  EXPECT_FALSE(HasFamily(out, "fake_slow"));
  // While it still runs, the next scrape reports it failed too.
  std::string again =
      Text(set->Collect(Deadline::After(std::chrono::milliseconds(100))));
  EXPECT_EQ(Sample(again, "mailflow_collector_success", "slow"), 0);
  FakeCollector::Release();
  set.reset();  // the worker keeps its entry alive until it finishes
}

// Counts its collections (the value of `gated_runs`); each waits until the
// test releases it.
class GatedCollector : public Collector {
 public:
  std::string_view Name() const override { return "gated"; }
  Status Collect(Deadline,
                 std::vector<prometheus::MetricFamily>* out) override {
    std::unique_lock<std::mutex> lock(mu);
    const int run = ++started;
    cv.notify_all();
    cv.wait(lock, [&] { return released >= run; });
    AddGauge(out, "gated_runs", "Collections so far.", run);
    return Status::OK();
  }
  static inline std::mutex mu;
  static inline std::condition_variable cv;
  static inline int started = 0;
  static inline int released = 0;
};

TEST(CollectorSetTest, ScrapesDuringACollectionShareTheNextOne) {
  CollectorRegistry registry;
  registry.Add({"gated", true, "fake",
                [](const Config&, ConfigMap, const CollectorContext&,
                   std::string*) -> std::unique_ptr<Collector> {
                  return std::make_unique<GatedCollector>();
                }});
  GatedCollector::started = GatedCollector::released = 0;
  std::string err;
  auto set = CollectorSet::Build(registry, Config(), {}, &err);
  ASSERT_TRUE(set) << err;
  set->Start();
  const Deadline later = Deadline::After(std::chrono::seconds(30));
  auto first =
      std::async(std::launch::async, [&] { return set->Collect(later); });
  {
    std::unique_lock<std::mutex> lock(GatedCollector::mu);
    GatedCollector::cv.wait(lock, [] { return GatedCollector::started == 1; });
  }
  // Two scrapes arrive during collection 1: they must not get its result
  // (it started before them) and share collection 2.
  auto second =
      std::async(std::launch::async, [&] { return set->Collect(later); });
  auto third =
      std::async(std::launch::async, [&] { return set->Collect(later); });
  while (set->queued("gated") < 2) std::this_thread::yield();
  {
    std::lock_guard<std::mutex> lock(GatedCollector::mu);
    GatedCollector::released = 2;
    GatedCollector::cv.notify_all();
  }
  CollectedScrape a = first.get(), b = second.get(), c = third.get();
  EXPECT_NE(Text(a).find("\ngated_runs 1\n"), std::string::npos) << Text(a);
  EXPECT_NE(Text(b).find("\ngated_runs 2\n"), std::string::npos) << Text(b);
  EXPECT_EQ(b.parts[0], c.parts[0]);  // one serialization, shared
  EXPECT_EQ(GatedCollector::started, 2);
  EXPECT_EQ(Sample(Text(c), "mailflow_collector_success", "gated"), 1);
}

TEST(CollectorSetTest, UnchangedFamiliesKeepTheirText) {
  auto registry = FakeRegistry();
  std::string err;
  CollectorSelection sel;
  sel.disable_defaults = true;
  sel.flags["good"] = true;
  auto set = CollectorSet::Build(registry, Config(), sel, &err);
  ASSERT_TRUE(set) << err;
  set->Start();
  CollectedScrape a = set->Collect(Deadline::After(std::chrono::seconds(5)));
  CollectedScrape b = set->Collect(Deadline::After(std::chrono::seconds(5)));
  ASSERT_EQ(a.parts.size(), 2u);  // the collector, then success/duration
  EXPECT_EQ(a.parts[0], b.parts[0]);
}

TEST(CollectorSetTest, SelectionPrecedence) {
  auto registry = FakeRegistry();
  std::string err;
  Config config;
  ASSERT_TRUE(
      ParseConfig("collectors:\n  good:\n    enabled: false\n"
                  "  bad:\n    knob: true\n",
                  "c.yml", &config, &err))
      << err;
  auto set = CollectorSet::Build(registry, config, {}, &err);
  ASSERT_TRUE(set) << err;
  EXPECT_EQ(set->names(), (std::vector<std::string>{"bad", "throws"}));
  CollectorSelection sel;
  sel.flags["good"] = true;  // flags beat the file
  sel.disable_defaults = true;
  set = CollectorSet::Build(registry, config, sel, &err);
  ASSERT_TRUE(set) << err;
  EXPECT_EQ(set->names(), (std::vector<std::string>{"good"}));
}

TEST(CollectorSetTest, UnknownNamesAndOptionsAreErrors) {
  auto registry = FakeRegistry();
  std::string err;
  Config config;
  ASSERT_TRUE(ParseConfig("collectors:\n  nope: {}\n", "c.yml", &config, &err));
  EXPECT_FALSE(CollectorSet::Build(registry, config, {}, &err));
  EXPECT_EQ(err, "c.yml:2:9: unknown collector \"nope\"");
  ASSERT_TRUE(
      ParseConfig("collectors:\n  bad:\n    knb: 1\n", "c.yml", &config, &err));
  EXPECT_FALSE(CollectorSet::Build(registry, config, {}, &err));
  EXPECT_EQ(err, "c.yml:3:5: unknown key \"knb\"");
  CollectorSelection sel;
  sel.flags["nope"] = false;
  EXPECT_FALSE(CollectorSet::Build(registry, Config(), sel, &err));
  EXPECT_EQ(err, "unknown collector \"nope\" in --collector flags");
}

// A collector that explains its last collection: the number of collections.
class DiagnosableCollector : public Collector, public Diagnosable {
 public:
  std::string_view Name() const override { return "explains"; }
  Status Collect(Deadline, std::vector<prometheus::MetricFamily>*) override {
    ++collections_;
    return Status::OK();
  }
  void Diagnose(std::vector<Finding>* out) const override {
    Finding f;
    f.step = Step::kQueue;
    f.summary = "collection " + std::to_string(collections_);
    out->push_back(f);
  }
  void WaitForResults(Deadline) override { ++waits; }
  static inline int waits = 0;

 private:
  int collections_ = 0;
};

TEST(CollectorSetTest, FindingsComeWithTheirCollection) {
  CollectorRegistry registry = FakeRegistry();
  registry.Add({"explains", true, "fake",
                [](const Config&, ConfigMap options, const CollectorContext&,
                   std::string* err) -> std::unique_ptr<Collector> {
                  if (!options.Finish(err)) return nullptr;
                  return std::make_unique<DiagnosableCollector>();
                }});
  std::string err;
  auto set = CollectorSet::Build(registry, Config(), {}, &err);
  ASSERT_TRUE(set) << err;
  set->Start();
  set->WaitForResults(Deadline::After(std::chrono::seconds(1)));
  EXPECT_EQ(DiagnosableCollector::waits, 1);
  set->Collect(Deadline::After(std::chrono::seconds(5)));  // no findings
  std::vector<CollectorFindings> runs =
      set->CollectFindings(Deadline::After(std::chrono::seconds(5)));
  ASSERT_EQ(runs.size(), 4u);  // every enabled collector, registry order
  EXPECT_EQ(runs[0].collector, "good");
  EXPECT_TRUE(runs[0].status.ok());
  EXPECT_TRUE(runs[0].findings.empty());  // not Diagnosable
  EXPECT_EQ(runs[1].status.message(), "broken on purpose");
  EXPECT_EQ(runs[2].status.message(), "exception: thrown on purpose");
  ASSERT_EQ(runs[3].findings.size(), 1u);
  EXPECT_EQ(runs[3].findings[0].summary, "collection 2");
}

// A publisher and a reader built by different factories of one set see the
// same board, and a second set built with the same context (a reload) too.
TEST(CollectorSetTest, FactoriesShareTheContext) {
  std::vector<std::shared_ptr<DestinationDomains>> boards;
  CollectorRegistry registry;
  for (const char* name : {"writer", "reader"}) {
    registry.Add(
        {name, true, "fake",
         [&boards, name](const Config&, ConfigMap options,
                         const CollectorContext& context,
                         std::string* err) -> std::unique_ptr<Collector> {
           if (!options.Finish(err)) return nullptr;
           boards.push_back(context.destination_domains);
           return std::make_unique<FakeCollector>(name,
                                                  FakeCollector::Mode::kOk);
         }});
  }
  auto context = std::make_shared<CollectorContext>();
  std::string err;
  ASSERT_TRUE(CollectorSet::Build(registry, Config(), {}, context, &err))
      << err;
  ASSERT_TRUE(CollectorSet::Build(registry, Config(), {}, context, &err))
      << err;
  ASSERT_EQ(boards.size(), 4u);
  boards[0]->Publish({{"queue.example", 3}}, 1);
  for (const auto& b : boards) {
    EXPECT_EQ(b->Top(1), (std::vector<std::string>{"queue.example"}));
  }
  // Without a context argument, each set gets its own.
  ASSERT_TRUE(CollectorSet::Build(registry, Config(), {}, &err)) << err;
  ASSERT_EQ(boards.size(), 6u);
  EXPECT_EQ(boards[4], boards[5]);
  EXPECT_NE(boards[4], boards[0]);
}

}  // namespace
}  // namespace mailflow
