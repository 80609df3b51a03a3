#include "collectors/log/log_collector.h"

#include <poll.h>
#include <string.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "collectors/common/metrics.h"
#include "collectors/log/auto_source.h"
#include "collectors/log/file_follower.h"
#include "collectors/log/journal_source.h"
#include "collectors/log/log_diagnosis.h"
#include "collectors/log/log_families.h"
#include "collectors/log/log_options.h"
#include "collectors/log/log_stats_by_instance.h"
#include "lib/base/log.h"
#include "lib/postfix/postfix_instances.h"

namespace mailflow::log_collector {

double NowUnix() {
  return std::chrono::duration<double>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class LogCollector : public Collector, public Diagnosable {
 public:
  LogCollector(LogOptions o, std::shared_ptr<PostfixSnapshotCache> snapshots)
      : options_(std::move(o)),
        snapshots_(std::move(snapshots)),
        counts_(size_t(options_.greylist_tracking_max)) {
    state_.configured = options_.source_name;
    SetSource(options_.source);
  }

  ~LogCollector() override {
    {
      std::lock_guard<std::mutex> lock(wake_mu_);
      stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  std::string_view Name() const override { return "log"; }

  void Start() override {
    if (!options_.journal_trust_note.empty() &&
        options_.source != LogSource::kFile &&
        options_.source != LogSource::kStdin) {
      Log(LogLevel::kWarn, "log", options_.journal_trust_note);
    }
    RefreshInstances();
    thread_ = std::thread([this] { Run(); });
  }

  Status Collect(Deadline,
                 std::vector<prometheus::MetricFamily>* out) override {
    RefreshInstances();
    std::lock_guard<std::mutex> lock(mu_);
    counts_.AppendFamilies(state_, out);
    seen_ = counts_.Facts(state_, options_.start_at_end);
    return Status::OK();
  }

  void Diagnose(std::vector<Finding>* out) const override {
    LogFindings(seen_, out);
  }

  // Until the source has been read to its end once (the backlog, with
  // start_at: beginning), or could not be opened.
  void WaitForResults(Deadline deadline) override {
    std::unique_lock<std::mutex> lock(mu_);
    caught_up_cv_.wait_until(lock, deadline.at(),
                             [this] { return caught_up_; });
  }

 private:
  // Re-reads which instances exist (cheap: the snapshot cache parses only
  // what changed) and gives each enabled one its stats, so that its series
  // exist before its first line. An unreadable default instance keeps the
  // last list; before any, lines go to "postfix".
  void RefreshInstances() {
    std::vector<PostfixInstance> found;
    std::string err;
    if (!DiscoverPostfixInstances(snapshots_.get(),
                                  options_.postfix_config_directory, &found,
                                  nullptr, &err)) {
      return;
    }
    std::erase_if(found, [](const PostfixInstance& in) { return !in.enabled; });
    std::lock_guard<std::mutex> lock(mu_);
    counts_.SetInstances(std::move(found));
  }

  void MarkCaughtUp() {
    std::lock_guard<std::mutex> lock(mu_);
    if (caught_up_) return;
    caught_up_ = true;
    caught_up_cv_.notify_all();
  }

  // Parses a block of complete lines under the lock.
  void AddBlock(std::string_view block) {
    std::lock_guard<std::mutex> lock(mu_);
    postfix::LogLine line;
    size_t i = 0;
    while (i < block.size()) {
      const void* nl = memchr(block.data() + i, '\n', block.size() - i);
      const size_t end =
          nl ? size_t(static_cast<const char*>(nl) - block.data())
             : block.size();
      postfix::ParseLogLine(block.substr(i, end - i), &line);
      counts_.Count(line);
      i = end + 1;
    }
    state_.last_line_time = NowUnix();
  }

  bool SleepFor(std::chrono::milliseconds d) {
    std::unique_lock<std::mutex> lock(wake_mu_);
    return !wake_.wait_for(lock, d, [this] { return stop_; });
  }

  // What /metrics says is followed. REQUIRES: mu_ held or no thread yet.
  void SetSource(LogSource s) {
    static const char* const kNames[] = {"none", "file", "journal", "stdin"};
    state_.source = kNames[static_cast<int>(s)];
    state_.is_file = s == LogSource::kFile;
    state_.is_journal = s == LogSource::kJournal;
    state_.path = s == LogSource::kFile      ? options_.path
                  : s == LogSource::kJournal ? options_.journal_directory
                                             : "";
  }

  bool stopping() {
    std::lock_guard<std::mutex> lock(wake_mu_);
    return stop_;
  }

  void PublishFileState(const FileFollower& f) {
    const FollowerState& fs = f.state();
    std::lock_guard<std::mutex> lock(mu_);
    state_.file = fs;
    state_.up = fs.open;
    state_.read_errors = fs.read_errors;
  }

  void Run() {
    switch (options_.source) {
      case LogSource::kAuto:
        RunAuto();
        break;
      case LogSource::kFile:
        RunFile();
        break;
      case LogSource::kStdin:
        RunStdin();
        break;
      case LogSource::kJournal:
        RunJournal();
        break;
    }
  }

  // source auto: the file if it exists, else the journal when it holds
  // Postfix entries; neither: look again every auto_interval.
  void RunAuto() {
    std::string last;
    while (!stopping()) {
      const AutoSource choice =
          ChooseAutoSource(options_.path, options_.journal_directory);
      const LogSource chosen = choice.source;
      const std::string& why = choice.why;
      if (chosen != LogSource::kAuto) {
        Log(LogLevel::kInfo, "log",
            std::string("log source: ") +
                (chosen == LogSource::kFile ? "file " + options_.path
                                            : "journal") +
                " (auto: " + why + ")");
        {
          std::lock_guard<std::mutex> lock(mu_);
          SetSource(chosen);
        }
        chosen == LogSource::kFile ? RunFile() : RunJournal();
        return;
      }
      if (why != last) {
        Log(LogLevel::kInfo, "log",
            "log source: none yet (auto: " + why + "); looking again every " +
                std::to_string(options_.auto_interval.count() / 1000) + "s");
        last = why;
      }
      if (!SleepFor(options_.auto_interval)) return;
    }
  }

  void RunFile() {
    FileFollower::Options fo;
    fo.path = options_.path;
    fo.start_at_end = options_.start_at_end;
    FileFollower follower(std::move(fo));
    const FileFollower::Sink sink = [this](std::string_view b) { AddBlock(b); };
    bool was_open = true;
    while (!stopping()) {
      const size_t got = follower.Poll(sink);
      PublishFileState(follower);
      if (got == 0) MarkCaughtUp();
      const auto& fs = follower.state();
      if (fs.open != was_open) {
        was_open = fs.open;
        LogOnChange(
            LogLevel::kInfo, "log", "log/source",
            fs.open ? "" : "waiting for " + options_.path + " to appear",
            "following " + options_.path);
      }
      LogOnChange(LogLevel::kWarn, "log", "log/error", fs.last_error,
                  "log source readable again");
      if (got == 0 && !SleepFor(options_.poll_interval)) break;
    }
  }

  void RunStdin() {
    FileFollower follower = FileFollower::ForDescriptor(0);
    const FileFollower::Sink sink = [this](std::string_view b) { AddBlock(b); };
    while (!stopping() && !follower.finished()) {
      struct pollfd p = {0, POLLIN, 0};
      const int r = poll(&p, 1, int(options_.poll_interval.count()));
      if (r > 0) follower.Poll(sink);
      PublishFileState(follower);
    }
    MarkCaughtUp();
    if (follower.finished())
      LogOnChange(LogLevel::kInfo, "log", "log/source", "stdin closed");
  }

  void RunJournal() {
    JournalSource journal(options_.journal_directory, options_.start_at_end,
                          options_.journal_trusted_uids);
    const JournalSource::Sink sink = [this](std::string_view ident,
                                            std::string_view msg) {
      postfix::LogLine line;
      postfix::ParseLogMessage(ident, msg, &line);
      std::lock_guard<std::mutex> lock(mu_);
      counts_.Count(line);
      state_.last_line_time = NowUnix();
    };
    uint64_t errors = 0;
    while (!stopping()) {
      std::string err;
      if (!journal.Open(&err)) {
        ++errors;
        LogOnChange(LogLevel::kWarn, "log", "log/error", err);
        {
          std::lock_guard<std::mutex> lock(mu_);
          state_.up = false;
          state_.read_errors = errors;
        }
        MarkCaughtUp();
        if (!SleepFor(std::chrono::seconds(5))) break;
        continue;
      }
      LogOnChange(LogLevel::kWarn, "log", "log/error", "", "journal open");
      const long n = journal.Poll(sink, 4096, &err);
      if (n < 0) {
        ++errors;
        LogOnChange(LogLevel::kWarn, "log", "log/error", err);
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        state_.up = journal.is_open();
        state_.read_errors = errors;
        state_.untrusted = journal.untrusted();
      }
      if (n == 0) {
        MarkCaughtUp();
        journal.Wait(options_.poll_interval);  // bounded wait
      }
    }
  }

  const LogOptions options_;
  const std::shared_ptr<PostfixSnapshotCache> snapshots_;
  // Guards counts_, state_ and caught_up_.
  std::mutex mu_;
  LogStatsByInstance counts_;
  SourceState state_;
  bool caught_up_ = false;
  std::condition_variable caught_up_cv_;
  LogFacts seen_;  // the last Collect(), for Diagnose()
  std::mutex wake_mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace mailflow::log_collector

namespace mailflow {

void RegisterLogCollector(CollectorRegistry* registry) {
  registry->Add(
      {"log", true,
       "Follows Postfix's log (file, journal or stdin): deliveries by status, "
       "per-phase "
       "delays, error reasons, smtpd rejects, greylisting.",
       [](const Config& config, ConfigMap options,
          const CollectorContext& context,
          std::string* err) -> std::unique_ptr<Collector> {
         LogOptions o;
         if (!ParseLogOptions(config, std::move(options), &o, err)) {
           return nullptr;
         }
         return std::make_unique<log_collector::LogCollector>(std::move(o),
                                                              context.postfix);
       }});
}

}  // namespace mailflow
