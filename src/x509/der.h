// Internal DER helpers for //src/x509: element reading with diagnostics,
// OIDs, ASN.1 string types and RFC 5280 times. Not part of the module's public
// API; the parser, its tests and the fuzz harnesses use them.

#ifndef MAILSHAKE_SRC_X509_DER_H_
#define MAILSHAKE_SRC_X509_DER_H_

#include <openssl/bytestring.h>

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

// Evaluates |expr| (an absl::Status) and returns it from the enclosing
// function if it is not OK.
#define MAILSHAKE_X509_RETURN_IF_ERROR(expr)        \
  do {                                              \
    ::absl::Status mailshake_x509_status_ = (expr); \
    if (!mailshake_x509_status_.ok()) {             \
      return mailshake_x509_status_;                \
    }                                               \
  } while (0)

namespace mailshake::x509::der {

// Cursor wraps a CBS over part of a certificate and remembers where the whole
// input starts, so that every error can name its byte offset.
struct Cursor {
  CBS cbs;
  const uint8_t* base;

  // Offset returns the position of the next unread byte relative to |base|.
  size_t Offset() const { return static_cast<size_t>(CBS_data(&cbs) - base); }
  bool empty() const { return CBS_len(&cbs) == 0; }
  absl::string_view view() const {
    return {reinterpret_cast<const char*>(CBS_data(&cbs)), CBS_len(&cbs)};
  }
};

// Error returns an InvalidArgument status reading
// "|field| at offset |offset|: |what|".
absl::Status Error(absl::string_view field, size_t offset,
                   absl::string_view what);

// ReadElement reads the next DER element from |in|, which must carry |tag|
// (a CBS_ASN1_* value). On success it sets |*contents| to the element's
// contents (sharing |in|'s base), |*element| (if not null) to the whole
// element including its header, and advances |in|. On failure it returns an
// error naming |field|, the offset and the precise defect: missing element,
// wrong tag, indefinite or non-minimal length, length past the end.
absl::Status ReadElement(Cursor* in, unsigned tag, absl::string_view field,
                         Cursor* contents, Cursor* element = nullptr);

// ReadOptionalParameters checks that |in|, the rest of an
// AlgorithmIdentifier after its OID, is empty or exactly one well-formed
// element (CBS also refuses the BER end-of-contents tag 0) whose contents are
// valid for its type when it is a BOOLEAN, NULL, INTEGER, ENUMERATED, OBJECT
// IDENTIFIER, BIT STRING or a character string DecodeString knows. On success
// it sets
// |*element| to that element (empty when absent) and consumes |in|.
absl::Status ReadOptionalParameters(Cursor* in, absl::string_view field,
                                    Cursor* element);

// PeekTag reports whether the next element of |in| has tag |tag|.
bool PeekTag(const Cursor& in, unsigned tag);

// ExpectEnd returns an error naming |field| if |in| has unread bytes.
absl::Status ExpectEnd(const Cursor& in, absl::string_view field);

// DescribeTag renders a CBS tag value for messages, e.g. "SEQUENCE" or
// "[3] constructed".
std::string DescribeTag(unsigned tag);

// OidToText decodes the contents of an OBJECT IDENTIFIER into dotted form.
// It rejects empty OIDs, non-minimal (0x80-led) sub-identifiers, truncated
// encodings and arcs that do not fit in 64 bits.
absl::StatusOr<std::string> OidToText(absl::string_view contents);

// ReadOid reads an OBJECT IDENTIFIER element from |in| and returns its dotted
// text; errors name |field|.
absl::StatusOr<std::string> ReadOid(Cursor* in, absl::string_view field);

// ValidateUnsignedInteger checks that |contents| is a minimal, non-negative
// DER INTEGER. The returned message names the defect.
absl::Status ValidateInteger(const Cursor& contents, absl::string_view field,
                             bool require_non_negative);

// DecodeDirectoryString converts the contents of an ASN.1 character string
// with universal tag |tag| into UTF-8: UTF8String (validated), PrintableString
// (X.680 charset), IA5String (7-bit), NumericString, TeletexString (read as
// Latin-1, as browsers do), BMPString (UCS-2, no surrogates) and
// UniversalString (UCS-4). NUL characters are rejected in all of them because
// they truncate names in C consumers. Other tags, VisibleString included
// (not a DirectoryString; BoringSSL's X509_NAME refuses it too), are rejected.
// Errors are plain descriptions without field or offset.
absl::StatusOr<std::string> DecodeString(unsigned tag, absl::string_view bytes);

// IsValidUtf8 reports whether |s| is well-formed UTF-8 (no overlong forms, no
// surrogates, nothing above U+10FFFF).
bool IsValidUtf8(absl::string_view s);

// ParseTime parses the contents of a UTCTime (|tag| CBS_ASN1_UTCTIME) or
// GeneralizedTime exactly as RFC 5280 4.1.2.5 allows: YYMMDDHHMMSSZ (years
// 50-99 are 19xx, 00-49 are 20xx) or YYYYMMDDHHMMSSZ, seconds present, no
// fractions, "Z" only, every field in range. Dates before 2050 must be
// UTCTime and dates from 2050 on GeneralizedTime.
absl::StatusOr<absl::Time> ParseTime(unsigned tag, absl::string_view contents);

}  // namespace mailshake::x509::der

#endif  // MAILSHAKE_SRC_X509_DER_H_
