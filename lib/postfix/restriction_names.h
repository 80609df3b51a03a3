// What smtpd's restriction names mean for the relay walk (relay_walk.cc):
// the tables behind its decisions, in one place. Pure, thread-safe.
#pragma once

#include <string_view>

namespace mailflow::postfix {

/// A restriction without argument that the worst-case stranger passes:
/// permits needing mynetworks, SASL, a client certificate or this host's
/// own domains, and checks that can only reject (reject_unknown_*, ...).
/// `name` in lower case.
bool StrangerPasses(std::string_view name);

/// The same for restrictions taking one argument (DNS lists, check_*_mx/
/// ns/a_access, sleep): the argument is skipped.
bool StrangerPassesWithArgument(std::string_view name);

/// One of the restrictions Postfix's sanity check requires in the relay
/// or recipient list (reject_unauth_destination, defer, ...).
bool RestrictsRelay(std::string_view name);

/// An access map action (upper case) after which the list continues:
/// HOLD, FILTER, REDIRECT, BCC, PREPEND, WARN, INFO.
bool IsNonFinalAction(std::string_view upper);

}  // namespace mailflow::postfix
