#include "collectors/listen/listen_diagnosis.h"

#include "collectors/common/fix_commands.h"

namespace mailflow {

namespace {

using S = CheckStatus;
using Port = ListenFacts::Port;

std::string Where(const std::string& file, int line) {
  return line > 0 ? file + ":" + std::to_string(line)
                  : file + " (not set: Postfix's default)";
}

Evidence InetInterfaces(const ListenFacts& f) {
  return {"inet_interfaces = " + f.inet_interfaces.value,
          Where(f.main_cf, f.inet_interfaces.line)};
}

bool AnyEnabled(const Port& p) {
  for (const auto& s : p.services) {
    if (s.enabled) return true;
  }
  return false;
}

// Every enabled service names a loopback host: loopback is intended
// (content filter re-injection, local submission).
bool LoopbackByDesign(const Port& p) {
  bool any = false;
  for (const auto& s : p.services) {
    if (!s.enabled) continue;
    if (!s.loopback_host) return false;
    any = true;
  }
  return any;
}

void AddSockets(const ListenFacts& f, const Port& p, Finding* x) {
  for (const auto& s : p.sockets) {
    x->evidence.push_back({SocketLine(s, p.port), f.sockets_source});
  }
}

void AddServices(const ListenFacts& f, const Port& p, Finding* x) {
  for (const auto& s : p.services) {
    if (s.enabled) x->evidence.push_back({s.text, Where(f.master_cf, s.line)});
  }
}

Finding LoopbackOnly(const ListenFacts& f, const Port& p) {
  const std::string port = std::to_string(p.port);
  const S status = p.port == 25 ? S::kFail : S::kWarn;
  if (p.not_external) {
    Finding x(Step::kListening, status,
              "listens on loopback only although main.cf asks for "
              "external addresses: Postfix was reloaded, not "
              "restarted (step 3)");
    x.subject = "port " + port;
    AddSockets(f, p, &x);
    x.evidence.push_back(InetInterfaces(f));
    return std::move(x)
        .Fix("restart Postfix: a reload does not rebind listeners",
             PostfixRestart(f.config_directory))
        .Runbook("PostfixConfigNotApplied");
  }
  Finding x(Step::kListening, status,
            "listens on loopback only: other hosts get \"Connection "
            "refused\"");
  x.subject = "port " + port;
  AddSockets(f, p, &x);
  if (f.have_config) x.evidence.push_back(InetInterfaces(f));
  return std::move(x)
      .Fix(PostfixTool("postconf", f.config_directory,
                       "-e 'inet_interfaces = all'") +
               "   (or this host's public address)",
           PostfixRestart(f.config_directory))
      .Runbook("PostfixListeningLoopbackOnly");
}

Finding NotListening(const ListenFacts& f, const Port& p) {
  const std::string port = std::to_string(p.port);
  const bool needed = p.port == 25 || AnyEnabled(p);
  std::string why, runbook;
  if (!f.have_config) {
  } else if (!f.master_running) {
    why = ": Postfix is not running (step 1)";
    runbook = "PostfixDown";
  } else if (!AnyEnabled(p)) {
    why = ": no master.cf service is enabled on it (step 4)";
    runbook = "PostfixSMTPServiceDisabled";
  } else {
    why = ": the service did not bind (step 3)";
    runbook = "PostfixConfigNotApplied";
  }
  Finding x(Step::kListening,
            !needed ? S::kOk : (p.port == 25 ? S::kFail : S::kWarn),
            needed ? "nothing listens" + why
                   : "not offered (nothing listens, no enabled service)");
  x.subject = "port " + port;
  x.evidence.push_back(
      {"no listening socket on port " + port, f.sockets_source});
  if (needed) x.runbook = runbook;
  return x;
}

void Listening(const ListenFacts& f, const Port& p, std::vector<Finding>* out) {
  const std::string port = std::to_string(p.port);
  if (p.sockets.empty()) {
    out->push_back(NotListening(f, p));
    return;
  }
  bool external = false;
  for (const auto& s : p.sockets) external = external || s.external;
  if (!external && !LoopbackByDesign(p)) {
    out->push_back(LoopbackOnly(f, p));
    return;
  }
  Finding x(Step::kListening, S::kOk,
            external ? "accepts connections from other hosts"
                     : "listens on loopback, as master.cf asks");
  x.subject = "port " + port;
  AddSockets(f, p, &x);
  out->push_back(std::move(x));
}

void Applied(const ListenFacts& f, const Port& p, std::vector<Finding>* out) {
  const std::string port = std::to_string(p.port);
  const std::string restart = PostfixRestart(f.config_directory);
  Finding x;
  if (p.not_listening) {
    x = Finding(Step::kConfigApplied, S::kFail,
                "master.cf enables a service on this port and Postfix runs, "
                "but nothing listens: the service failed to bind (the port "
                "is taken, or its address does not exist)")
            .Fix("ss -tlnp 'sport = :" + port +
                     "' names the process holding the port; the mail log "
                     "has \"bind ... Address already in use\"",
                 restart);
  } else if (p.not_external) {
    x = Finding(Step::kConfigApplied, S::kFail,
                "main.cf asks for external addresses but the port listens on "
                "loopback only: main.cf was changed and Postfix only "
                "reloaded")
            .With(InetInterfaces(f))
            .Fix("restart Postfix: a reload does not rebind listeners",
                 restart);
  } else if (p.unexpected_external || p.listening_but_disabled) {
    x = Finding(Step::kConfigApplied, S::kWarn,
                p.unexpected_external
                    ? "main.cf says loopback only, yet the port still "
                      "listens for other hosts"
                    : "master.cf disables the service, yet the master still "
                      "listens on the port")
            .With(InetInterfaces(f))
            .Fix("restart Postfix to apply the configuration", restart);
  } else {
    x = Finding(Step::kConfigApplied, S::kOk,
                "the sockets match main.cf and master.cf");
  }
  x.subject = "port " + port;
  if (x.status != S::kOk) x.runbook = "PostfixConfigNotApplied";
  AddSockets(f, p, &x);
  AddServices(f, p, &x);
  out->push_back(std::move(x));
}

}  // namespace

std::string SocketLine(const ListenFacts::Socket& s, int port) {
  std::string line = "LISTEN " + (s.ipv6 ? "[" + s.address + "]" : s.address) +
                     ":" + std::to_string(port) + " " + s.owner;
  if (s.pid > 0) line.append("[").append(std::to_string(s.pid)).append("]");
  return line;
}

void ListenFindings(const ListenFacts& f, std::vector<Finding>* out) {
  for (const Port& p : f.ports) {
    if (p.watched || AnyEnabled(p)) Listening(f, p, out);
  }
  if (!f.have_config) {
    out->push_back(Finding::Unchecked(
        Step::kConfigApplied,
        "cannot compare the sockets with Postfix's configuration: " +
            f.config_error));
    return;
  }
  if (!f.master_running) {
    out->push_back(Finding(Step::kConfigApplied, S::kSkipped,
                           "Postfix is not running (step 1): there are no "
                           "listeners to compare"));
    return;
  }
  for (const Port& p : f.ports) {
    if (AnyEnabled(p) || p.listening_but_disabled) Applied(f, p, out);
  }
}

}  // namespace mailflow
