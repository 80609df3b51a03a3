#include "collectors/log/log_stats_by_instance.h"

#include <algorithm>

#include "collectors/common/metrics.h"

namespace mailflow::log_collector {
namespace {

// Upper bound of the bucket holding the 90th percentile of `h`; beyond the
// last bound: twice it; -1 when empty.
double P90UpperBound(const CumulativeHistogram& h) {
  if (h.count() == 0) return -1;
  uint64_t seen = 0;
  for (size_t i = 0; i < h.upper_bounds().size(); ++i) {
    seen += h.bucket_counts()[i];
    if (seen * 10 >= h.count() * 9) return h.upper_bounds()[i];
  }
  return h.upper_bounds().back() * 2;  // beyond +Inf's lower edge
}

}  // namespace

void LogStatsByInstance::SetInstances(std::vector<PostfixInstance> instances) {
  instances_ = std::move(instances);
  for (const PostfixInstance& in : instances_) StatsFor(in.name);
}

LogStats& LogStatsByInstance::StatsFor(const std::string& name) {
  auto it = stats_.find(name);
  if (it == stats_.end()) {
    it = stats_.emplace(name, LogStats(greylist_tracking_max_)).first;
  }
  return it->second;
}

void LogStatsByInstance::Count(const postfix::LogLine& line) {
  if (line.event == postfix::LogEvent::kForeign || line.tag.empty() ||
      !postfix::IsPostfixTag(line.tag)) {
    unclaimed_.Add(line);
    return;
  }
  const std::string& name =
      instances_.empty()
          ? kDefaultInstance
          : InstanceForSyslogName(instances_, line.syslog_name).name;
  StatsFor(name).Add(line);
}

void LogStatsByInstance::AppendFamilies(
    const SourceState& state,
    std::vector<prometheus::MetricFamily>* out) const {
  std::vector<const LogStats*> all = {&unclaimed_};
  for (const auto& [name, stats] : stats_) all.push_back(&stats);
  AppendLogSourceFamilies(all, state, out);
  for (const auto& [name, stats] : stats_) {
    std::vector<prometheus::MetricFamily> part;
    AppendLogInstanceFamilies(stats, &part);
    AppendWithLabel(std::move(part), kPostfixInstanceLabel, name, out);
  }
}

LogFacts LogStatsByInstance::Facts(const SourceState& state,
                                   bool start_at_end) {
  const LogStats& main =
      StatsFor(instances_.empty() ? kDefaultInstance : instances_.front().name);
  LogFacts f;
  f.source = state.source;
  f.path = state.path;
  f.up = state.up;
  f.error = state.is_file ? state.file.last_error : "";
  f.start_at_end = start_at_end;
  f.lines = unclaimed_.lines;
  for (const auto& [name, stats] : stats_) f.lines += stats.lines;
  f.greylist_deferrals = main.greylist_deferrals;
  f.greylisted_waiting = main.greylist_tracked();
  f.greylisted_delivered = main.greylist_delay.count();
  f.greylist_p90_seconds = P90UpperBound(main.greylist_delay);
  f.greylist_example = main.last_greylist;
  return f;
}

}  // namespace mailflow::log_collector
