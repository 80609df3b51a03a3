#include "exporter/health_check.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace mailflow {

namespace {

using Clock = std::chrono::steady_clock;

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

struct SslDeleter {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
  void operator()(SSL* s) const { SSL_free(s); }
};

std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  if (e == 0) return "connection closed";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

// Connects to ip:port within `deadline`; then the socket blocks, with send
// and receive timeouts of `step` (a silent server cannot hold it).
bool Connect(const std::string& ip, int port, Clock::time_point deadline,
             std::chrono::milliseconds step, Fd* sock, std::string* err) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, ip.c_str(), &sa.sin_addr) != 1) {
    *err = "not an IPv4 address";
    return false;
  }
  sock->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (sock->fd < 0) {
    *err = std::strerror(errno);
    return false;
  }
  if (connect(sock->fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    if (errno != EINPROGRESS) {
      *err = std::strerror(errno);
      return false;
    }
    pollfd p{sock->fd, POLLOUT, 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - Clock::now());
    if (poll(&p, 1, std::max<int>(0, left.count())) != 1) {
      *err = "timed out";
      return false;
    }
    int so_error = 0;
    socklen_t len = sizeof so_error;
    getsockopt(sock->fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
    if (so_error != 0) {
      *err = std::strerror(so_error);
      return false;
    }
  }
  fcntl(sock->fd, F_SETFL, fcntl(sock->fd, F_GETFL) & ~O_NONBLOCK);
  timeval tv{static_cast<time_t>(step.count() / 1000),
             static_cast<suseconds_t>(step.count() % 1000 * 1000)};
  setsockopt(sock->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(sock->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  return true;
}

// Sends `request` and returns the status line's code (0 when none came).
int Exchange(int fd, SSL* ssl, const std::string& request, std::string* err) {
  auto io_error = [&](const char* what) {
    *err = what;
    err->append(": ").append(ssl     ? OpenSslError()
                             : errno ? std::strerror(errno)
                                     : "closed");
    return 0;
  };
  int n = ssl ? SSL_write(ssl, request.data(), request.size())
              : static_cast<int>(
                    send(fd, request.data(), request.size(), MSG_NOSIGNAL));
  if (n != static_cast<int>(request.size())) return io_error("send");
  std::string head;
  char buf[512];
  while (head.find("\r\n") == std::string::npos && head.size() < 4096) {
    errno = 0;
    n = ssl ? SSL_read(ssl, buf, sizeof buf)
            : static_cast<int>(recv(fd, buf, sizeof buf, 0));
    if (n <= 0) return io_error("receive");
    head.append(buf, n);
  }
  // "HTTP/1.1 200 OK"
  size_t sp = head.find(' ');
  if (head.compare(0, 5, "HTTP/") != 0 || sp == std::string::npos) {
    *err = "not an HTTP response";
    return 0;
  }
  return std::atoi(head.c_str() + sp + 1);
}

}  // namespace

bool CheckHealth(const HttpOptions& options, std::chrono::milliseconds timeout,
                 std::string* message) {
  const Clock::time_point deadline = Clock::now() + timeout;
  std::string civet, err;
  const std::string& address = options.listen_addresses.empty()
                                   ? std::string(":10029")
                                   : options.listen_addresses.front();
  if (!TranslateListenAddress(address, &civet, &err)) {
    *message = err;
    return false;
  }
  const size_t colon = civet.rfind(':');
  std::string ip = civet.substr(0, colon);
  const int port = std::atoi(civet.c_str() + colon + 1);
  if (ip == "0.0.0.0") ip = "127.0.0.1";
  std::string where = ip;
  where.append(":").append(std::to_string(port));
  if (port == 0) {
    *message = where + ": port 0 is chosen at start and cannot be checked";
    return false;
  }
  Fd sock;
  if (!Connect(ip, port, deadline, timeout, &sock, &err)) {
    *message = "connect " + where + ": " + err;
    return false;
  }
  std::unique_ptr<SSL_CTX, SslDeleter> ctx;
  std::unique_ptr<SSL, SslDeleter> ssl;
  const bool tls = options.web && options.web->tls_enabled;
  if (tls) {
    ctx.reset(SSL_CTX_new(TLS_client_method()));
    if (ctx) SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
    if (ctx) ssl.reset(SSL_new(ctx.get()));
    if (!ssl || SSL_set_fd(ssl.get(), sock.fd) != 1 ||
        SSL_connect(ssl.get()) != 1) {
      *message = "TLS handshake with " + where + ": " + OpenSslError();
      return false;
    }
  }
  std::string request = "GET /-/healthy HTTP/1.0\r\nHost: ";
  request.append(where).append("\r\nUser-Agent: mailflow_exporter\r\n\r\n");
  const int status = Exchange(sock.fd, ssl.get(), request, &err);
  if (status == 0) {
    *message = where + ": " + err;
    return false;
  }
  *message = "HTTP ";
  message->append(std::to_string(status)).append(" from ");
  message->append(tls ? "https://" : "http://").append(where);
  message->append("/-/healthy");
  return status == 200 || status == 401;
}

}  // namespace mailflow
