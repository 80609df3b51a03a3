#include "lib/postfix/postfix_instances.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace mailflow {

namespace {

bool IsYes(const std::string& v) {
  std::string s = v;
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) {
    return static_cast<char>(std::tolower(c));
  });
  return s == "yes" || s == "true" || s == "1";
}

PostfixInstance Load(PostfixSnapshotCache* cache, const std::string& dir,
                     bool primary) {
  PostfixInstance in;
  in.config_directory = dir;
  in.primary = primary;
  in.snapshot = cache->Get(dir, &in.error);
  if (in.snapshot) {
    const postfix::MainCf& main = in.snapshot->config.main;
    in.name = main.Get("multi_instance_name");
    in.syslog_name = main.Get("syslog_name");
    if (!primary) in.enabled = IsYes(main.Get("multi_instance_enable"));
  } else if (!primary) {
    in.enabled = false;  // unknown: nothing to watch
  }
  return in;
}

}  // namespace

bool DiscoverPostfixInstances(PostfixSnapshotCache* cache,
                              const std::string& config_directory,
                              std::vector<PostfixInstance>* out,
                              std::vector<std::string>* ignored,
                              std::string* err) {
  out->clear();
  if (ignored) ignored->clear();
  PostfixInstance primary = Load(cache, config_directory, true);
  if (!primary.snapshot) {
    *err = primary.error;
    return false;
  }
  const std::vector<std::string> dirs = postfix::MainCf::SplitList(
      primary.snapshot->config.main.Get("multi_instance_directories"));
  out->push_back(std::move(primary));
  std::set<std::string> seen = {config_directory};
  for (const std::string& dir : dirs) {
    if (!seen.insert(dir).second) continue;
    if (out->size() >= kMaxPostfixInstances) {
      if (ignored) ignored->push_back(dir);
      continue;
    }
    out->push_back(Load(cache, dir, false));
  }
  // Names: multi_instance_name when set and unique, else a fallback that is.
  std::set<std::string> names;
  for (PostfixInstance& in : *out) {
    if (in.name.empty() || names.count(in.name)) {
      in.name = in.primary && !names.count("postfix") ? "postfix"
                                                      : in.config_directory;
    }
    names.insert(in.name);
  }
  return true;
}

const PostfixInstance& InstanceForSyslogName(
    const std::vector<PostfixInstance>& instances,
    std::string_view syslog_name) {
  const PostfixInstance* best = &instances.front();
  size_t best_len = 0;
  for (const PostfixInstance& in : instances) {
    const std::string& s = in.syslog_name;
    if (s.empty() || s.size() <= best_len) continue;
    if (syslog_name == s || (syslog_name.size() > s.size() &&
                             syslog_name.substr(0, s.size()) == s &&
                             syslog_name[s.size()] == '/')) {
      best = &in;
      best_len = s.size();
    }
  }
  return *best;
}

}  // namespace mailflow
