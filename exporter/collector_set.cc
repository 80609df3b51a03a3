#include "exporter/collector_set.h"

#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

#include "collectors/common/metrics.h"
#include "collectors/finding.h"
#include "exporter/process_metrics.h"
#include "lib/base/log.h"

namespace mailflow {

namespace {

// One Collect() call waiting for its flights; on its stack. Woken once,
// by the worker that finishes the last of them.
struct Waiter {
  size_t remaining = 0;
  std::condition_variable cv;
};

// One collection of one collector, shared by every scrape that asked for it
// before it started. Fields other than `deadline` and `with_findings` are
// written by the worker before it sets `done` under Board::mu; readers read
// them after seeing `done` under that lock.
struct Flight {
  explicit Flight(Deadline d) : deadline(d) {}
  Deadline deadline;  // the latest deadline of the scrapes waiting for it
  std::vector<Waiter*> waiting;  // Collect() calls waiting for it
  bool started = false;
  bool done = false;
  Status status;
  double seconds = 0;
  double cpu_seconds = 0;
  std::shared_ptr<const FamilyTexts> texts;
  // Set before it starts by a caller that wants the collector's findings
  // about this very collection (Diagnosable, right after Collect() on the
  // worker).
  bool with_findings = false;
  std::vector<Finding> findings;
};

}  // namespace

struct CollectorSet::Board {
  std::mutex mu;  // guards the flights and the workers' state
};

struct CollectorSet::Entry {
  std::string name;
  std::unique_ptr<Collector> collector;
  Diagnosable* diagnosable = nullptr;  // the collector, when it is one
  std::shared_ptr<Board> board;
  // Guarded by board->mu.
  std::condition_variable wake;
  std::shared_ptr<Flight> pending;  // asked for, not started
  bool busy = false;
  bool stop = false;
  std::thread thread;
  // Worker only: its thread's CPU time after the previous collection (the
  // thread sleeps in between), the last families and their text, reused
  // while equal.
  double cpu_after_last = 0;
  std::vector<prometheus::MetricFamily> last_families;
  std::shared_ptr<const FamilyTexts> last_texts;
};

namespace {

// Runs one collection on the worker thread; fills everything but `done`.
void RunFlight(CollectorSet::Entry* e, Flight* f) {
  const auto start = Deadline::Clock::now();
  std::vector<prometheus::MetricFamily> families;
  try {
    f->status = e->collector->Collect(f->deadline, &families);
    if (f->with_findings && e->diagnosable) {
      e->diagnosable->Diagnose(&f->findings);
    }
  } catch (const std::exception& ex) {
    f->status = Status::Error(std::string("exception: ") + ex.what());
  } catch (...) {
    f->status = Status::Error("unknown exception");
  }
  f->seconds =
      std::chrono::duration<double>(Deadline::Clock::now() - start).count();
  // Unchanged families keep their text: no serialization in steady state.
  if (!e->last_texts || !SameFamilies(families, e->last_families)) {
    e->last_texts =
        std::make_shared<const FamilyTexts>(ToFamilyTexts(families));
    e->last_families = std::move(families);
  }
  f->texts = e->last_texts;
  // One clock read per collection: the thread only waits between them.
  const double cpu = ThreadCpuSeconds();
  f->cpu_seconds = cpu - e->cpu_after_last;
  e->cpu_after_last = cpu;
}

void Work(const std::shared_ptr<CollectorSet::Entry>& e) {
  e->cpu_after_last = ThreadCpuSeconds();
  std::unique_lock<std::mutex> lock(e->board->mu);
  for (;;) {
    e->wake.wait(lock, [&] { return e->stop || e->pending; });
    if (e->stop) return;
    std::shared_ptr<Flight> f = std::move(e->pending);
    e->busy = true;
    f->started = true;
    lock.unlock();
    RunFlight(e.get(), f.get());
    lock.lock();
    f->done = true;
    e->busy = false;
    for (Waiter* w : f->waiting) {
      if (--w->remaining == 0) w->cv.notify_one();
    }
    f->waiting.clear();
  }
}

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
  set->board_ = std::make_shared<Board>();
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
    entry->diagnosable = dynamic_cast<Diagnosable*>(collector.get());
    entry->collector = std::move(collector);
    entry->board = set->board_;
    set->entries_.push_back(std::move(entry));
  }
  return set;
}

CollectorSet::~CollectorSet() {
  for (auto& e : entries_) {
    bool busy;
    {
      std::lock_guard<std::mutex> lock(board_->mu);
      e->stop = true;
      busy = e->busy;
    }
    e->wake.notify_one();
    if (!e->thread.joinable()) continue;
    // A busy worker may be stuck in a collector: it exits (and frees the
    // entry) when that collection ends.
    if (busy) {
      e->thread.detach();
    } else {
      e->thread.join();
    }
  }
}

void CollectorSet::Start() {
  for (auto& e : entries_) {
    e->collector->Start();
    e->thread = std::thread(Work, e);
  }
}

std::vector<std::string> CollectorSet::names() const {
  std::vector<std::string> out;
  for (const auto& e : entries_) out.push_back(e->name);
  return out;
}

int CollectorSet::queued(const std::string& name) const {
  std::lock_guard<std::mutex> lock(board_->mu);
  for (const auto& e : entries_) {
    if (e->name == name) {
      return e->pending ? static_cast<int>(e->pending->waiting.size()) : 0;
    }
  }
  return 0;
}

void CollectorSet::WaitForResults(Deadline deadline) {
  for (auto& e : entries_) {
    if (e->diagnosable) e->diagnosable->WaitForResults(deadline);
  }
}

std::vector<CollectorSet::Outcome> CollectorSet::Fly(Deadline deadline,
                                                     bool with_findings) {
  const auto start = Deadline::Clock::now();
  const size_t n = entries_.size();
  std::vector<Outcome> outcomes(n);
  // Collections that start from now on check main.cf/master.cf once.
  context_->postfix->NewScrape();
  std::vector<std::shared_ptr<Flight>> flights(n);
  Waiter waiter;
  waiter.remaining = n;
  std::unique_lock<std::mutex> lock(board_->mu);
  for (size_t i = 0; i < n; ++i) {
    Entry& e = *entries_[i];
    if (!e.pending) {
      e.pending = std::make_shared<Flight>(deadline);
    } else if (e.pending->deadline.at() < deadline.at()) {
      e.pending->deadline = deadline;
    }
    e.pending->with_findings = e.pending->with_findings || with_findings;
    e.pending->waiting.push_back(&waiter);
    flights[i] = e.pending;
  }
  // Woken without the lock held: they need it at once.
  lock.unlock();
  for (auto& e : entries_) e->wake.notify_one();
  lock.lock();
  waiter.cv.wait_until(lock, deadline.at(),
                       [&] { return waiter.remaining == 0; });
  for (const auto& f : flights) {  // overran: the waiter goes away
    std::erase(f->waiting, &waiter);
  }
  const double elapsed =
      std::chrono::duration<double>(Deadline::Clock::now() - start).count();
  for (size_t i = 0; i < n; ++i) {
    const Flight& f = *flights[i];
    Outcome& o = outcomes[i];
    if (f.done) {
      o.status = f.status;
      o.seconds = f.seconds;
      o.cpu_seconds = f.cpu_seconds;
      o.texts = f.texts;
      if (with_findings) o.findings = f.findings;
    } else {
      o.status = Status::Error(f.started ? "did not finish before the scrape "
                                           "deadline"
                                         : "previous collection still running");
      o.seconds = elapsed;
    }
  }
  return outcomes;
}

std::vector<CollectorFindings> CollectorSet::CollectFindings(
    Deadline deadline) {
  std::vector<CollectorFindings> out;
  std::vector<Outcome> outcomes = Fly(deadline, true);
  for (size_t i = 0; i < outcomes.size(); ++i) {
    out.push_back({entries_[i]->name, std::move(outcomes[i].status),
                   std::move(outcomes[i].findings)});
  }
  return out;
}

CollectedScrape CollectorSet::Collect(Deadline deadline) {
  const std::vector<Outcome> outcomes = Fly(deadline, false);
  const size_t n = outcomes.size();
  CollectedScrape scrape;
  for (const Outcome& o : outcomes) {
    if (!o.texts) continue;
    scrape.parts.push_back(o.texts);
    scrape.cpu_seconds += o.cpu_seconds;
  }
  std::vector<prometheus::MetricFamily> meta;
  FamilyBuilder success(&meta, "mailflow_collector_success",
                        "Whether the collector's last scrape succeeded (1) or "
                        "failed, errored or overran the deadline (0).",
                        prometheus::MetricType::Gauge);
  FamilyBuilder duration(&meta, "mailflow_collector_duration_seconds",
                         "How long the collector took in this scrape.",
                         prometheus::MetricType::Gauge);
  for (size_t i = 0; i < n; ++i) {
    const std::string& name = entries_[i]->name;
    const Outcome& o = outcomes[i];
    LogOnChange(LogLevel::kWarn, name, "collector/" + name,
                o.status.ok() ? "" : "collector failed: " + o.status.message(),
                "collector recovered");
    success.Add({{"collector", name}}, o.status.ok() ? 1 : 0);
    duration.Add({{"collector", name}}, o.seconds);
  }
  scrape.parts.push_back(
      std::make_shared<const FamilyTexts>(ToFamilyTexts(std::move(meta))));
  return scrape;
}

}  // namespace mailflow
