#include "collectors/log/log_options.h"

#include "collectors/log/journal_source.h"

namespace mailflow {
namespace {

// `journal_trusted_users`: user names or numeric uids whose Postfix-tagged
// journal entries count (default: root and postfix, the users Postfix's
// daemons run as). An empty list trusts the tag alone; so does the default
// when this host does not know the postfix user (an exporter in a container
// reading the host's journal: the uid is the host's), with *note saying so.
bool GetTrustedUids(ConfigMap* m, std::vector<uint32_t>* out, std::string* note,
                    std::string* err) {
  const bool given = m->Has("journal_trusted_users");
  std::vector<std::string> users = {"root", "postfix"};
  if (!m->GetStringList("journal_trusted_users", &users, err)) return false;
  out->clear();
  for (const std::string& u : users) {
    uint32_t uid = 0;
    if (log_collector::LookupUid(u, &uid)) {
      out->push_back(uid);
    } else if (given) {
      *err = m->Where("journal_trusted_users") + ": unknown user \"" + u + "\"";
      return false;
    } else {
      out->clear();
      *note =
          "journal_trusted_users: this host has no user \"" + u +
          "\" (a container?): Postfix-tagged journal entries count whoever "
          "sent them; set journal_trusted_users to [0, UID of postfix on the "
          "host] to drop forged ones";
      return true;
    }
  }
  return true;
}

bool ParseSource(const ConfigMap& m, const std::string& name, LogSource* out,
                 std::string* err) {
  if (name == "auto") {
    *out = LogSource::kAuto;
  } else if (name == "file") {
    *out = LogSource::kFile;
  } else if (name == "journal") {
    *out = LogSource::kJournal;
  } else if (name == "stdin") {
    *out = LogSource::kStdin;
  } else {
    *err = m.Where("source") +
           ": source must be auto, file, journal or stdin, not \"" + name +
           "\"";
    return false;
  }
  return true;
}

// Fails with "WHERE: NAME must be between LOW and HIGH" outside [min, max].
bool CheckInterval(const ConfigMap& m, const char* name,
                   std::chrono::milliseconds d, std::chrono::milliseconds min,
                   std::chrono::milliseconds max, const char* range,
                   std::string* err) {
  if (d >= min && d <= max) return true;
  *err = m.Where(name) + ": " + name + " must be between " + range;
  return false;
}

}  // namespace

bool ParseLogOptions(const Config& config, ConfigMap m, LogOptions* out,
                     std::string* err) {
  LogOptions o = *out;
  o.postfix_config_directory = config.paths.postfix_config_directory;
  std::string source = "auto", start_at = "end";
  if (!m.GetString("source", &source, err) ||
      !m.GetString("path", &o.path, err) ||
      !m.GetString("start_at", &start_at, err) ||
      !m.GetString("journal_directory", &o.journal_directory, err) ||
      !m.GetInt("greylist_tracking_max", 0, 10000000, &o.greylist_tracking_max,
                err) ||
      !m.GetDuration("poll_interval", &o.poll_interval, err) ||
      !m.GetDuration("auto_interval", &o.auto_interval, err) ||
      !GetTrustedUids(&m, &o.journal_trusted_uids, &o.journal_trust_note,
                      err) ||
      !ParseSource(m, source, &o.source, err) ||
      !CheckInterval(m, "auto_interval", o.auto_interval,
                     std::chrono::seconds(1), std::chrono::minutes(10),
                     "1s and 10m", err)) {
    return false;
  }
  o.source_name = source;
  if (start_at != "end" && start_at != "beginning") {
    *err = m.Where("start_at") + ": start_at must be end or beginning, not \"" +
           start_at + "\"";
    return false;
  }
  o.start_at_end = start_at == "end";
  if (o.path.empty()) {
    *err = m.Where("path") + ": path must not be empty";
    return false;
  }
  if (!CheckInterval(m, "poll_interval", o.poll_interval,
                     std::chrono::milliseconds(10), std::chrono::seconds(60),
                     "10ms and 1m", err) ||
      !m.Finish(err)) {
    return false;
  }
  *out = std::move(o);
  return true;
}

}  // namespace mailflow
