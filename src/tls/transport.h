// BufferTransport: an SSL's transport as two caller-owned buffers, so the
// caller does the socket I/O itself: one recv per readable event into its own
// buffer, and one send per flight of everything BoringSSL (and the caller)
// queued. A socket BIO reads each TLS record with two read() calls (header,
// then body) and writes each flight with several write() calls; this one
// makes no system calls at all.

#ifndef MAILSHAKE_SRC_TLS_TRANSPORT_H_
#define MAILSHAKE_SRC_TLS_TRANSPORT_H_

#include <openssl/ssl.h>

#include <string>

#include "absl/strings/string_view.h"

namespace mailshake::tls {

// BufferTransport is what an SSL attached with |AttachBufferTransport| reads
// from and writes to. The caller fills |in| with received bytes (a view of its
// own buffer) before driving the SSL, and sends |out| afterwards.
struct BufferTransport {
  // Received bytes not yet consumed. BoringSSL's reads advance it; it never
  // reads more than the record it is working on needs, so what follows (the
  // next record, or plaintext) stays here.
  absl::string_view in;
  // Set when the peer has closed its side: once |in| is empty, reads return 0
  // (end of file) instead of asking to retry.
  bool eof = false;
  // The errno of a failed receive (ECONNRESET, ...): once |in| is empty,
  // reads fail with errno set to it. 0 for none.
  int error = 0;
  // Bytes to send, in order. BoringSSL's writes append and always succeed,
  // so an SSL never reports SSL_ERROR_WANT_WRITE; sending is the caller's job.
  std::string out;

  // Forgets everything (keeps |out|'s capacity), for the next connection.
  void Reset() {
    in = absl::string_view();
    eof = false;
    error = 0;
    out.clear();
  }
};

// AttachBufferTransport makes |transport| the read and write side of |ssl|
// (through one BIO that |ssl| owns). |transport| is not owned and must
// outlive |ssl|'s use of it. Returns false on allocation failure.
bool AttachBufferTransport(SSL* ssl, BufferTransport* transport);

}  // namespace mailshake::tls

#endif  // MAILSHAKE_SRC_TLS_TRANSPORT_H_
