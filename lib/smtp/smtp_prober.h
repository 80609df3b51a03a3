// SmtpProber: many SMTP probes at once on non-blocking sockets and one epoll
// loop. Connects, reads the greeting, sends EHLO, notes STARTTLS, optionally
// completes a TLS handshake (OpenSSL) to read the certificate's notAfter,
// and says QUIT. Never sends MAIL, RCPT or DATA.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "lib/base/deadline.h"
#include "lib/smtp/smtp_address.h"

namespace mailflow {

/// How one attempt ended. Order is the exposition order.
enum class ProbeResult {
  kOk = 0,
  kRefused,        // RST to the SYN: nothing listens, or a reject rule
  kTimeout,        // SYN unanswered before connect_timeout: a silent drop
  kUnreachable,    // ICMP host/net unreachable, no route
  kBannerTimeout,  // TCP up, no complete greeting before the timeout
  kBannerError,    // greeting other than 220 (421, 554), or closed before it
  kTlsError,       // STARTTLS refused, or the handshake failed or timed out
  kProtocolError,  // EHLO rejected, malformed reply, or the dialogue stalled
  kError,          // local failure (socket(), file descriptors exhausted)
};
inline constexpr int kNumProbeResults = 9;
std::string_view ProbeResultName(ProbeResult r);

enum class ProbePhase { kConnect = 0, kBanner, kEhlo, kStartTls };
inline constexpr int kNumProbePhases = 4;
std::string_view ProbePhaseName(ProbePhase p);

enum class TlsMode {
  kNone,      // never start TLS (STARTTLS is still noted when offered)
  kStartTls,  // STARTTLS when offered, then a handshake
  kImplicit,  // TLS right after connect (port 465, "submissions")
};

struct ProbeSpec {
  Endpoint endpoint;
  TlsMode tls = TlsMode::kStartTls;
  /// Only the TCP connect (control ports such as 443 that speak no SMTP).
  bool connect_only = false;
  std::string ehlo_name = "localhost";
  /// TLS server name indication; empty or an IP address sends none.
  std::string server_name;
  std::chrono::milliseconds connect_timeout{5000};
  /// The whole attempt, from connect() to the last reply used.
  std::chrono::milliseconds timeout{10000};
};

struct ProbeOutcome {
  ProbeResult result = ProbeResult::kError;
  /// Seconds per phase; negative when the phase did not complete.
  std::array<double, kNumProbePhases> phase_seconds{-1, -1, -1, -1};
  double total_seconds = 0;
  bool connected = false;
  bool starttls_offered = false;
  bool tls_established = false;
  /// The greeting's reply code (0: none received).
  int banner_code = 0;
  /// The peer certificate's notAfter as Unix seconds (0: no certificate).
  double cert_not_after = 0;
  /// Human-readable cause ("connect: Connection refused", "554 go away").
  std::string detail;
};

struct ProbeBatchOptions {
  /// Most connections open at once; the rest wait for a free slot.
  int max_concurrency = 128;
  /// Attempts still running at this point end with their timeout class.
  Deadline deadline = Deadline::Never();
  /// When set and true, the batch ends early (shutdown); within ~100 ms.
  const std::atomic<bool>* stop = nullptr;
};

/// Runs every spec; returns outcomes in spec order. Blocking; thread-safe
/// (each call owns its epoll instance and TLS context). Requires SIGPIPE to
/// be ignored (the exporter's main does; TLS writes use write(2)).
std::vector<ProbeOutcome> RunProbes(const std::vector<ProbeSpec>& specs,
                                    const ProbeBatchOptions& options);

}  // namespace mailflow
