#include "exporter/collector_set.h"

#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

#include "collectors/common/metrics.h"
#include "lib/base/log.h"

namespace mailflow {

struct CollectorSet::Entry {
  std::string name;
  std::unique_ptr<Collector> collector;
  Diagnosable* diagnosable = nullptr;  // the collector, when it is one
  std::timed_mutex busy;  // held while Collect() (and Diagnose()) runs
};

namespace {

struct Result {
  std::vector<prometheus::MetricFamily> families;
  std::vector<Finding> findings;
  Status status;
  double seconds = 0;
  bool done = false;
};

// State shared between one scrape and its worker threads; it outlives the
// scrape when a worker overruns.
struct ScrapeState {
  std::mutex mu;
  std::condition_variable cv;
  size_t pending = 0;
  std::vector<Result> results;
};

void RunOne(CollectorSet::Entry* entry, Deadline deadline, bool diagnose,
            Result* result);

}  // namespace

std::unique_ptr<CollectorSet> CollectorSet::Build(
    const CollectorRegistry& registry, const Config& config,
    const CollectorSelection& sel, std::string* err) {
  return Build(registry, config, sel, std::make_shared<CollectorContext>(),
               err);
}

std::unique_ptr<CollectorSet> CollectorSet::Build(
    const CollectorRegistry& registry, const Config& config,
    const CollectorSelection& sel,
    const std::shared_ptr<CollectorContext>& context, std::string* err) {
  for (const auto& [name, value] : sel.flags) {
    if (!registry.Find(name)) {
      *err = "unknown collector \"" + name + "\" in --collector flags";
      return nullptr;
    }
  }
  for (const auto& [name, section] : config.collectors) {
    if (!registry.Find(name)) {
      *err = section.options.Where() + ": unknown collector \"" + name + "\"";
      return nullptr;
    }
  }
  std::unique_ptr<CollectorSet> set(new CollectorSet());
  set->context_ = context;
  for (const CollectorInfo& info : registry.all()) {
    auto section_it = config.collectors.find(info.name);
    const CollectorSection* section =
        section_it == config.collectors.end() ? nullptr : &section_it->second;
    bool enabled = info.enabled_by_default && !sel.disable_defaults;
    if (section && section->enabled) enabled = *section->enabled;
    if (auto f = sel.flags.find(info.name); f != sel.flags.end()) {
      enabled = f->second;
    }
    ConfigMap options = section ? section->options : ConfigMap();
    auto collector = info.create(config, options, *context, err);
    if (!collector) return nullptr;
    if (!enabled) continue;  // validated, but not run
    auto entry = std::make_shared<Entry>();
    entry->name = info.name;
    entry->collector = std::move(collector);
    entry->diagnosable = dynamic_cast<Diagnosable*>(entry->collector.get());
    set->entries_.push_back(std::move(entry));
  }
  return set;
}

CollectorSet::~CollectorSet() = default;

void CollectorSet::Start() {
  for (auto& e : entries_) e->collector->Start();
}

std::vector<std::string> CollectorSet::names() const {
  std::vector<std::string> out;
  for (const auto& e : entries_) out.push_back(e->name);
  return out;
}

void CollectorSet::WaitForResults(Deadline deadline) {
  for (auto& e : entries_) {
    if (e->diagnosable) e->diagnosable->WaitForResults(deadline);
  }
}

void CollectorSet::Collect(Deadline deadline,
                           std::vector<prometheus::MetricFamily>* out) {
  Collect(deadline, out, nullptr);
}

void CollectorSet::Collect(Deadline deadline,
                           std::vector<prometheus::MetricFamily>* out,
                           std::vector<CollectorFindings>* findings) {
  const bool diagnose = findings != nullptr;
  auto state = std::make_shared<ScrapeState>();
  state->results.resize(entries_.size());
  state->pending = entries_.size();
  const auto start = Deadline::Clock::now();
  for (size_t i = 0; i < entries_.size(); ++i) {
    std::shared_ptr<Entry> entry = entries_[i];
    std::thread([entry, state, i, deadline, diagnose] {
      Result r;
      RunOne(entry.get(), deadline, diagnose, &r);
      std::lock_guard<std::mutex> lock(state->mu);
      r.done = true;
      state->results[i] = std::move(r);
      --state->pending;
      state->cv.notify_all();
    }).detach();
  }
  std::vector<Result> results;
  {
    std::unique_lock<std::mutex> lock(state->mu);
    state->cv.wait_until(lock, deadline.at(),
                         [&] { return state->pending == 0; });
    // Take finished results; leave unfinished slots for their workers.
    results.resize(entries_.size());
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (state->results[i].done) results[i] = std::move(state->results[i]);
    }
  }
  const double elapsed =
      std::chrono::duration<double>(Deadline::Clock::now() - start).count();
  FamilyBuilder success(out, "mailflow_collector_success",
                        "Whether the collector's last scrape succeeded (1) or "
                        "failed, errored or overran the deadline (0).",
                        prometheus::MetricType::Gauge);
  FamilyBuilder duration(out, "mailflow_collector_duration_seconds",
                         "How long the collector took in this scrape.",
                         prometheus::MetricType::Gauge);
  std::vector<prometheus::MetricFamily> collected;
  for (size_t i = 0; i < entries_.size(); ++i) {
    const std::string& name = entries_[i]->name;
    Result& r = results[i];
    if (!r.done) {
      r.status = Status::Error("did not finish before the scrape deadline");
      r.seconds = elapsed;
    }
    LogOnChange(LogLevel::kWarn, name, "collector/" + name,
                r.status.ok() ? "" : "collector failed: " + r.status.message(),
                "collector recovered");
    for (auto& f : r.families) collected.push_back(std::move(f));
    if (findings) {
      findings->push_back({name, r.status, std::move(r.findings)});
    }
    success.Add({{"collector", name}}, r.status.ok() ? 1 : 0);
    duration.Add({{"collector", name}}, r.seconds);
  }
  for (auto& f : collected) out->push_back(std::move(f));
}

namespace {

void RunOne(CollectorSet::Entry* entry, Deadline deadline, bool diagnose,
            Result* result) {
  const auto start = Deadline::Clock::now();
  std::unique_lock<std::timed_mutex> lock(entry->busy, std::defer_lock);
  if (!lock.try_lock_until(deadline.at())) {
    result->status = Status::Error("previous collection still running");
  } else {
    try {
      result->status = entry->collector->Collect(deadline, &result->families);
      if (diagnose && entry->diagnosable) {
        entry->diagnosable->Diagnose(&result->findings);
      }
    } catch (const std::exception& e) {
      result->status = Status::Error(std::string("exception: ") + e.what());
    } catch (...) {
      result->status = Status::Error("unknown exception");
    }
  }
  result->seconds =
      std::chrono::duration<double>(Deadline::Clock::now() - start).count();
}

}  // namespace

}  // namespace mailflow
