// Batch's socket and TLS I/O: the OpenSSL context, handshakes, buffered
// writes and SMTP reply reads on non-blocking sockets.
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <time.h>

#include "lib/smtp/smtp_prober_internal.h"

namespace mailflow::smtp_prober_internal {

namespace {

bool IsIpLiteral(const std::string& s) {
  Endpoint e;
  return ParseIpLiteral(s, 0, &e);
}

// True when SSL_get_error() `e` means "retry when the socket is ready";
// records which readiness the connection waits for.
bool WouldBlock(Conn* c, int e) {
  if (e == SSL_ERROR_WANT_READ) c->want_read = true;
  if (e == SSL_ERROR_WANT_WRITE) c->want_write = true;
  return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
}

}  // namespace

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

SSL_CTX* Batch::Context() {
  if (!ctx_) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (ctx_) {
      // A probe measures reachability and expiry; it does not judge the
      // chain (Postfix's opportunistic TLS does not either).
      SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
      SSL_CTX_set_options(ctx_, SSL_OP_NO_TICKET);
    }
  }
  return ctx_;
}

void Batch::StartTls(Conn* c, State state) {
  SSL_CTX* ctx = Context();
  c->ssl = ctx ? SSL_new(ctx) : nullptr;
  if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1) {
    Conclude(c, ProbeResult::kError, SslErrorText("TLS setup"));
    return;
  }
  const std::string& sni = c->spec->server_name;
  if (!sni.empty() && !IsIpLiteral(sni)) {
    SSL_set_tlsext_host_name(c->ssl, sni.c_str());
  }
  c->state = state;
}

int Batch::Flush(Conn* c, std::string* err) {
  while (!c->pending.empty()) {
    ssize_t n;
    if (c->ssl) {
      ERR_clear_error();
      int r = SSL_write(c->ssl, c->pending.data(),
                        static_cast<int>(c->pending.size()));
      if (r <= 0) {
        int e = SSL_get_error(c->ssl, r);
        if (WouldBlock(c, e)) return 0;
        *err = SslErrorText("TLS write");
        return -1;
      }
      n = r;
    } else {
      n = send(c->fd, c->pending.data(), c->pending.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          c->want_write = true;
          return 0;
        }
        if (errno == EINTR) continue;
        *err = Errno("write", errno);
        return -1;
      }
    }
    c->pending.erase(0, static_cast<size_t>(n));
  }
  return 1;
}

int Batch::ReadReply(Conn* c, SmtpReply* reply, std::string* err) {
  while (true) {
    size_t used = 0;
    ReplyStatus st = ParseSmtpReply(c->in, reply, &used);
    if (st == ReplyStatus::kComplete) {
      c->in.erase(0, used);
      return 1;
    }
    if (st == ReplyStatus::kMalformed) {
      *err = "malformed reply";
      return -1;
    }
    if (c->in.size() > kMaxInput) {
      *err = "reply too long";
      return -1;
    }
    char buf[4096];
    ssize_t n;
    if (c->ssl) {
      ERR_clear_error();
      int r = SSL_read(c->ssl, buf, sizeof(buf));
      if (r <= 0) {
        int e = SSL_get_error(c->ssl, r);
        if (WouldBlock(c, e)) return 0;
        if (e == SSL_ERROR_ZERO_RETURN) {
          *err = "connection closed";
          return -1;
        }
        *err = SslErrorText("TLS read");
        return -1;
      }
      n = r;
    } else {
      n = recv(c->fd, buf, sizeof(buf), 0);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          c->want_read = true;
          return 0;
        }
        if (errno == EINTR) continue;
        *err = Errno("read", errno);
        return -1;
      }
      if (n == 0) {
        *err = "connection closed";
        return -1;
      }
    }
    c->in.append(buf, static_cast<size_t>(n));
  }
}

int Batch::Exchange(Conn* c, SmtpReply* reply, std::string* err) {
  int w = Flush(c, err);
  if (w <= 0) return w;
  return ReadReply(c, reply, err);
}

int Batch::Handshake(Conn* c, std::string* err) {
  ERR_clear_error();
  int r = SSL_connect(c->ssl);
  if (r == 1) return 1;
  int e = SSL_get_error(c->ssl, r);
  if (WouldBlock(c, e)) return 0;
  if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
    *err = "TLS handshake: connection closed";
    ERR_clear_error();
    return -1;
  }
  *err = SslErrorText("TLS handshake");
  return -1;
}

void Batch::TlsDone(Conn* c) {
  EndPhase(c, ProbePhase::kStartTls);
  c->out->tls_established = true;
  if (X509* cert = SSL_get1_peer_certificate(c->ssl)) {
    struct tm tm {};
    if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1) {
      c->out->cert_not_after = static_cast<double>(timegm(&tm));
    }
    X509_free(cert);
  }
}

}  // namespace mailflow::smtp_prober_internal
