// RelayWalk: the restriction-list walk behind EvaluateRelay() (internal).
//
// smtpd applies, at RCPT TO (smtpd_delay_reject = yes; else at their own
// stage, without the recipient), smtpd_client_, helo_, sender_, then
// smtpd_relay_ and smtpd_recipient_restrictions (or the other way round when
// smtpd_relay_before_recipient_restrictions = no). A list ends at the first
// restriction that permits or rejects; a reject in any list refuses the
// recipient; a permit only ends its own list. The walk follows every path a
// stranger can take: where a lookup table, a policy service or a DNS list
// decides, it follows the permit, the reject and the "DUNNO" outcome, so the
// verdict is `depends` exactly when some paths relay and others refuse.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "lib/postfix/relay_restrictions.h"

namespace mailflow::postfix {

class RelayWalk {
 public:
  explicit RelayWalk(const SmtpdRestrictions& restrictions);
  RelayDecision Decide() const;

  /// One path's state. Paths with equal flags and status are merged (the
  /// first one's reasons are kept).
  struct Path {
    enum Status { kDunno, kOk, kReject } status = kDunno;
    bool defer_if_permit = false;
    bool defer_if_reject = false;
    int warn_level = 0;         // recursion level of an active warn_if_reject
    std::string reason;         // the restriction that rejected / permitted
    std::string defer_reason;   // where defer_if_permit was raised
    std::string permit_reason;  // the first relay/recipient list permit
    std::string undecided;      // the first undecidable restriction on the path
  };

  /// What the list being walked knows about the request.
  struct Stage {
    const char* list_name;
    const char* default_access;  // map shorthand: check_<x>_access
    bool helo, sender, recipient;
  };

 private:
  using Paths = std::vector<Path>;

  Paths WalkList(const std::vector<std::string>& items, Paths in,
                 const Stage& stage, int level, const std::string& where) const;
  /// Applies items[*i], restriction number `number` of its list (and its
  /// argument, advancing *i) to one path.
  Paths Apply(const std::vector<std::string>& items, size_t* i, size_t number,
              Path p, const Stage& stage, int level,
              const std::string& where) const;
  Paths Table(const std::string& table, Path p, const Stage& stage, int level,
              const std::string& what) const;
  Paths Action(const std::string& value, Path p, const Stage& stage, int level,
               const std::string& what) const;
  const std::vector<std::string>* Class(const std::string& name) const;
  bool HasRequired(const std::vector<std::string>& items) const;
  bool ClassHasRequired(const std::string& name) const;

  std::vector<std::string> client_, helo_, sender_, relay_, recipient_;
  std::vector<std::pair<std::string, std::vector<std::string>>> classes_;
  bool delay_reject_, relay_before_recipient_;
  // Memo of ClassHasRequired (a class being examined counts as false: a
  // class that names itself would make smtpd recurse without end).
  mutable std::map<std::string, bool> class_works_;
  // Restrictions applied so far; past kMaxSteps (classes naming each other
  // many times over) the walk gives up and the verdict is `depends`.
  mutable size_t steps_ = 0;
};

}  // namespace mailflow::postfix
