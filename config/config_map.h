// ConfigMap: a strict, typed view of one YAML mapping of the config file.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mailflow {

/// The longest duration any setting accepts (10 years): far beyond every
/// real setting, and small enough that adding it to a clock's now() cannot
/// overflow.
inline constexpr std::chrono::milliseconds kMaxDuration{int64_t{10} * 365 *
                                                        86400 * 1000};

/// A YAML mapping whose keys are read one by one with type checks; every key
/// that was not read is an error (Finish). Errors read
/// "FILE:LINE:COLUMN: message" (1-based). Duplicate keys are rejected when
/// the map is opened. An empty ConfigMap (no node) reads as all-defaults.
/// Getters leave `*out` untouched when the key is absent and return true.
/// Copyable (shares the immutable YAML tree); not thread-safe.
class ConfigMap {
 public:
  ConfigMap();
  ~ConfigMap();
  ConfigMap(const ConfigMap&);
  ConfigMap& operator=(const ConfigMap&);

  /// Parses `text` (from `source`, used in messages). An empty document or a
  /// `null` document is an empty map.
  static bool Parse(const std::string& text, const std::string& source,
                    ConfigMap* out, std::string* err);

  bool empty() const;
  bool Has(std::string_view key) const;
  /// "FILE:LINE:COL" of this mapping, or of `key` when given and present.
  std::string Where(std::string_view key = {}) const;

  bool GetBool(std::string_view key, bool* out, std::string* err);
  bool GetString(std::string_view key, std::string* out, std::string* err);
  bool GetInt(std::string_view key, int64_t min, int64_t max, int64_t* out,
              std::string* err);
  /// Prometheus-style duration ("500ms", "10s", "5m", "1h", "1d", "1w",
  /// "1y", "1m30s") from `min` to `max`; outside that range (or beyond
  /// kMaxDuration) it is an error naming both bounds.
  bool GetDuration(std::string_view key, std::chrono::milliseconds min,
                   std::chrono::milliseconds max,
                   std::chrono::milliseconds* out, std::string* err);
  /// As above, from 0 to kMaxDuration.
  bool GetDuration(std::string_view key, std::chrono::milliseconds* out,
                   std::string* err) {
    return GetDuration(key, std::chrono::milliseconds(0), kMaxDuration, out,
                       err);
  }
  bool GetStringList(std::string_view key, std::vector<std::string>* out,
                     std::string* err);
  bool GetIntList(std::string_view key, int64_t min, int64_t max,
                  std::vector<int64_t>* out, std::string* err);
  /// A nested mapping. Absent -> an empty map.
  bool GetMap(std::string_view key, ConfigMap* out, std::string* err);
  /// The keys of this mapping in file order (for maps keyed by name).
  std::vector<std::string> Keys() const;

  /// The mapping's content as canonical text: equal for equal sections,
  /// whatever was read from them (keys in file order, comments dropped).
  /// Collectors key what they carry over reloads with it (CarryOver).
  std::string Fingerprint() const;

  /// Fails on the first key that no getter read.
  bool Finish(std::string* err) const;

  /// Sets `key` to the scalar `value` as if this mapping held it (replacing
  /// the file's value), for settings given outside the file: a flag or an
  /// environment variable. Errors about the key name `origin` (e.g.
  /// "environment variable MAILFLOW_LOG_SOURCE") instead of
  /// FILE:LINE:COLUMN. Copies stay unaffected (copy-on-write).
  void Override(std::string_view key, std::string value, std::string origin);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

/// Reads a whole config file into `*text`. An unreadable file is an error
/// naming it ("PATH: cannot read: REASON").
bool ReadConfigFile(const std::string& path, std::string* text,
                    std::string* err);

/// Parses a Prometheus duration string. Returns false on malformed input
/// and on anything above kMaxDuration (no arithmetic overflows).
bool ParseDuration(std::string_view text, std::chrono::milliseconds* out);

/// The shortest Prometheus form of `d` ("1m30s", "500ms", "0s").
std::string FormatDuration(std::chrono::milliseconds d);

}  // namespace mailflow
