// DnsProber: runs a batch of DNS queries concurrently on c-ares 1.18, one
// channel per resolver, all driven by one epoll loop on the caller's thread.
#pragma once

#include <ares.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "lib/base/deadline.h"
#include "lib/base/status.h"
#include "lib/dns/resolv_conf.h"

namespace mailflow {

/// Result classes of one lookup (the `result` label).
enum class DnsResult {
  kOk,
  kNxdomain,
  kNodata,
  kServfail,
  kRefused,
  kTimeout,
  kOther
};
inline constexpr DnsResult kAllDnsResults[] = {
    DnsResult::kOk,       DnsResult::kNxdomain, DnsResult::kNodata,
    DnsResult::kServfail, DnsResult::kRefused,  DnsResult::kTimeout,
    DnsResult::kOther};
const char* DnsResultName(DnsResult r);

enum class DnsType { kA, kAAAA, kMX, kPTR };
const char* DnsTypeName(DnsType t);

struct MxRecord {
  int preference = 0;
  std::string host;  // "" for the null MX target "."
};

struct DnsAnswer {
  DnsResult result = DnsResult::kOther;
  /// From sending the query to its answer (or timeout).
  double seconds = 0;
  /// A DNS response arrived (any rcode): the server is answering.
  bool responded = false;
  int rcode = -1;            // -1 without a response
  std::string ares_status;   // ares_strerror text when not ARES_SUCCESS
  std::vector<MxRecord> mx;  // MX
  std::vector<std::string> addresses;  // A / AAAA, numeric
  std::vector<std::string> names;      // PTR targets
  /// RFC 7505: exactly one MX with preference 0 and target ".".
  bool NullMx() const {
    return mx.size() == 1 && mx[0].preference == 0 && mx[0].host.empty();
  }
};

/// The hosts mail goes to first: the targets of the `n` most preferred
/// records of `mx` (lowest preference first, ties in answer order),
/// skipping empty targets (the null MX "."). Pure.
std::vector<std::string> PreferredMxHosts(std::vector<MxRecord> mx, size_t n);

/// Interprets one DNS response to a query of `type` for `name` (for PTR:
/// the numeric address asked about): rcode, result class and records, as
/// DnsProber reports them. The bytes come from the network: anything is
/// handled. REQUIRES: alen >= 12 (a header). Pure apart from c-ares's
/// parsers; thread-safe.
void InterpretDnsResponse(DnsType type, const std::string& name,
                          const unsigned char* abuf, int alen, DnsAnswer* out);

class DnsProber {
 public:
  struct Options {
    /// Per query (c-ares ARES_OPT_TIMEOUTMS) and attempts (ARES_OPT_TRIES).
    std::chrono::milliseconds query_timeout{5000};
    int attempts = 1;
    /// Queries on the wire at once, over all resolvers.
    size_t max_in_flight = 100;
  };
  using Callback = std::function<void(const DnsAnswer&)>;

  explicit DnsProber(Options options);
  ~DnsProber();
  DnsProber(const DnsProber&) = delete;
  DnsProber& operator=(const DnsProber&) = delete;

  /// Creates one channel per resolver (index = position). No traffic.
  /// One channel per resolver (not one channel re-pointed per resolver):
  /// c-ares 1.18's ares_set_servers*() refuse (ARES_ENOTIMP) while any query
  /// is pending, which would serialize the resolvers. A resolver c-ares
  /// rejects gets no channel: its queries end at once as kOther and the
  /// error is returned (the other channels work).
  /// c-ares never reads /etc/resolv.conf's servers: each channel gets
  /// exactly the one server given (ares_set_servers_ports_csv).
  Status Init(const std::vector<NameServer>& resolvers);

  /// Queues a query (ares_query: no search list) to resolver `resolver`.
  /// `done` runs on the thread inside Run() and may Submit() follow-ups.
  /// PTR queries take the numeric address as `name`.
  void Submit(size_t resolver, DnsType type, const std::string& name,
              Callback done);

  /// Sends queued queries (at most max_in_flight at once) and processes
  /// answers until nothing is queued or in flight, `deadline` passes, or
  /// `*stop` becomes true (checked whenever `wake_fd`, an optional eventfd,
  /// becomes readable, and at least every 100 ms). Queries in flight at the
  /// deadline complete as kTimeout; queued ones are dropped and counted in
  /// skipped(). Reusable: call Submit()/Run() again.
  Status Run(Deadline deadline, const std::atomic<bool>* stop = nullptr,
             int wake_fd = -1);

  size_t skipped() const { return skipped_; }
  size_t sent() const { return sent_; }

 private:
  struct Channel;
  struct Pending {
    size_t resolver;
    DnsType type;
    std::string name;
    Callback done;
  };
  struct InFlight;

  static void SockStateCb(void* data, ares_socket_t fd, int readable,
                          int writable);
  static void AresCallback(void* arg, int status, int timeouts,
                           unsigned char* abuf, int alen);
  void Launch(Pending p);

  Options options_;
  int epoll_fd_ = -1;
  std::vector<std::unique_ptr<Channel>> channels_;
  std::unordered_map<int, Channel*> fds_;
  std::deque<Pending> queue_;
  size_t in_flight_ = 0;
  size_t skipped_ = 0;
  size_t sent_ = 0;
  bool cancelling_ = false;
};

/// Builds the reverse lookup name ("4.3.2.1.in-addr.arpa", nibbles for
/// IPv6) of a numeric address; "" when not an address.
std::string ReverseName(const std::string& address);

}  // namespace mailflow
