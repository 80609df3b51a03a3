#include "lib/postfix/relay_walk.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <string_view>
#include <tuple>

#include "lib/postfix/restriction_names.h"

namespace mailflow::postfix {
namespace {

using Path = RelayWalk::Path;
using Stage = RelayWalk::Stage;

// Deeper than this, smtpd would recurse without end (a class naming
// itself): it dies, and the client is refused.
constexpr int kMaxLevel = 20;
// A bound on the work of one evaluation (restrictions applied).
constexpr size_t kMaxSteps = 100000;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(c));
  return s;
}

// What an access table says when its result is known (static:VALUE), for
// the worst-case stranger; "" for a table whose result depends on the key.
std::string StaticValue(const std::string& table) {
  if (table.rfind("static:", 0) != 0) return "";
  std::string v = table.substr(7);
  if (v.size() >= 2 && v.front() == '{' && v.back() == '}') {
    v = v.substr(1, v.size() - 2);
  }
  v.erase(0, v.find_first_not_of(" \t"));
  v.erase(v.find_last_not_of(" \t") + 1);
  return v.empty() ? "DUNNO" : v;
}

void Dedupe(std::vector<Path>* paths) {
  std::set<std::tuple<int, bool, bool, int, bool>> seen;
  std::vector<Path> out;
  for (Path& p : *paths) {
    auto key =
        std::make_tuple(int(p.status), p.defer_if_permit, p.defer_if_reject,
                        p.warn_level, p.undecided.empty());
    if (seen.insert(key).second) out.push_back(std::move(p));
  }
  *paths = std::move(out);
}

Path Reject(Path p, const std::string& what, bool warnable = true) {
  if (warnable && p.warn_level != 0) return p;  // reject_warning: DUNNO
  p.status = Path::kReject;
  p.reason = what;
  return p;
}

Path Permit(Path p, const std::string& what) {
  p.status = Path::kOk;
  p.reason = what;
  return p;
}

Path DeferIfPermit(Path p, const std::string& what) {
  if (p.warn_level != 0) return p;  // logged as reject_warning only
  if (!p.defer_if_permit) p.defer_reason = what;
  p.defer_if_permit = true;
  return p;
}

// A table, policy service or DNS list decides: every outcome is possible.
// The "no answer" branch stays unmarked: it is the path on which nothing
// was left to chance.
std::vector<Path> Undecided(Path p, const std::string& what) {
  Path decided = p;
  if (decided.undecided.empty()) decided.undecided = what;
  return {Permit(decided, what), Reject(decided, what, false), p};
}

// The verdict from the paths that passed every list (`live`) and those
// refused on the way.
RelayDecision Conclude(std::vector<Path> live, std::vector<Path> refused) {
  std::vector<Path> relayed;
  for (Path& p : live) {
    if (p.defer_if_permit) {
      p.reason = p.defer_reason + ", then permitted: deferred";
      refused.push_back(std::move(p));
    } else {
      relayed.push_back(std::move(p));
    }
  }
  if (!relayed.empty() && !refused.empty()) {
    for (const std::vector<Path>* paths : {&relayed, &refused}) {
      for (const Path& p : *paths) {
        if (!p.undecided.empty()) return {RelayVerdict::kDepends, p.undecided};
      }
    }
  }
  if (!relayed.empty()) {
    const Path& p = relayed.front();
    return {RelayVerdict::kRelayed,
            !p.permit_reason.empty()
                ? p.permit_reason
                : "no restriction of smtpd_relay_restrictions or "
                  "smtpd_recipient_restrictions refuses"};
  }
  // Prefer the path on which nothing was left to a table or policy.
  for (const Path& p : refused) {
    if (p.undecided.empty()) return {RelayVerdict::kRefused, p.reason};
  }
  return {RelayVerdict::kRefused, refused.front().reason};
}

}  // namespace

RelayWalk::RelayWalk(const SmtpdRestrictions& r)
    : client_(MainCf::SplitList(r.client)),
      helo_(MainCf::SplitList(r.helo)),
      sender_(MainCf::SplitList(r.sender)),
      relay_(MainCf::SplitList(r.relay)),
      recipient_(MainCf::SplitList(r.recipient)),
      delay_reject_(r.delay_reject),
      relay_before_recipient_(r.relay_before_recipient) {
  for (const auto& [name, value] : r.classes) {
    classes_.emplace_back(name, MainCf::SplitList(value));
  }
}

const std::vector<std::string>* RelayWalk::Class(
    const std::string& name) const {
  for (const auto& [n, items] : classes_) {
    if (n == name) return &items;
  }
  return nullptr;
}

// smtpd_check_init()'s sanity check (has_required): a list "works" when it
// names one of these before any `permit` (restriction classes included,
// the restriction after warn_if_reject not counted).
bool RelayWalk::HasRequired(const std::vector<std::string>& items) const {
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string name = Lower(items[i]);
    if (name == "warn_if_reject" && i + 1 < items.size()) {
      ++i;
      continue;
    }
    if (name == "permit") return false;
    if (RestrictsRelay(name)) return true;
    if (Class(items[i]) != nullptr && ClassHasRequired(items[i])) return true;
  }
  return false;
}

bool RelayWalk::ClassHasRequired(const std::string& name) const {
  auto [it, inserted] = class_works_.emplace(name, false);
  if (!inserted) return it->second;  // known, or being examined (a cycle)
  const bool works = HasRequired(*Class(name));
  class_works_[name] = works;
  return works;
}

RelayWalk::Paths RelayWalk::WalkList(const std::vector<std::string>& items,
                                     Paths in, const Stage& stage, int level,
                                     const std::string& where) const {
  Paths done, active = std::move(in);
  // `number` counts restrictions (1-based), `i` list items (arguments too).
  for (size_t i = 0, number = 1; i < items.size() && !active.empty();
       ++i, ++number) {
    const size_t item = i;
    Paths next;
    for (const Path& p : active) {
      size_t j = item;
      for (Path& r : Apply(items, &j, number, p, stage, level, where)) {
        i = j;  // the same for every path: Apply only skips the argument
        if (Lower(items[item]) != "warn_if_reject" && r.warn_level >= level) {
          r.warn_level = 0;  // warn_if_reject covered exactly this item
        }
        const bool both = r.defer_if_permit && r.defer_if_reject;
        (r.status == Path::kDunno && !both ? next : done)
            .push_back(std::move(r));
      }
    }
    Dedupe(&next);
    active = std::move(next);
  }
  for (Path& p : active) {
    if (p.warn_level >= level) p.warn_level = 0;
    done.push_back(std::move(p));
  }
  Dedupe(&done);
  return done;
}

RelayWalk::Paths RelayWalk::Apply(const std::vector<std::string>& items,
                                  size_t* i, size_t number, Path p,
                                  const Stage& stage, int level,
                                  const std::string& where) const {
  const std::string& raw = items[*i];
  const std::string name = Lower(raw);
  const bool has_arg = *i + 1 < items.size();
  if (++steps_ > kMaxSteps) return {p};  // Decide() reports `depends`
  auto what = [&](const std::string& text) {
    return where + ": " + text + " (item " + std::to_string(number) + ")";
  };
  auto argument = [&]() {
    ++*i;
    return items[*i];
  };
  if (name == "warn_if_reject") {
    if (p.warn_level == 0) p.warn_level = level;
    return {p};
  }
  if (name == "permit") return {Permit(p, what(raw))};
  if (name == "reject" || name == "defer") return {Reject(p, what(raw))};
  if (name == "defer_if_permit") return {DeferIfPermit(p, what(raw))};
  if (name == "defer_if_reject") {
    p.defer_if_reject = true;
    return {p};
  }
  if (name == "reject_unauth_destination" ||
      name == "defer_unauth_destination" || name == "check_relay_domains") {
    return {stage.recipient ? Reject(p, what(raw)) : p};
  }
  if (name == "permit_naked_ip_address") {
    // Postfix 3.7: permits a client whose HELO is an IP address.
    return {stage.helo ? Permit(p, what(raw + " (HELO with an IP address)"))
                       : p};
  }
  if (name == "permit_mx_backup") {
    return stage.recipient
               ? Undecided(p,
                           what(raw + " (the recipient domain's MX records)"))
               : Paths{p};
  }
  if (StrangerPasses(name)) return {p};
  if (StrangerPassesWithArgument(name)) {
    if (has_arg) argument();
    return {p};
  }
  if (name == "permit_dnswl_client" || name == "permit_rhswl_client" ||
      name == "check_policy_service") {
    if (!has_arg) return {Reject(p, what(raw + " without argument"), false)};
    const std::string arg = argument();
    return Undecided(p, what(raw + " " + arg));
  }
  std::string access = name;
  bool shorthand = false;
  if (name.rfind("check_", 0) != 0 && raw.find(':') != std::string::npos) {
    access = stage.default_access;  // "hash:/x" alone: the list's own kind
    shorthand = true;
  }
  if (access.rfind("check_", 0) == 0 && access.size() > 7 &&
      access.compare(access.size() - 7, 7, "_access") == 0) {
    if (!shorthand && !has_arg) {
      return {Reject(p, what(raw + " without table"), false)};
    }
    const std::string table = shorthand ? raw : argument();
    const std::string text = shorthand ? raw : raw + " " + table;
    const bool applies =
        access == "check_client_access" ||
        access == "check_reverse_client_hostname_access" ||
        (access == "check_helo_access" && stage.helo) ||
        (access == "check_sender_access" && stage.sender) ||
        (access == "check_recipient_access" && stage.recipient);
    // No client certificate, no SASL login, no ETRN: nothing to look up.
    if (!applies) return {p};
    return Table(table, p, stage, level, what(text));
  }
  if (const auto* cls = Class(raw)) {
    if (level >= kMaxLevel) {
      return {Reject(p, what(raw + ": restriction classes nested too deep"),
                     false)};
    }
    return WalkList(*cls, {p}, stage, level + 1,
                    where + ": restriction class " + raw);
  }
  // smtpd logs "unknown smtpd restriction" and answers 451.
  return {Reject(p, what("unknown restriction " + raw), false)};
}

RelayWalk::Paths RelayWalk::Table(const std::string& table, Path p,
                                  const Stage& stage, int level,
                                  const std::string& what) const {
  const std::string value = StaticValue(table);
  if (value.empty()) return Undecided(p, what + " decides");
  return Action(value, p, stage, level, what);
}

// An access(5) action: OK, REJECT, DUNNO, ..., or a restriction list.
RelayWalk::Paths RelayWalk::Action(const std::string& value, Path p,
                                   const Stage& stage, int level,
                                   const std::string& what) const {
  const std::string word = value.substr(0, value.find_first_of(" \t"));
  const std::string upper = [&] {
    std::string u = word;
    for (char& c : u) c = static_cast<char>(std::toupper(c));
    return u;
  }();
  const bool numeric = !word.empty() && word.find_first_not_of("0123456789") ==
                                            std::string::npos;
  if (upper == "OK" || (numeric && word[0] != '4' && word[0] != '5')) {
    return {Permit(p, what)};
  }
  if (upper == "REJECT" || upper == "DEFER" || numeric) {
    return {Reject(p, what)};
  }
  if (upper == "DUNNO") return {p};
  if (upper == "DEFER_IF_PERMIT") return {DeferIfPermit(p, what)};
  if (upper == "DEFER_IF_REJECT") {
    p.defer_if_reject = true;
    return {p};
  }
  if (upper == "DISCARD") {
    return {Reject(p, what + " (accepted and discarded, not relayed)", false)};
  }
  if (IsNonFinalAction(upper)) return {p};
  std::vector<std::string> list = MainCf::SplitList(value);
  for (const std::string& item : list) {
    if (item.find(':') != std::string::npos) {
      // "do not specify lookup tables inside SMTPD access maps": 451.
      return {Reject(p, what + ": lookup table inside an access map", false)};
    }
  }
  if (level >= kMaxLevel) {
    return {Reject(p, what + ": nested too deep", false)};
  }
  return WalkList(list, {p}, stage, level + 1, what);
}

RelayDecision RelayWalk::Decide() const {
  if (!HasRequired(relay_) && !HasRequired(recipient_)) {
    return {RelayVerdict::kRefused,
            "no reject_unauth_destination, defer_unauth_destination, reject, "
            "defer, defer_if_permit or check_relay_domains before a permit in "
            "either list: smtpd refuses to run"};
  }
  const bool d = delay_reject_;
  // With smtpd_delay_reject = yes every list runs at RCPT TO, when HELO,
  // MAIL FROM and the recipient are known; else each at its own stage.
  const Stage client{"smtpd_client_restrictions", "check_client_access", d, d,
                     d};
  const Stage helo{"smtpd_helo_restrictions", "check_helo_access", true, d, d};
  const Stage sender{"smtpd_sender_restrictions", "check_sender_access", true,
                     true, d};
  const Stage relay{"smtpd_relay_restrictions", "check_recipient_access", true,
                    true, true};
  const Stage rcpt{"smtpd_recipient_restrictions", "check_recipient_access",
                   true, true, true};
  struct Step {
    const std::vector<std::string>* items;
    const Stage* stage;
    bool reset;  // a new protocol stage: warn_if_reject/defer_if_reject off
  };
  const Step first = relay_before_recipient_ ? Step{&relay_, &relay, true}
                                             : Step{&recipient_, &rcpt, true};
  const Step second = relay_before_recipient_ ? Step{&recipient_, &rcpt, false}
                                              : Step{&relay_, &relay, false};
  const Step steps[] = {{&client_, &client, true},
                        {&helo_, &helo, true},
                        {&sender_, &sender, true},
                        first,
                        second};
  Paths live{Path{}}, refused;
  for (const Step& step : steps) {
    for (Path& p : live) {
      p.status = Path::kDunno;
      if (step.reset) p.defer_if_reject = false;
    }
    const bool rcpt_list = step.stage == &relay || step.stage == &rcpt;
    Paths next;
    for (Path& p : WalkList(*step.items, std::move(live), *step.stage, 1,
                            step.stage->list_name)) {
      if (p.status == Path::kReject) {
        refused.push_back(std::move(p));
        continue;
      }
      // The relay list's permit explains a relay best; else the recipient
      // list's.
      if (p.status == Path::kOk && rcpt_list &&
          (p.permit_reason.empty() || step.stage == &relay)) {
        p.permit_reason = p.reason;
      }
      next.push_back(std::move(p));
    }
    live = std::move(next);
  }
  if (steps_ > kMaxSteps) {
    return {RelayVerdict::kDepends,
            "restriction classes name each other too often to evaluate "
            "(smtpd may recurse without end)"};
  }
  return Conclude(std::move(live), std::move(refused));
}

}  // namespace mailflow::postfix
