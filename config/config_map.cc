#include "config/config_map.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <set>

#include "lib/base/file_util.h"
#include "lib/base/parse_int.h"
#include "lib/base/quoted.h"

namespace mailflow {

struct ConfigMap::Impl {
  struct Override {
    std::string value;
    std::string origin;
  };

  std::string source;
  YAML::Node node;  // a mapping, or null
  std::map<std::string, Override, std::less<>> overrides;
  std::set<std::string> read;

  // The value of `key` (an override first) and where it was given; false
  // when absent. Marks the key read.
  bool Find(std::string_view key, YAML::Node* value, std::string* where);
};

namespace {

std::string At(const std::string& source, const YAML::Mark& mark) {
  // yaml-cpp marks are 0-based.
  return source + ":" + std::to_string(mark.line + 1) + ":" +
         std::to_string(mark.column + 1);
}

bool Fail(std::string* err, const std::string& where, const std::string& msg) {
  *err = where + ": " + msg;
  return false;
}

// Opens `node` as a mapping: rejects non-maps and duplicate keys.
bool OpenMap(const YAML::Node& node, const std::string& source,
             const std::string& what, std::string* err) {
  if (!node || node.IsNull()) return true;
  if (!node.IsMap()) {
    return Fail(err, At(source, node.Mark()), what + " must be a mapping");
  }
  std::set<std::string> seen;
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) {
      return Fail(err, At(source, kv.first.Mark()), "keys must be strings");
    }
    const std::string key = kv.first.Scalar();
    if (!seen.insert(key).second) {
      return Fail(err, At(source, kv.first.Mark()),
                  std::string("duplicate key ").append(Quoted(key)));
    }
  }
  return true;
}

}  // namespace

bool ReadConfigFile(const std::string& path, std::string* text,
                    std::string* err) {
  return ReadWholeFile(path, text, err, 4 << 20);
}

bool ParseDuration(std::string_view text, std::chrono::milliseconds* out) {
  static constexpr struct {
    std::string_view name;
    int64_t ms;
  } kUnits[] = {{"ms", 1},
                {"s", 1000},
                {"m", 60 * 1000},
                {"h", 3600 * 1000},
                {"d", 86400 * 1000},
                {"w", 7 * 86400 * 1000},
                {"y", 365 * int64_t{86400 * 1000}}};
  if (text.empty()) return false;
  int64_t total_ms = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    int64_t n = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      n = n * 10 + (text[i] - '0');
      if (n > kMaxDuration.count()) return false;
      ++i;
    }
    if (i == start) return false;
    size_t unit_start = i;
    while (i < text.size() && text[i] >= 'a' && text[i] <= 'z') ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    int64_t mult = 0;
    for (const auto& u : kUnits) {
      if (u.name == unit) mult = u.ms;
    }
    int64_t term = 0;
    if (mult == 0 || __builtin_mul_overflow(n, mult, &term) ||
        __builtin_add_overflow(total_ms, term, &total_ms) ||
        total_ms > kMaxDuration.count()) {
      return false;
    }
  }
  *out = std::chrono::milliseconds(total_ms);
  return true;
}

bool ConfigMap::Impl::Find(std::string_view key, YAML::Node* value,
                           std::string* where) {
  auto o = overrides.find(key);
  if (o != overrides.end()) {
    *value = YAML::Node(o->second.value);
    *where = o->second.origin;
  } else {
    if (!node || node.IsNull()) return false;
    *value = node[std::string(key)];
    if (!*value) return false;
    *where = At(source, value->Mark());
  }
  read.insert(std::string(key));
  return true;
}

std::string FormatDuration(std::chrono::milliseconds d) {
  static constexpr struct {
    const char* name;
    int64_t ms;
  } kUnits[] = {{"d", 86400 * 1000},
                {"h", 3600 * 1000},
                {"m", 60 * 1000},
                {"s", 1000},
                {"ms", 1}};
  int64_t left = d.count();
  if (left <= 0) return "0s";
  std::string out;
  for (const auto& u : kUnits) {
    if (left >= u.ms) {
      out += std::to_string(left / u.ms) + u.name;
      left %= u.ms;
    }
  }
  return out;
}

ConfigMap::ConfigMap() : impl_(std::make_shared<Impl>()) {}
ConfigMap::~ConfigMap() = default;
ConfigMap::ConfigMap(const ConfigMap&) = default;
ConfigMap& ConfigMap::operator=(const ConfigMap&) = default;

bool ConfigMap::Parse(const std::string& text, const std::string& source,
                      ConfigMap* out, std::string* err) {
  ConfigMap m;
  m.impl_->source = source;
  try {
    m.impl_->node = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return Fail(err, At(source, e.mark), e.msg);
  }
  if (!OpenMap(m.impl_->node, source, "the configuration", err)) return false;
  *out = std::move(m);
  return true;
}

bool ConfigMap::empty() const {
  return impl_->overrides.empty() &&
         (!impl_->node || impl_->node.IsNull() || impl_->node.size() == 0);
}

bool ConfigMap::Has(std::string_view key) const {
  if (impl_->overrides.count(key)) return true;
  if (!impl_->node || impl_->node.IsNull()) return false;
  return static_cast<bool>(impl_->node[std::string(key)]);
}

std::string ConfigMap::Where(std::string_view key) const {
  auto o = impl_->overrides.find(key);
  if (o != impl_->overrides.end()) return o->second.origin;
  if (!impl_->node) return impl_->source;
  if (!key.empty() && Has(key)) {
    for (const auto& kv : impl_->node) {
      if (kv.first.Scalar() == key) return At(impl_->source, kv.first.Mark());
    }
  }
  return At(impl_->source, impl_->node.Mark());
}

std::vector<std::string> ConfigMap::Keys() const {
  std::vector<std::string> keys;
  if (impl_->node && impl_->node.IsMap()) {
    for (const auto& kv : impl_->node) keys.push_back(kv.first.Scalar());
  }
  for (const auto& [key, o] : impl_->overrides) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      keys.push_back(key);
    }
  }
  return keys;
}

void ConfigMap::Override(std::string_view key, std::string value,
                         std::string origin) {
  impl_ = std::make_shared<Impl>(*impl_);
  impl_->overrides[std::string(key)] = {std::move(value), std::move(origin)};
}

#define MAILFLOW_LOOKUP(key)                          \
  YAML::Node value;                                   \
  std::string where;                                  \
  if (!impl_->Find(key, &value, &where)) return true; \
  const std::string name = Quoted(key)

bool ConfigMap::GetBool(std::string_view key, bool* out, std::string* err) {
  MAILFLOW_LOOKUP(key);
  const std::string s = value.IsScalar() ? value.Scalar() : "";
  if (s == "true") {
    *out = true;
  } else if (s == "false") {
    *out = false;
  } else {
    return Fail(err, where, name + " must be true or false");
  }
  return true;
}

bool ConfigMap::GetString(std::string_view key, std::string* out,
                          std::string* err) {
  MAILFLOW_LOOKUP(key);
  if (!value.IsScalar()) return Fail(err, where, name + " must be a string");
  *out = value.Scalar();
  return true;
}

namespace {
bool ToInt(const YAML::Node& value, int64_t min, int64_t max, int64_t* out) {
  return value.IsScalar() && ParseInt(value.Scalar(), min, max, out);
}
std::string Range(int64_t min, int64_t max) {
  return std::string("an integer from ") + std::to_string(min) + " to " +
         std::to_string(max);
}
}  // namespace

bool ConfigMap::GetInt(std::string_view key, int64_t min, int64_t max,
                       int64_t* out, std::string* err) {
  MAILFLOW_LOOKUP(key);
  if (!ToInt(value, min, max, out)) {
    return Fail(err, where, name + " must be " + Range(min, max));
  }
  return true;
}

bool ConfigMap::GetDuration(std::string_view key, std::chrono::milliseconds min,
                            std::chrono::milliseconds max,
                            std::chrono::milliseconds* out, std::string* err) {
  MAILFLOW_LOOKUP(key);
  std::chrono::milliseconds d{};
  if (!value.IsScalar() || !ParseDuration(value.Scalar(), &d) || d < min ||
      d > max) {
    return Fail(err, where,
                name + " must be a duration from " + FormatDuration(min) +
                    " to " + FormatDuration(max) + " (such as 500ms, 10s or " +
                    "5m)");
  }
  *out = d;
  return true;
}

bool ConfigMap::GetStringList(std::string_view key,
                              std::vector<std::string>* out, std::string* err) {
  MAILFLOW_LOOKUP(key);
  if (!value.IsSequence()) return Fail(err, where, name + " must be a list");
  std::vector<std::string> list;
  for (const auto& item : value) {
    if (!item.IsScalar()) {
      return Fail(err, At(impl_->source, item.Mark()),
                  std::string("items of ") + name + " must be strings");
    }
    list.push_back(item.Scalar());
  }
  *out = std::move(list);
  return true;
}

bool ConfigMap::GetIntList(std::string_view key, int64_t min, int64_t max,
                           std::vector<int64_t>* out, std::string* err) {
  MAILFLOW_LOOKUP(key);
  if (!value.IsSequence()) return Fail(err, where, name + " must be a list");
  std::vector<int64_t> list;
  for (const auto& item : value) {
    int64_t n;
    if (!ToInt(item, min, max, &n)) {
      return Fail(
          err, At(impl_->source, item.Mark()),
          std::string("items of ") + name + " must be " + Range(min, max));
    }
    list.push_back(n);
  }
  *out = std::move(list);
  return true;
}

bool ConfigMap::GetMap(std::string_view key, ConfigMap* out, std::string* err) {
  ConfigMap m;
  m.impl_->source = impl_->source;
  YAML::Node value;
  std::string where;
  if (impl_->Find(key, &value, &where)) {
    if (!value.IsNull() && !value.IsMap()) {
      return Fail(err, where, Quoted(key) + " must be a mapping");
    }
    if (!OpenMap(value, impl_->source, Quoted(key), err)) return false;
    m.impl_->node = value;
  }
  *out = std::move(m);
  return true;
}

#undef MAILFLOW_LOOKUP

std::string ConfigMap::Fingerprint() const {
  if (empty()) return "";
  YAML::Emitter out;
  out << impl_->node;
  return out.c_str();
}

bool ConfigMap::Finish(std::string* err) const {
  for (const std::string& key : Keys()) {
    if (!impl_->read.count(key)) {
      return Fail(err, Where(key),
                  std::string("unknown key ").append(Quoted(key)));
    }
  }
  return true;
}

}  // namespace mailflow
