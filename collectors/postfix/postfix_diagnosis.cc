#include "collectors/postfix/postfix_diagnosis.h"

#include <algorithm>
#include <set>

#include "collectors/common/fix_commands.h"
#include "lib/postfix/mynetworks.h"

namespace mailflow {

namespace {

using S = CheckStatus;

std::string Where(const std::string& file, int line) {
  return line > 0 ? file + ":" + std::to_string(line)
                  : file + " (not set: Postfix's default)";
}

Evidence ParamEvidence(const PostfixFacts& f, const postfix::MainCfParam& p) {
  return {p.name + " = " + p.value, Where(f.main_cf, p.line)};
}

std::string Joined(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

void Running(const PostfixFacts& f, std::vector<Finding>* out) {
  const std::string pid = std::to_string(f.master_pid);
  if (f.master_running) {
    out->push_back(
        Finding(Step::kPostfixRunning, S::kOk,
                "the master process runs (pid " + pid + ")")
            .With("pid " + pid + ", a live process named master", f.pid_file));
  } else {
    out->push_back(
        Finding(Step::kPostfixRunning, S::kFail,
                "the Postfix master process is not running (" +
                    f.master_detail + "): no mail is accepted or delivered")
            .With(f.master_detail, f.pid_file)
            .Fix(PostfixTool("postfix", f.config_directory, "check") +
                     "   (names a broken file or permission; the mail log "
                     "says why it stopped)",
                 PostfixTool("postfix", f.config_directory, "start"))
            .Runbook("PostfixDown"));
  }
  for (const auto& p : f.config_errors) {
    out->push_back(
        Finding(Step::kPostfixRunning, S::kWarn,
                "a line Postfix refuses: it fails at the next "
                "start or reload")
            .About(p.where)
            .With(p.message, p.where)
            .Fix("correct the line, then " +
                     PostfixTool("postfix", f.config_directory, "check"),
                 PostfixReload(f.config_directory)));
  }
}

// Port 25 is mail's front door (critical); 587 and 465 are commented out in
// the master.cf Postfix ships, so there it is a note.
Finding Disabled(const PostfixFacts& f, int port,
                 const std::vector<const PostfixFacts::Service*>& off) {
  const bool critical = port == 25;
  // The one to re-enable: the last plain smtpd entry (a stock master.cf
  // also has a commented-out postscreen line for port 25).
  const PostfixFacts::Service* pick = off.back();
  for (const auto* o : off) {
    if (o->command == "smtpd") pick = o;
  }
  const PostfixFacts::Service& s = *pick;
  const bool comment = s.disabled_by == "comment";
  std::string names;
  std::set<std::string> named;
  for (const auto* o : off) {
    if (named.insert(o->service).second) {
      names += (names.empty() ? "" : ", ") + o->service;
    }
  }
  const std::string what =
      names + (comment ? " commented out in master.cf"
                       : " disabled by master_service_disable");
  Finding x = critical ? Finding(Step::kServices, S::kFail,
                                 what + ": nothing accepts mail on port 25")
                       : Finding(Step::kServices, S::kOk,
                                 what +
                                     " (as shipped): enable it only if this "
                                     "server offers it");
  x.subject = "port " + std::to_string(port);
  for (const auto* o : off) {
    x.evidence.push_back({o->text, Where(f.master_cf, o->line)});
  }
  if (!comment)
    x.evidence.push_back(ParamEvidence(f, f.master_service_disable));
  if (!critical) return x;
  return std::move(x)
      .Fix(comment
               ? "uncomment line " + std::to_string(s.line) + " of " +
                     f.master_cf + " (and its -o lines)"
               : "remove " + s.service + "/inet from master_service_disable (" +
                     Where(f.main_cf, f.master_service_disable.line) + ")",
           PostfixReload(f.config_directory))
      .Runbook("PostfixSMTPServiceDisabled");
}

void Services(const PostfixFacts& f, std::vector<Finding>* out) {
  for (int64_t port : f.watched_ports) {
    std::vector<const PostfixFacts::Service*> on, off;
    for (const auto& s : f.services) {
      if (s.port == port) (s.enabled ? on : off).push_back(&s);
    }
    const std::string subject = "port " + std::to_string(port);
    for (const auto* s : on) {
      out->push_back(
          Finding(Step::kServices, S::kOk, s->service + " is enabled")
              .About(subject)
              .With(s->text, Where(f.master_cf, s->line)));
    }
    if (!on.empty()) continue;
    if (!off.empty()) {
      out->push_back(Disabled(f, static_cast<int>(port), off));
    } else if (port == 25) {
      out->push_back(Finding(Step::kServices, S::kFail,
                             "master.cf has no service on port 25: nothing "
                             "accepts mail from other servers")
                         .About(subject)
                         .With("no smtp inet entry", f.master_cf)
                         .Fix("add to master.cf: smtp inet n - y - - smtpd",
                              PostfixReload(f.config_directory))
                         .Runbook("PostfixSMTPServiceDisabled"));
    }
  }
}

// "smtp/inet, pickup/unix, cleanup/unix and 16 more".
std::string Few(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size() && i < 3; ++i) {
    out += (i ? ", " : "") + v[i];
  }
  if (v.size() > 3) out += " and " + std::to_string(v.size() - 3) + " more";
  return out;
}

void Chroot(const PostfixFacts& f, std::vector<Finding>* out) {
  if (f.chrooted.empty()) {
    out->push_back(Finding(Step::kChroot, S::kOk,
                           "no master.cf service runs chrooted: nothing reads "
                           "the jail"));
    return;
  }
  const Evidence who{"chrooted: " + Few(f.chrooted), f.master_cf};
  std::vector<std::string> good;
  for (bool missing : {true, false}) {
    std::vector<std::string> files, copies;
    Finding x(Step::kChroot, S::kWarn, "");
    for (const ChrootFileState& st : f.chroot_files) {
      if (!st.missing && !st.stale) {
        if (missing) good.push_back(st.file);
        continue;
      }
      if (st.missing != missing) continue;
      const std::string jail = f.queue_directory + "/" + st.file;
      const std::string host = f.host_etc + st.file.substr(3);
      files.push_back(st.file);
      x.evidence.push_back(
          {missing ? "missing" : "differs from " + host, jail});
      copies.push_back((st.file == "etc/localtime" ? "cp -pL " : "cp -p ") +
                       host + " " + jail);
    }
    if (files.empty()) continue;
    x.summary = (missing ? "the jail has no copy of " : "stale copies of ") +
                Few(files) +
                (missing ? ": chrooted daemons do without them"
                         : ": chrooted daemons use the old ones");
    x.evidence.push_back(who);
    std::string fix = missing ? "mkdir -p " + f.queue_directory + "/etc" : "";
    for (const auto& c : copies) fix += (fix.empty() ? "" : " && ") + c;
    out->push_back(std::move(x)
                       .Fix(fix, PostfixReload(f.config_directory))
                       .Runbook("PostfixChrootFilesMissing"));
  }
  if (!good.empty()) {
    out->push_back(Finding(Step::kChroot, S::kOk,
                           "the jail's copies match the host's: " + Few(good))
                       .With(who));
  }
}

void Greylisting(const PostfixFacts& f, std::vector<Finding>* out) {
  Finding x(Step::kGreylisting, S::kOk,
            f.policy.greylisting
                ? "smtpd greylists through a policy service: the first mail "
                  "of a new sender waits by design"
                : "smtpd does not greylist (no greylisting policy service)");
  for (const auto& p : f.policy_lists)
    x.evidence.push_back(ParamEvidence(f, p));
  out->push_back(std::move(x));
}

void OpenRelay(const PostfixFacts& f, std::vector<Finding>* out) {
  const std::string reload = PostfixReload(f.config_directory);
  bool risk = false;
  // mynetworks entries outside private space: whole networks fail, single
  // hosts and small networks warn (PostfixOpenRelayRisk's two tiers).
  auto trusted = [&](S status, const std::string& summary) {
    risk = true;
    return Finding(Step::kOpenRelay, status, summary)
        .About("mynetworks")
        .With(ParamEvidence(
            f, f.mynetworks.line > 0 ? f.mynetworks : f.mynetworks_style))
        .Runbook("PostfixOpenRelayRisk");
  };
  if (!f.public_networks.empty()) {
    out->push_back(
        trusted(S::kFail, "mynetworks trusts public networks (" +
                              Joined(f.public_networks, ", ") +
                              "): every host in them may relay mail through "
                              "this server")
            .Fix(PostfixTool("postconf", f.config_directory,
                             "-e 'mynetworks = 127.0.0.0/8 [::1]/128'") +
                     "   (plus the private networks that must relay)",
                 reload));
  }
  if (!f.public_hosts.empty()) {
    out->push_back(trusted(S::kWarn,
                           "mynetworks trusts public hosts or small networks "
                           "(" +
                               Joined(f.public_hosts, ", ") +
                               "): each may relay mail through this server; "
                               "keep only those that are yours"));
  }
  for (const auto& r : f.relay) {
    if (r.safe) continue;
    risk = true;
    out->push_back(
        Finding(Step::kOpenRelay, S::kFail,
                "the " + r.service +
                    " service relays for anyone: neither restriction list "
                    "has reject_unauth_destination before a permit")
            .About(r.service)
            .With(ParamEvidence(f, r.relay_restrictions))
            .With(ParamEvidence(f, r.recipient_restrictions))
            .Fix(PostfixTool("postconf", f.config_directory,
                             "-e 'smtpd_relay_restrictions = "
                             "permit_mynetworks, permit_sasl_authenticated, "
                             "reject_unauth_destination'") +
                     "   (and the same in any -o override of the service)",
                 reload)
            .Runbook("PostfixOpenRelayRisk"));
  }
  if (risk) return;
  Finding ok(Step::kOpenRelay, S::kOk,
             "mynetworks is private and every smtpd service refuses to "
             "relay for strangers");
  ok.evidence.push_back(ParamEvidence(f, f.mynetworks));
  if (!f.relay.empty()) {
    ok.evidence.push_back(ParamEvidence(f, f.relay.front().relay_restrictions));
  }
  out->push_back(std::move(ok));
}

}  // namespace

void PostfixFindings(const PostfixFacts& f, std::vector<Finding>* out) {
  Running(f, out);
  Services(f, out);
  Chroot(f, out);
  Greylisting(f, out);
  OpenRelay(f, out);
}

PostfixFacts FactsOf(const PostfixObservation& o) {
  const PostfixSnapshot& snap = *o.snapshot;
  const postfix::MainCf& main = snap.config.main;
  PostfixFacts f;
  f.config_directory = snap.config.config_directory;
  f.main_cf = main.source();
  f.master_cf = snap.config.master.source();
  f.master_running = o.master.running;
  f.master_pid = o.master.pid;
  f.master_detail = o.master.detail;
  f.pid_file = o.master.pid_file;
  for (const auto* file :
       {&snap.config.main.problems(), &snap.config.master.problems()}) {
    const std::string& src =
        file == &snap.config.main.problems() ? f.main_cf : f.master_cf;
    for (const auto& p : *file) {
      if (p.severity != postfix::ProblemSeverity::kError) continue;
      f.config_errors.push_back(
          {src + ":" + std::to_string(p.line), p.message});
    }
  }
  f.watched_ports = o.watched_ports;
  for (const InetService& s : snap.inet_services) {
    const bool watched =
        std::find(o.watched_ports.begin(), o.watched_ports.end(), s.port) !=
        o.watched_ports.end();
    if (watched) {
      f.services.push_back({s.service, s.port, s.enabled, s.disabled_by,
                            s.command, s.line, s.text});
    }
  }
  f.master_service_disable = main.AsWritten("master_service_disable");
  for (const auto& e : snap.config.master.entries()) {
    if (e.enabled && e.chroot) f.chrooted.push_back(e.service + "/" + e.type);
  }
  f.queue_directory = snap.queue_directory;
  f.host_etc = o.host_etc;
  f.chroot_files = o.chroot_files;
  f.mynetworks = main.AsWritten("mynetworks");
  f.mynetworks_style = main.AsWritten("mynetworks_style");
  const std::vector<std::string> entries =
      main.IsSet("mynetworks")
          ? postfix::MainCf::SplitList(main.Get("mynetworks"))
          : postfix::DerivedMynetworks(main.Get("mynetworks_style"),
                                       o.interfaces);
  for (const std::string& e : entries) {
    const postfix::PublicEntries p =
        postfix::ClassifyMynetworks({e}, o.interfaces);
    if (p.wide > 0) {
      f.public_networks.push_back(e);
    } else if (p.total() > 0) {
      f.public_hosts.push_back(e);
    }
  }
  for (const auto& [service, safe] : o.relay_safe) {
    f.relay.push_back({service, safe,
                       main.AsWritten("smtpd_relay_restrictions"),
                       main.AsWritten("smtpd_recipient_restrictions")});
  }
  f.policy = o.policy;
  for (const auto& list : o.policy_lists) {
    f.policy_lists.push_back(main.AsWritten(list));
  }
  return f;
}

}  // namespace mailflow
