// ProbeConnection: one probe's non-blocking TCP socket (and, after a
// handshake, its TLS session) with the SMTP reply being read and the command
// being written. TlsClientContext: the OpenSSL client context a batch of
// connections shares. Part of the SMTP prober (smtp_prober.h); it knows no
// SMTP state and no poller.
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <string>

#include "lib/smtp/smtp_address.h"
#include "lib/smtp/smtp_reply.h"

namespace mailflow::smtp_probe {

using Clock = std::chrono::steady_clock;

/// Bytes of one reply read from a peer before it is called too long.
inline constexpr size_t kMaxInput = 64 * 1024;
/// A read shorter than this that leaves the reply unfinished makes the
/// connection rest kDripPause before the next read: a peer dripping bytes
/// gets at most one wake-up per pause (real servers send whole lines).
inline constexpr size_t kShortRead = 64;
inline constexpr auto kDripPause = std::chrono::milliseconds(5);

/// "what: strerror(e)".
std::string Errno(const char* what, int e);

/// "what: <first OpenSSL error>"; clears the calling thread's OpenSSL error
/// queue.
std::string SslErrorText(const char* what);

/// The TLS client context, created on first use (a batch without TLS probes
/// never makes one). Peer chains are not verified: a probe measures
/// reachability and expiry (Postfix's opportunistic TLS does not judge the
/// chain either). Not thread-safe; owns the SSL_CTX. Must outlive every SSL
/// made from it.
class TlsClientContext {
 public:
  TlsClientContext() = default;
  ~TlsClientContext();
  TlsClientContext(const TlsClientContext&) = delete;
  TlsClientContext& operator=(const TlsClientContext&) = delete;

  /// The context; nullptr when OpenSSL cannot make one (retried next call).
  SSL_CTX* Get();

 private:
  SSL_CTX* ctx_ = nullptr;
};

/// One connection of a probe. The I/O calls never block: they return 1 when
/// done, 0 when the socket would block (the readiness to wait for is then in
/// want_read()/want_write(), or resume_at() is set) and -1 on an error
/// described in `*err`. Not thread-safe; owns its socket and SSL, closed by
/// Close() or the destructor.
class ProbeConnection {
 public:
  ProbeConnection() = default;
  ~ProbeConnection() { Close(); }
  ProbeConnection(const ProbeConnection&) = delete;
  ProbeConnection& operator=(const ProbeConnection&) = delete;

  /// Makes the non-blocking socket for `ep`'s family; false: errno says
  /// why. REQUIRES: no socket yet.
  bool Open(const Endpoint& ep);
  /// connect()s the socket to `ep`. 1: connected at once; 0: in progress
  /// (want_write() set); -1: failed, errno says why. REQUIRES: Open().
  int Connect(const Endpoint& ep);
  /// The pending error of a connect() in progress (0: none); errno when it
  /// cannot be read.
  int ConnectError() const;
  /// Turns Nagle off (each command is one write).
  void SetNoDelay();

  /// Prepares a TLS client session on the socket, sending `server_name` as
  /// SNI unless it is empty or an IP literal. false: `*err` says why (the
  /// session may still be set).
  bool StartTls(TlsClientContext* tls, const std::string& server_name,
                std::string* err);
  /// Advances the TLS handshake. REQUIRES: StartTls() succeeded.
  int Handshake(std::string* err);
  /// The peer certificate's notAfter as Unix seconds; false when there is
  /// no certificate or its date does not parse. REQUIRES: a TLS session.
  bool PeerCertNotAfter(double* seconds) const;
  bool tls() const { return ssl_ != nullptr; }

  /// Queues `line` (CRLF included) to be written by Flush().
  void Send(std::string line) { pending_ = std::move(line); }
  /// Forgets what was read and the reply being parsed.
  void DiscardInput();
  /// Writes what Send() queued.
  int Flush(std::string* err);
  /// Reads until a full reply is parsed into `*reply`. Each byte read is fed
  /// to the parser once; bytes after the reply are kept for the next one.
  /// After a short read (< kShortRead) of an unfinished reply, returns 0
  /// with resume_at() kDripPause from now instead of reading again.
  /// -1 also on EOF, a malformed reply and one over kMaxInput bytes.
  int ReadReply(SmtpReply* reply, std::string* err);
  /// Flush(), then ReadReply().
  int Exchange(SmtpReply* reply, std::string* err);

  /// Closes the socket (which leaves any epoll set) and frees the session.
  void Close();

  int fd() const { return fd_; }
  bool want_read() const { return want_read_; }
  bool want_write() const { return want_write_; }
  void set_want_read(bool on) { want_read_ = on; }
  void set_want_write(bool on) { want_write_ = on; }
  /// When a resting connection may read again; the epoch: not resting.
  Clock::time_point resume_at() const { return resume_at_; }
  /// Ends the rest: the connection wants to read.
  void Resume();

 private:
  // True when SSL_get_error() `e` means "retry when the socket is ready";
  // records which readiness the connection waits for.
  bool WouldBlock(int e);
  // After send() or recv() failed: 0 when the socket would block (sets
  // `*want`, the readiness to wait for), 1 when interrupted (try again),
  // -1 on an error, "WHAT: strerror" in `*err`.
  int SocketFailed(const char* what, bool* want, std::string* err);

  int fd_ = -1;
  SSL* ssl_ = nullptr;
  std::string in_;          // read, not yet fed to `parser_`
  SmtpReplyParser parser_;  // the reply being read
  std::string pending_;     // bytes still to write
  bool want_read_ = false;
  bool want_write_ = false;
  Clock::time_point resume_at_{};
};

}  // namespace mailflow::smtp_probe
