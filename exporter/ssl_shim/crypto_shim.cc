// The libcrypto.so shim: its SONAME is libcrypto.so and it depends on
// libcrypto.so.3, so civetweb's dlopen("libcrypto.so") is served by this
// already-loaded object (see ssl_shim.cc) without the libssl-dev symlink.
#include <openssl/crypto.h>

extern "C" __attribute__((visibility("default"))) unsigned long
mailflow_crypto_shim_openssl_version() {
  return OpenSSL_version_num();
}
