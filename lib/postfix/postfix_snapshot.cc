#include "lib/postfix/postfix_snapshot.h"

namespace mailflow {

namespace {

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
  {
    // Already checked since the current scrape began: no stat again.
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(config_directory);
    if (epoch_ != 0 && it != entries_.end() && it->second.settled &&
        it->second.checked_epoch == epoch_) {
      it->second.last_used = ++uses_;
      return it->second.snapshot;
    }
  }
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
    it->second.checked_epoch = epoch_;
    return it->second.snapshot;
  }

  const int64_t now = FileIdentity::NowNs();
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
              main_id.Settled(now) && master_id.Settled(now);
  e.last_used = ++uses_;
  e.checked_epoch = epoch_;
  e.snapshot = Build(std::move(config));
  return e.snapshot;
}

void PostfixSnapshotCache::NewScrape() {
  std::lock_guard<std::mutex> lock(mu_);
  ++epoch_;
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
