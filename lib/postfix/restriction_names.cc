#include "lib/postfix/restriction_names.h"

#include <algorithm>

namespace mailflow::postfix {
namespace {

// Restrictions a stranger passes: permits that need mynetworks, SASL, a
// client certificate, this host's own addresses or domains; checks that can
// only reject, which the worst-case stranger passes.
constexpr std::string_view kPassed[] = {
    "permit_auth_destination",
    "permit_inet_interfaces",
    "permit_mynetworks",
    "permit_sasl_authenticated",
    "permit_tls_all_clientcerts",
    "permit_tls_clientcerts",
    "reject_authenticated_sender_login_mismatch",
    "reject_invalid_helo_hostname",
    "reject_invalid_hostname",
    "reject_known_sender_login_mismatch",
    "reject_maps_rbl",
    "reject_multi_recipient_bounce",
    "reject_non_fqdn_helo_hostname",
    "reject_non_fqdn_hostname",
    "reject_non_fqdn_recipient",
    "reject_non_fqdn_sender",
    "reject_plaintext_session",
    "reject_sender_login_mismatch",
    "reject_unauth_pipelining",
    "reject_unauth_sender_login_mismatch",
    "reject_unknown_address",
    "reject_unknown_client",
    "reject_unknown_client_hostname",
    "reject_unknown_forward_client_hostname",
    "reject_unknown_helo_hostname",
    "reject_unknown_hostname",
    "reject_unknown_recipient_domain",
    "reject_unknown_reverse_client_hostname",
    "reject_unknown_sender_domain",
    "reject_unlisted_recipient",
    "reject_unlisted_sender",
    "reject_unverified_recipient",
    "reject_unverified_sender",
    "check_recipient_maps",
};

// The same, with one argument (a DNS list, seconds, a table whose OK
// results Postfix refuses to honour).
constexpr std::string_view kPassedWithArgument[] = {
    "check_client_a_access",
    "check_client_mx_access",
    "check_client_ns_access",
    "check_helo_a_access",
    "check_helo_mx_access",
    "check_helo_ns_access",
    "check_recipient_a_access",
    "check_recipient_mx_access",
    "check_recipient_ns_access",
    "check_reverse_client_hostname_a_access",
    "check_reverse_client_hostname_mx_access",
    "check_reverse_client_hostname_ns_access",
    "check_sender_a_access",
    "check_sender_mx_access",
    "check_sender_ns_access",
    "reject_rbl",
    "reject_rbl_client",
    "reject_rhsbl_client",
    "reject_rhsbl_helo",
    "reject_rhsbl_recipient",
    "reject_rhsbl_reverse_client",
    "reject_rhsbl_sender",
    "sleep",
};

template <size_t N>
bool In(std::string_view name, const std::string_view (&set)[N]) {
  return std::find(set, set + N, name) != set + N;
}

// The sanity check of smtpd_check.c: without one of these in
// smtpd_relay_restrictions or smtpd_recipient_restrictions smtpd refuses
// to run.
constexpr std::string_view kRestrictsRelay[] = {
    "reject_unauth_destination", "defer_unauth_destination", "reject", "defer",
    "defer_if_permit",           "check_relay_domains"};

// Access map actions after which the list goes on (they only add an
// action to the message).
constexpr std::string_view kNonFinal[] = {
    "HOLD", "FILTER", "REDIRECT", "BCC", "PREPEND", "WARN", "INFO"};

}  // namespace

bool StrangerPasses(std::string_view name) { return In(name, kPassed); }

bool StrangerPassesWithArgument(std::string_view name) {
  return In(name, kPassedWithArgument);
}

bool RestrictsRelay(std::string_view name) { return In(name, kRestrictsRelay); }

bool IsNonFinalAction(std::string_view upper) { return In(upper, kNonFinal); }

}  // namespace mailflow::postfix
