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

#include "collectors/log/file_follower.h"
#include "collectors/log/journal_source.h"
#include "collectors/log/log_families.h"
#include "collectors/log/log_diagnosis.h"
#include "collectors/log/log_stats.h"
#include "lib/base/log.h"

namespace mailflow {
namespace {

using log::FileFollower;
using log::JournalSource;
using log::LogStats;
using log::SourceState;

enum class Source { kFile, kJournal, kStdin };

struct LogOptions {
  Source source = Source::kFile;
  std::string source_name = "file";
  std::string path = "/var/log/mail.log";
  bool start_at_end = true;
  std::string journal_directory;
  int64_t greylist_tracking_max = 10000;
  std::chrono::milliseconds poll_interval{250};
};

double NowUnix() {
  return std::chrono::duration<double>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class LogCollector : public Collector, public Diagnosable {
 public:
  explicit LogCollector(LogOptions o)
      : options_(std::move(o)), stats_(size_t(options_.greylist_tracking_max)) {
    state_.source = options_.source_name;
    state_.is_file = options_.source == Source::kFile;
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
    thread_ = std::thread([this] { Run(); });
  }

  Status Collect(Deadline,
                 std::vector<prometheus::MetricFamily>* out) override {
    std::lock_guard<std::mutex> lock(mu_);
    log::AppendLogFamilies(stats_, state_, out);
    seen_ = FactsLocked();
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
  // REQUIRES: mu_ held.
  LogFacts FactsLocked() const {
    LogFacts f;
    f.source = state_.source;
    f.path = options_.source == Source::kJournal ? options_.journal_directory
                                                 : options_.path;
    f.up = state_.up;
    f.error = state_.is_file ? state_.file.last_error : "";
    f.start_at_end = options_.start_at_end;
    f.lines = stats_.lines;
    f.greylist_deferrals = stats_.greylist_deferrals;
    f.greylisted_waiting = stats_.greylist_tracked();
    const CumulativeHistogram& h = stats_.greylist_delay;
    f.greylisted_delivered = h.count();
    uint64_t seen = 0;
    for (size_t i = 0; i < h.upper_bounds().size() && h.count() > 0; ++i) {
      seen += h.bucket_counts()[i];
      if (seen * 10 >= h.count() * 9) {
        f.greylist_p90_seconds = h.upper_bounds()[i];
        break;
      }
    }
    if (h.count() > 0 && f.greylist_p90_seconds < 0) {
      f.greylist_p90_seconds = h.upper_bounds().back() * 2;  // beyond +Inf's
    }
    f.greylist_example = stats_.last_greylist;
    return f;
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
      stats_.Add(line);
      i = end + 1;
    }
    state_.last_line_time = NowUnix();
  }

  bool SleepFor(std::chrono::milliseconds d) {
    std::unique_lock<std::mutex> lock(wake_mu_);
    return !wake_.wait_for(lock, d, [this] { return stop_; });
  }

  bool stopping() {
    std::lock_guard<std::mutex> lock(wake_mu_);
    return stop_;
  }

  void PublishFileState(const FileFollower& f) {
    const log::FollowerState& fs = f.state();
    std::lock_guard<std::mutex> lock(mu_);
    state_.file = fs;
    state_.up = fs.open;
    state_.read_errors = fs.read_errors;
  }

  void Run() {
    switch (options_.source) {
      case Source::kFile:
        RunFile();
        break;
      case Source::kStdin:
        RunStdin();
        break;
      case Source::kJournal:
        RunJournal();
        break;
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
    JournalSource journal(options_.journal_directory, options_.start_at_end);
    const JournalSource::Sink sink = [this](std::string_view ident,
                                            std::string_view msg) {
      postfix::LogLine line;
      postfix::ParseLogMessage(ident, msg, &line);
      std::lock_guard<std::mutex> lock(mu_);
      stats_.Add(line);
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
      }
      if (n == 0) {
        MarkCaughtUp();
        journal.Wait(options_.poll_interval);  // bounded wait
      }
    }
  }

  const LogOptions options_;
  std::mutex mu_;  // guards stats_, state_ and caught_up_
  LogStats stats_;
  SourceState state_;
  bool caught_up_ = false;
  std::condition_variable caught_up_cv_;
  LogFacts seen_;  // the last Collect(), for Diagnose()
  std::mutex wake_mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace

void RegisterLogCollector(CollectorRegistry* registry) {
  registry->Add(
      {"log", true,
       "Follows Postfix's log (file, journal or stdin): deliveries by status, "
       "per-phase "
       "delays, error reasons, smtpd rejects, greylisting.",
       [](const Config&, ConfigMap options, const CollectorContext&,
          std::string* err) -> std::unique_ptr<Collector> {
         LogOptions o;
         std::string source = "file", start_at = "end";
         if (!options.GetString("source", &source, err) ||
             !options.GetString("path", &o.path, err) ||
             !options.GetString("start_at", &start_at, err) ||
             !options.GetString("journal_directory", &o.journal_directory,
                                err) ||
             !options.GetInt("greylist_tracking_max", 0, 10000000,
                             &o.greylist_tracking_max, err) ||
             !options.GetDuration("poll_interval", &o.poll_interval, err)) {
           return nullptr;
         }
         if (source == "file") {
           o.source = Source::kFile;
         } else if (source == "journal") {
           o.source = Source::kJournal;
         } else if (source == "stdin") {
           o.source = Source::kStdin;
         } else {
           *err = options.Where("source") +
                  ": source must be file, journal or stdin, not \"" + source +
                  "\"";
           return nullptr;
         }
         o.source_name = source;
         if (start_at == "end" || start_at == "beginning") {
           o.start_at_end = start_at == "end";
         } else {
           *err = options.Where("start_at") +
                  ": start_at must be end or beginning, not \"" + start_at +
                  "\"";
           return nullptr;
         }
         if (o.path.empty()) {
           *err = options.Where("path") + ": path must not be empty";
           return nullptr;
         }
         if (o.poll_interval < std::chrono::milliseconds(10) ||
             o.poll_interval > std::chrono::seconds(60)) {
           *err = options.Where("poll_interval") +
                  ": poll_interval must be between 10ms and 1m";
           return nullptr;
         }
         if (!options.Finish(err)) return nullptr;
         return std::make_unique<LogCollector>(std::move(o));
       }});
}

}  // namespace mailflow
