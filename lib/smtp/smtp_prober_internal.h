// Internal to the SMTP prober (smtp_prober*.cc): one probe's connection
// (Conn) and the batch that drives them all on one epoll instance (Batch),
// shared by the event loop and connection lifecycle (smtp_prober.cc), the
// socket and TLS I/O (smtp_prober_io.cc) and the SMTP dialogue
// (smtp_prober_dialogue.cc). Not a public header.
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "lib/smtp/smtp_prober.h"
#include "lib/smtp/smtp_reply.h"

namespace mailflow::smtp_prober_internal {

using Clock = std::chrono::steady_clock;

// Bytes read from one peer before the dialogue is called malformed.
constexpr size_t kMaxInput = 64 * 1024;
// A read shorter than this that leaves the reply unfinished makes the
// connection rest kDripPause before the next read: a peer dripping bytes
// gets at most one wake-up per pause (real servers send whole lines).
constexpr size_t kShortRead = 64;
constexpr auto kDripPause = std::chrono::milliseconds(5);
// How long QUIT may wait for its 221 (the result is decided by then).
constexpr auto kQuitGrace = std::chrono::milliseconds(1000);

enum class State {
  kConnecting,
  kTlsImplicit,  // handshake before the greeting (port 465)
  kBanner,
  kEhlo,         // EHLO written/being written, reading its reply
  kStartTlsCmd,  // STARTTLS written, reading its 220
  kTlsStartTls,  // handshake after STARTTLS
  kQuit,         // QUIT written, waiting for 221 or close
  kDone,
};

inline double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// "what: strerror(e)".
std::string Errno(const char* what, int e);

// "what: <first OpenSSL error>"; clears the OpenSSL error queue.
std::string SslErrorText(const char* what);

struct Conn {
  const ProbeSpec* spec = nullptr;
  ProbeOutcome* out = nullptr;
  int fd = -1;
  SSL* ssl = nullptr;
  State state = State::kConnecting;
  Clock::time_point start, phase_start, deadline;
  std::string in;          // read, not yet fed to `parser`
  SmtpReplyParser parser;  // the reply being read
  std::string pending;     // bytes still to write
  bool want_read = false;
  bool want_write = false;
  // Not read until then (kDripPause); the epoch: not resting.
  Clock::time_point resume_at{};
  bool in_epoll = false;
  uint32_t registered = 0;  // epoll events currently registered
};

class Batch {
 public:
  Batch(const std::vector<ProbeSpec>& specs, const ProbeBatchOptions& options,
        std::vector<ProbeOutcome>* out)
      : specs_(specs), options_(options), out_(out) {}

  ~Batch();

  void Run();

 private:
  // How far Run() got through specs_: started, in progress, ended.
  struct Progress {
    size_t next = 0;
    size_t active = 0;
    size_t done = 0;
  };
  // Starts connections while fewer than `limit` are in progress.
  void StartConnections(size_t limit, Progress* p);
  // Ends the connections past their deadline (all of them on stop or at
  // the batch deadline); returns when the next one is due.
  Clock::time_point ExpireOverdue(Progress* p);

  // --- connection lifecycle (smtp_prober.cc)
  void Begin(Conn* c);
  void ConnectFailed(Conn* c, int e);
  void Rearm(Conn* c);
  void Close(Conn* c);
  void Finish(Conn* c, ProbeResult r, std::string detail);
  // Records the result and drops the connection at once (no QUIT): the
  // dialogue is broken.
  void Abandon(Conn* c, ProbeResult r, std::string detail);
  // Records the result, then says QUIT politely (bounded by kQuitGrace).
  void Conclude(Conn* c, ProbeResult r, std::string detail);
  void EndPhase(Conn* c, ProbePhase p);
  // Timeout (or stop/batch deadline) in the current state.
  void Expire(Conn* c, bool stopping);

  // --- TLS and I/O (smtp_prober_io.cc): return 1 progress/complete,
  // 0 would block, -1 error.
  SSL_CTX* Context();
  void StartTls(Conn* c, State state);
  int Flush(Conn* c, std::string* err);
  // Reads until a full reply is buffered. 1: `*reply` set; 0: blocked;
  // -1: error/EOF/malformed (`*err`).
  int ReadReply(Conn* c, SmtpReply* reply, std::string* err);
  // Writes `c->pending`, then reads one reply.
  int Exchange(Conn* c, SmtpReply* reply, std::string* err);
  // Exchange() expecting reply `code` (smtp_prober_dialogue.cc). 1: it came;
  // 0: blocked; -1: the probe ended with `failure` and "WHAT: ..." (an I/O
  // error abandons it, another reply code concludes it with QUIT).
  int ExpectReply(Conn* c, int code, ProbeResult failure, const char* what,
                  SmtpReply* reply);
  int Handshake(Conn* c, std::string* err);
  void TlsDone(Conn* c);

  // --- the SMTP dialogue (smtp_prober_dialogue.cc)
  void Connected(Conn* c);
  void SendEhlo(Conn* c);
  // Advances `c` as far as the socket allows after `events`.
  void Step(Conn* c, uint32_t events);
  // Step's parts: each returns whether `c` can go on at once (false: it
  // waits for the socket, or it ended).
  bool FinishConnect(Conn* c, uint32_t events);
  bool StateStep(Conn* c);
  bool TlsStep(Conn* c);
  bool BannerStep(Conn* c);
  bool EhloStep(Conn* c);

  const std::vector<ProbeSpec>& specs_;
  const ProbeBatchOptions& options_;
  std::vector<ProbeOutcome>* out_;
  std::vector<Conn> conns_;
  int epfd_ = -1;
  SSL_CTX* ctx_ = nullptr;
};

}  // namespace mailflow::smtp_prober_internal
