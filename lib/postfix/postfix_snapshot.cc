#include "lib/postfix/postfix_snapshot.h"

#include <ctime>

namespace mailflow {

namespace {

// A file changed this recently may change again within the same timestamp
// tick without its identity changing.
constexpr int64_t kRacyWindowNs = int64_t{2} * 1000000000;

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

std::shared_ptr<const PostfixSnapshot> Build(PostfixConfig config) {
  auto s = std::make_shared<PostfixSnapshot>();
  s->queue_directory = config.main.Get("queue_directory");
  s->process_id_directory = config.main.Get("process_id_directory");
  s->inet_services = InetServices(config);
  s->config = std::move(config);
  return s;
}

}  // namespace

std::shared_ptr<const PostfixSnapshot> PostfixSnapshotCache::Get(
    const std::string& config_directory, std::string* err) {
  const std::string main_path = config_directory + "/main.cf";
  const std::string master_path = config_directory + "/master.cf";
  FileIdentity main_id, master_id;
  // A failed stat leaves the identity empty: the load below then reports
  // the reason.
  main_id.Of(main_path);
  master_id.Of(master_path);

  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(config_directory);
  if (it != entries_.end() && it->second.settled &&
      it->second.main == main_id && it->second.master == master_id) {
    it->second.last_used = ++uses_;
    return it->second.snapshot;
  }

  const int64_t now = NowNs();
  PostfixConfig config;
  if (!LoadPostfixConfig(config_directory, &config, err)) {
    if (it != entries_.end()) entries_.erase(it);
    return nullptr;
  }
  ++parses_;
  if (it == entries_.end()) {
    if (entries_.size() >= kMaxDirectories) {
      auto oldest = entries_.begin();
      for (auto e = entries_.begin(); e != entries_.end(); ++e) {
        if (e->second.last_used < oldest->second.last_used) oldest = e;
      }
      entries_.erase(oldest);
    }
    it = entries_.emplace(config_directory, Entry()).first;
  }
  Entry& e = it->second;
  e.main = main_id;
  e.master = master_id;
  e.settled = main_id.mtime_ns != 0 && master_id.mtime_ns != 0 &&
              now - main_id.mtime_ns > kRacyWindowNs &&
              now - master_id.mtime_ns > kRacyWindowNs;
  e.last_used = ++uses_;
  e.snapshot = Build(std::move(config));
  return e.snapshot;
}

uint64_t PostfixSnapshotCache::parses() const {
  std::lock_guard<std::mutex> lock(mu_);
  return parses_;
}

std::string PostfixConfigDependencyError(const std::string& config_directory) {
  return "needs the Postfix configuration in " + config_directory +
         ", which cannot be read (the postfix collector reports why)";
}

}  // namespace mailflow
