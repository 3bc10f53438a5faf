#include "src/tls/transport.h"

#include <errno.h>
#include <openssl/bio.h>

#include <algorithm>
#include <cstring>

namespace mailshake::tls {
namespace {

BufferTransport* TransportOf(BIO* bio) {
  return static_cast<BufferTransport*>(BIO_get_data(bio));
}

int TransportRead(BIO* bio, char* out, int len) {
  BIO_clear_retry_flags(bio);
  BufferTransport* t = TransportOf(bio);
  if (len <= 0) return 0;
  if (t->in.empty()) {
    if (t->error != 0) {
      errno = t->error;
      return -1;
    }
    if (t->eof) return 0;
    BIO_set_retry_read(bio);
    return -1;
  }
  size_t n = std::min(t->in.size(), static_cast<size_t>(len));
  std::memcpy(out, t->in.data(), n);
  t->in.remove_prefix(n);
  return static_cast<int>(n);
}

int TransportWrite(BIO* bio, const char* in, int len) {
  BIO_clear_retry_flags(bio);
  if (len <= 0) return 0;
  TransportOf(bio)->out.append(in, static_cast<size_t>(len));
  return len;
}

long TransportCtrl(BIO* bio, int cmd, long num, void* ptr) {
  (void)bio;
  (void)num;
  (void)ptr;
  // Flushing is the caller's send; everything else is unsupported.
  return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

int TransportCreate(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

const BIO_METHOD* TransportMethod() {
  // Built once, on first use; C++ makes the initialisation thread-safe.
  static const BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_TYPE_SOURCE_SINK, "mailshake buffer transport");
    if (m == nullptr) return static_cast<BIO_METHOD*>(nullptr);
    BIO_meth_set_read(m, TransportRead);
    BIO_meth_set_write(m, TransportWrite);
    BIO_meth_set_ctrl(m, TransportCtrl);
    BIO_meth_set_create(m, TransportCreate);
    return m;
  }();
  return method;
}

}  // namespace

bool AttachBufferTransport(SSL* ssl, BufferTransport* transport) {
  const BIO_METHOD* method = TransportMethod();
  if (method == nullptr) return false;
  BIO* bio = BIO_new(method);
  if (bio == nullptr) return false;
  BIO_set_data(bio, transport);
  // One BIO for both directions: |ssl| takes the one reference.
  SSL_set_bio(ssl, bio, bio);
  return true;
}

}  // namespace mailshake::tls
