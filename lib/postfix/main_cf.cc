#include "lib/postfix/main_cf.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>

#include "lib/postfix/logical_lines.h"
#include "lib/postfix/mac_expand.h"

namespace mailflow::postfix {
namespace {

// Built-in defaults of Postfix 3.7.11 as shipped in Debian 12
// (`postconf -d`), unexpanded. Sorted by name (Default() binary-searches).
// myhostname, mydomain and mynetworks are computed by Postfix at run time
// from the host; callers derive them (mynetworks from mynetworks_style).
constexpr std::pair<std::string_view, std::string_view> kDefaults[] = {
    {"alias_database", "hash:/etc/aliases"},
    {"alias_maps", "hash:/etc/aliases, nis:mail.aliases"},
    {"bounce_queue_lifetime", "5d"},
    {"command_directory", "/usr/sbin"},
    {"compatibility_level", "0"},
    {"config_directory", "/etc/postfix"},
    {"daemon_directory", "/usr/lib/postfix/sbin"},
    {"data_directory", "/var/lib/postfix"},
    {"default_process_limit", "100"},
    {"default_transport", "smtp"},
    {"delay_warning_time", "0h"},
    {"disable_dns_lookups", "no"},
    {"inet_interfaces", "all"},
    {"inet_protocols", "all"},
    {"local_transport", "local:$myhostname"},
    {"mail_name", "Postfix"},
    {"mail_owner", "postfix"},
    {"mail_spool_directory", "/var/mail"},
    {"mailbox_transport", ""},
    {"master_service_disable", ""},
    {"maximal_backoff_time", "4000s"},
    {"maximal_queue_lifetime", "5d"},
    {"meta_directory", "/etc/postfix"},
    {"minimal_backoff_time", "300s"},
    {"multi_instance_enable", "no"},
    {"multi_instance_name", ""},
    {"mydestination", "$myhostname, localhost.$mydomain, localhost"},
    {"mydomain", ""},
    {"myhostname", ""},
    {"mynetworks", ""},
    {"mynetworks_style",
     "${{$compatibility_level} <level {2} ? {subnet} : {host}}"},
    {"myorigin", "$myhostname"},
    {"postscreen_access_list", "permit_mynetworks"},
    {"postscreen_dnsbl_action", "ignore"},
    {"postscreen_dnsbl_sites", ""},
    {"postscreen_dnsbl_threshold", "1"},
    {"postscreen_greet_action", "ignore"},
    {"process_id_directory", "pid"},
    {"queue_directory", "/var/spool/postfix"},
    {"queue_run_delay", "300s"},
    {"relay_domains",
     "${{$compatibility_level} <level {2} ? {$mydestination} : {}}"},
    {"relay_transport", "relay"},
    {"relayhost", ""},
    {"shlib_directory", "/usr/lib/postfix"},
    {"smtp_address_preference", "any"},
    {"smtp_bind_address", ""},
    {"smtp_bind_address6", ""},
    {"smtp_connect_timeout", "30s"},
    {"smtp_dns_support_level", ""},
    {"smtp_helo_timeout", "300s"},
    {"smtp_host_lookup", "dns"},
    {"smtp_tcp_port", "smtp"},
    {"smtp_tls_security_level", ""},
    {"smtpd_banner", "$myhostname ESMTP $mail_name"},
    {"smtpd_client_connection_count_limit", "50"},
    {"smtpd_client_restrictions", ""},
    {"smtpd_data_restrictions", ""},
    {"smtpd_delay_reject", "yes"},
    {"smtpd_end_of_data_restrictions", ""},
    {"smtpd_etrn_restrictions", ""},
    {"smtpd_helo_restrictions", ""},
    {"smtpd_recipient_restrictions", ""},
    {"smtpd_reject_unlisted_recipient", "yes"},
    {"smtpd_relay_before_recipient_restrictions",
     "${{$compatibility_level} <level {3.6} ? {no} : {yes}}"},
    {"smtpd_relay_restrictions",
     "${{$compatibility_level} <level {1} ? {} : {permit_mynetworks, "
     "permit_sasl_authenticated, defer_unauth_destination}}"},
    {"smtpd_restriction_classes", ""},
    {"smtpd_sasl_auth_enable", "no"},
    {"smtpd_sender_restrictions", ""},
    {"smtpd_timeout", "${stress?{10}:{300}}s"},
    {"smtpd_tls_auth_only", "no"},
    {"smtpd_tls_security_level", ""},
    {"smtpd_tls_wrappermode", "no"},
    {"smtpd_use_tls", "no"},
    {"syslog_name", "${multi_instance_name?{$multi_instance_name}:{postfix}}"},
    {"transport_maps", ""},
    {"virtual_alias_maps", "$virtual_maps"},
    {"virtual_maps", ""},
    {"virtual_transport", "virtual"},
};

static_assert(std::is_sorted(std::begin(kDefaults), std::end(kDefaults),
                             [](const auto& a, const auto& b) {
                               return a.first < b.first;
                             }),
              "kDefaults must be sorted by name");

}  // namespace

// Resolves names for mac_expand: overrides, then main.cf, then defaults.
class MainCf::Lookup : public MacroLookup {
 public:
  Lookup(const MainCf& main_cf, const ParamOverrides* overrides)
      : main_cf_(main_cf), overrides_(overrides) {}
  std::optional<std::string_view> Find(std::string_view name) const override {
    if (overrides_ != nullptr) {
      for (auto it = overrides_->rbegin(); it != overrides_->rend(); ++it) {
        if (it->first == name) return std::string_view(it->second);
      }
    }
    return main_cf_.Find(name);
  }

 private:
  const MainCf& main_cf_;
  const ParamOverrides* overrides_;
};

MainCf MainCf::Parse(std::string_view text, std::string source) {
  MainCf result;
  result.source_ = std::move(source);
  for (const LogicalLine& line : ReadLogicalLines(text, &result.problems_)) {
    result.ParseLine(line.first_line, line.text);
  }
  std::stable_sort(result.problems_.begin(), result.problems_.end(),
                   [](const ConfigProblem& a, const ConfigProblem& b) {
                     return a.line < b.line;
                   });
  return result;
}

void MainCf::ParseLine(int line, std::string_view text) {
  std::string_view name;
  std::string_view value;
  if (const char* why = SplitNameValue(text, &name, &value)) {
    problems_.push_back({line, std::string(why) + ": " + QuoteExcerpt(text)});
    return;
  }
  auto it = params_.find(name);
  if (it == params_.end()) {
    params_.emplace(std::string(name), Param{std::string(value), line});
    return;
  }
  if (it->second.value != value) {
    problems_.push_back({line,
                         "overriding earlier entry: " + std::string(name) +
                             "=" + it->second.value,
                         ProblemSeverity::kWarning});
  }
  it->second = Param{std::string(value), line};
}

std::string MainCf::FormatProblem(const ConfigProblem& problem) const {
  return source_ + ":" + std::to_string(problem.line) + ": " + problem.message;
}

bool MainCf::IsSet(std::string_view name) const {
  return params_.find(name) != params_.end();
}

int MainCf::LineOf(std::string_view name) const {
  auto it = params_.find(name);
  return it == params_.end() ? 0 : it->second.line;
}

MainCfParam MainCf::AsWritten(std::string_view name) const {
  const int line = LineOf(name);
  // A default is shown as it applies, not as its $name template.
  return {std::string(name), line > 0 ? Raw(name) : Get(name), line};
}

std::vector<std::string> MainCf::SetNames() const {
  std::vector<std::string> names;
  names.reserve(params_.size());
  for (const auto& [name, param] : params_) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

std::optional<std::string_view> MainCf::Default(std::string_view name) {
  auto it = std::lower_bound(std::begin(kDefaults), std::end(kDefaults), name,
                             [](const auto& entry, std::string_view key) {
                               return entry.first < key;
                             });
  if (it == std::end(kDefaults) || it->first != name) return std::nullopt;
  return it->second;
}

std::optional<std::string_view> MainCf::Find(std::string_view name) const {
  auto it = params_.find(name);
  if (it != params_.end()) return std::string_view(it->second.value);
  return Default(name);
}

std::string MainCf::Raw(std::string_view name) const {
  return std::string(Find(name).value_or(std::string_view()));
}

std::string MainCf::Expand(std::string_view text, std::string* err,
                           const ParamOverrides* overrides) const {
  Lookup lookup(*this, overrides);
  std::string out;
  std::string error;
  if (!MacExpand(text, lookup, &out, &error)) out.clear();
  if (err != nullptr) *err = std::move(error);
  return out;
}

std::string MainCf::Get(std::string_view name, std::string* err) const {
  return Expand(Find(name).value_or(std::string_view()), err);
}

std::string MainCf::GetWithOverrides(std::string_view name,
                                     const ParamOverrides& overrides,
                                     std::string* err) const {
  Lookup lookup(*this, &overrides);
  return Expand(lookup.Find(name).value_or(std::string_view()), err,
                &overrides);
}

// mystrtokq(&bp, " ,\t\r\n", "{}"), the tokenizer of Postfix lists.
std::vector<std::string> MainCf::SplitList(std::string_view value) {
  std::vector<std::string> items;
  for (std::string_view item : SplitOutsideBraces(value, " ,\t\r\n")) {
    items.emplace_back(item);
  }
  return items;
}

// conv_time(): strtol(), then at most one unit letter.
bool MainCf::ParseTimeValue(std::string_view value, char default_unit,
                            int64_t* seconds) {
  if (value.empty()) return false;
  std::string copy(value);
  if (copy.find('\0') != std::string::npos) return false;
  char* end = nullptr;
  errno = 0;
  long longval = std::strtol(copy.c_str(), &end, 10);
  if (errno == ERANGE || longval < 0 || longval > INT_MAX) return false;
  if (*end != '\0' && end[1] != '\0') return false;
  const int64_t n = longval;
  int64_t unit = 0;
  switch (*end != '\0' ? *end : default_unit) {
    case 'w':
      unit = 7 * 24 * 3600;
      break;
    case 'd':
      unit = 24 * 3600;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'm':
      unit = 60;
      break;
    case 's':
      *seconds = n;
      return true;
    default:
      return false;
  }
  if (n >= INT_MAX / unit) return false;
  *seconds = n * unit;
  return true;
}

}  // namespace mailflow::postfix
