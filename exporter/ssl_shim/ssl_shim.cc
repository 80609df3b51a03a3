// The libssl.so shim: civetweb 1.15 (Debian 12) dlopens "libssl.so" and
// resolves SSL_get_peer_certificate, which OpenSSL 3 only has as a macro for
// SSL_get1_peer_certificate; civetweb then calls a NULL pointer on every
// HTTPS connection. This library's SONAME is libssl.so, it depends on
// libssl.so.3 and defines the missing function with the same semantics (the
// caller owns a reference to the returned certificate). mailflow_exporter
// links it with --no-as-needed, so it is loaded at start and glibc hands
// civetweb's dlopen("libssl.so") this already-loaded object; every other
// lookup falls through to its dependency libssl.so.3.
#include <openssl/ssl.h>

#undef SSL_get_peer_certificate

extern "C" __attribute__((visibility("default"))) X509*
SSL_get_peer_certificate(const SSL* ssl) {
  return SSL_get1_peer_certificate(ssl);
}
