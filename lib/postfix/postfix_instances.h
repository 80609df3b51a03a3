// PostfixInstances: the instances of a multi-instance Postfix (postmulti),
// found from the default instance's main.cf.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lib/postfix/postfix_snapshot.h"

namespace mailflow {

/// One Postfix instance: the default one, or one listed in its
/// multi_instance_directories.
struct PostfixInstance {
  /// The value of the postfix_instance label: multi_instance_name when set
  /// and unique; else "postfix" for the default instance (what syslog_name
  /// defaults to without a name) and the config directory for another.
  std::string name;
  std::string config_directory;
  /// The default instance (the configured postfix_config_directory).
  bool primary = false;
  /// multi_instance_enable of a secondary instance; the default instance is
  /// always enabled (postfix start starts it whatever the setting).
  bool enabled = true;
  /// main.cf's syslog_name, expanded: the prefix of its log lines' tags.
  std::string syslog_name;
  /// Null when main.cf or master.cf cannot be read; `error` says why.
  std::shared_ptr<const PostfixSnapshot> snapshot;
  std::string error;
};

/// At most this many instances are watched (the default one included);
/// further multi_instance_directories are reported and ignored.
constexpr size_t kMaxPostfixInstances = 16;

/// The instances of the Postfix whose default instance is configured in
/// `config_directory`: that instance first, then each directory of its
/// multi_instance_directories in order (duplicates and the default
/// directory itself skipped), whether multi_instance_wrapper is set or not
/// (Debian's postfix@.service starts each instance itself). Each snapshot
/// comes from `cache`, so a scrape parses nothing that has not changed.
/// Returns false with `*err` only when the default instance's configuration
/// cannot be read; a secondary instance that cannot be read is returned
/// with its `error`. `*ignored` (may be null) receives directories beyond
/// kMaxPostfixInstances. Thread-safe (the cache is).
bool DiscoverPostfixInstances(PostfixSnapshotCache* cache,
                              const std::string& config_directory,
                              std::vector<PostfixInstance>* out,
                              std::vector<std::string>* ignored,
                              std::string* err);

/// The instance a log line belongs to, from the line's syslog name (its tag
/// without the program: "postfix-out" of "postfix-out/smtp",
/// "postfix/submission" of "postfix/submission/smtpd"): the instance with the
/// longest syslog_name equal to it or to its leading '/'-separated parts.
/// Lines no instance claims (a service's own -o syslog_name=...) belong to
/// the default instance, the first one. REQUIRES: !instances.empty().
const PostfixInstance& InstanceForSyslogName(
    const std::vector<PostfixInstance>& instances,
    std::string_view syslog_name);

}  // namespace mailflow
