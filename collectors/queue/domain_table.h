// DomainTable: the recipient domains of cached queue messages, interned.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace mailflow::queue_collector {

/// Interned domain names with reference counts, so that a cached message
/// holds a 4-byte id per destination domain instead of a string. At most
/// `cap` names are held; beyond it, and for "", Acquire() returns kOther.
/// Ids of released names are reused. Not thread-safe (owned by one
/// QueueScanner, used under its lock).
class DomainTable {
 public:
  /// Id 0: the overflow, shown as "other"; never counted or freed.
  static constexpr uint32_t kOther = 0;

  explicit DomainTable(size_t cap);

  /// The id of `name`, one more reference to it.
  uint32_t Acquire(const std::string& name);
  /// Drops one reference to `id`; the last one frees the name. Ignores
  /// kOther and ids not held.
  void Release(uint32_t id);

  /// One past the highest id handed out (to size per-id count arrays).
  size_t size() const { return names_.size(); }
  /// REQUIRES: id < size(). "" for a freed id, "other" for kOther.
  const std::string& name(uint32_t id) const { return names_[id]; }
  /// Names currently held (kOther excluded).
  size_t held() const { return ids_.size(); }

 private:
  size_t cap_;
  std::unordered_map<std::string, uint32_t> ids_;
  std::vector<std::string> names_;
  std::vector<uint32_t> refs_;
  std::vector<uint32_t> free_;
};

/// The top destination domains of one scan: `by_name` (messages not cached;
/// "" and "other" count as other) merged with `by_id[id]` (cached messages,
/// names from `table`), by count descending then name; the first `top_n`
/// by name, the rest summed as a last ("other", N) when N > 0.
/// REQUIRES: by_id.size() <= table.size().
std::vector<std::pair<std::string, uint64_t>> RankDomains(
    std::unordered_map<std::string, uint64_t> by_name, const DomainTable& table,
    const std::vector<uint64_t>& by_id, size_t top_n);

}  // namespace mailflow::queue_collector
