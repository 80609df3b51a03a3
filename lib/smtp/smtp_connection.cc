#include "lib/smtp/smtp_connection.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstring>

namespace mailflow::smtp_probe {

namespace {

bool IsIpLiteral(const std::string& s) {
  Endpoint e;
  return ParseIpLiteral(s, 0, &e);
}

}  // namespace

std::string Errno(const char* what, int e) {
  return std::string(what) + ": " + std::strerror(e);
}

std::string SslErrorText(const char* what) {
  unsigned long e = ERR_get_error();
  std::string s = what;
  if (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    s += ": ";
    s += buf;
  }
  ERR_clear_error();
  return s;
}

TlsClientContext::~TlsClientContext() {
  if (ctx_) SSL_CTX_free(ctx_);
}

SSL_CTX* TlsClientContext::Get() {
  if (!ctx_) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (ctx_) {
      SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
      SSL_CTX_set_options(ctx_, SSL_OP_NO_TICKET);
    }
  }
  return ctx_;
}

bool ProbeConnection::Open(const Endpoint& ep) {
  fd_ =
      socket(ep.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  return fd_ >= 0;
}

int ProbeConnection::Connect(const Endpoint& ep) {
  int rc =
      connect(fd_, reinterpret_cast<const sockaddr*>(&ep.addr), ep.addr_len);
  if (rc == 0) return 1;
  if (errno != EINPROGRESS) return -1;
  want_write_ = true;
  return 0;
}

int ProbeConnection::ConnectError() const {
  int e = 0;
  socklen_t len = sizeof(e);
  if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &e, &len) < 0) e = errno;
  return e;
}

void ProbeConnection::SetNoDelay() {
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

bool ProbeConnection::StartTls(TlsClientContext* tls,
                               const std::string& server_name,
                               std::string* err) {
  SSL_CTX* ctx = tls->Get();
  ssl_ = ctx ? SSL_new(ctx) : nullptr;
  if (!ssl_ || SSL_set_fd(ssl_, fd_) != 1) {
    *err = SslErrorText("TLS setup");
    return false;
  }
  if (!server_name.empty() && !IsIpLiteral(server_name)) {
    SSL_set_tlsext_host_name(ssl_, server_name.c_str());
  }
  return true;
}

int ProbeConnection::Handshake(std::string* err) {
  ERR_clear_error();
  int r = SSL_connect(ssl_);
  if (r == 1) return 1;
  int e = SSL_get_error(ssl_, r);
  if (WouldBlock(e)) return 0;
  if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
    *err = "TLS handshake: connection closed";
    ERR_clear_error();
    return -1;
  }
  *err = SslErrorText("TLS handshake");
  return -1;
}

bool ProbeConnection::PeerCertNotAfter(double* seconds) const {
  X509* cert = SSL_get1_peer_certificate(ssl_);
  if (!cert) return false;
  struct tm tm {};
  const bool ok = ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1;
  if (ok) *seconds = static_cast<double>(timegm(&tm));
  X509_free(cert);
  return ok;
}

void ProbeConnection::DiscardInput() {
  in_.clear();
  parser_.Reset();
}

bool ProbeConnection::WouldBlock(int e) {
  if (e == SSL_ERROR_WANT_READ) want_read_ = true;
  if (e == SSL_ERROR_WANT_WRITE) want_write_ = true;
  return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
}

int ProbeConnection::SocketFailed(const char* what, bool* want,
                                  std::string* err) {
  if (errno == EAGAIN || errno == EWOULDBLOCK) {
    *want = true;
    return 0;
  }
  if (errno == EINTR) return 1;
  *err = Errno(what, errno);
  return -1;
}

int ProbeConnection::Flush(std::string* err) {
  while (!pending_.empty()) {
    ssize_t n;
    if (ssl_) {
      ERR_clear_error();
      int r =
          SSL_write(ssl_, pending_.data(), static_cast<int>(pending_.size()));
      if (r <= 0) {
        int e = SSL_get_error(ssl_, r);
        if (WouldBlock(e)) return 0;
        *err = SslErrorText("TLS write");
        return -1;
      }
      n = r;
    } else {
      n = send(fd_, pending_.data(), pending_.size(), MSG_NOSIGNAL);
      if (n < 0) {
        const int f = SocketFailed("write", &want_write_, err);
        if (f > 0) continue;
        return f;
      }
    }
    pending_.erase(0, static_cast<size_t>(n));
  }
  return 1;
}

int ProbeConnection::ReadReply(SmtpReply* reply, std::string* err) {
  size_t last_read = sizeof(char[4096]);
  while (true) {
    // Only bytes not yet fed are parsed: in_ holds what arrived since (and
    // what followed the last reply).
    size_t used = 0;
    const ReplyStatus st = parser_.Feed(in_, &used);
    in_.erase(0, used);
    if (st == ReplyStatus::kComplete) {
      *reply = parser_.Take();
      return 1;
    }
    if (st == ReplyStatus::kMalformed) {
      *err = "malformed reply";
      return -1;
    }
    if (parser_.bytes() > kMaxInput) {
      *err = "reply too long";
      return -1;
    }
    // A peer dripping its reply a few bytes at a time would cost a wake-up
    // and a read per byte: after a short read of an unfinished reply, rest
    // a moment so that the next pieces are read together (the batch
    // resumes the connection).
    if (last_read < kShortRead) {
      resume_at_ = Clock::now() + kDripPause;
      return 0;
    }
    char buf[4096];
    ssize_t n;
    if (ssl_) {
      ERR_clear_error();
      int r = SSL_read(ssl_, buf, sizeof(buf));
      if (r <= 0) {
        int e = SSL_get_error(ssl_, r);
        if (WouldBlock(e)) return 0;
        if (e == SSL_ERROR_ZERO_RETURN) {
          *err = "connection closed";
          return -1;
        }
        *err = SslErrorText("TLS read");
        return -1;
      }
      n = r;
    } else {
      n = recv(fd_, buf, sizeof(buf), 0);
      if (n < 0) {
        const int f = SocketFailed("read", &want_read_, err);
        if (f > 0) continue;
        return f;
      }
      if (n == 0) {
        *err = "connection closed";
        return -1;
      }
    }
    in_.append(buf, static_cast<size_t>(n));
    last_read = static_cast<size_t>(n);
  }
}

int ProbeConnection::Exchange(SmtpReply* reply, std::string* err) {
  int w = Flush(err);
  if (w <= 0) return w;
  return ReadReply(reply, err);
}

void ProbeConnection::Close() {
  if (ssl_) {
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  if (fd_ >= 0) {
    close(fd_);  // also removes it from any epoll set
    fd_ = -1;
  }
}

void ProbeConnection::Resume() {
  resume_at_ = Clock::time_point{};
  want_read_ = true;
}

}  // namespace mailflow::smtp_probe
