#include "src/x509/der.h"

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"

namespace mailshake::x509::der {
namespace {

constexpr unsigned kTagNumberMask = CBS_ASN1_TAG_NUMBER_MASK;

// Explains why CBS_get_any_asn1_element refused the bytes at the start of
// |cbs|, mirroring its DER rules.
std::string DescribeBadHeader(const CBS& cbs) {
  CBS copy = cbs;
  uint8_t first;
  if (!CBS_get_u8(&copy, &first)) return "element is missing";
  if ((first & 0xdf) == 0) {  // universal 0, primitive or constructed
    return "tag 0 (end-of-contents) is not an element in DER";
  }
  if ((first & 0x1f) == 0x1f) {
    // High tag number form: base-128, minimal, fits in 29 bits, >= 31.
    uint64_t number = 0;
    uint8_t b;
    bool first_byte = true;
    do {
      if (!CBS_get_u8(&copy, &b)) return "truncated tag";
      if (first_byte && b == 0x80) return "non-minimal high tag number";
      first_byte = false;
      number = (number << 7) | (b & 0x7f);
      if (number > kTagNumberMask) return "tag number too large";
    } while (b & 0x80);
    if (number < 0x1f) return "high tag number form used for a low tag";
  }
  uint8_t len_byte;
  if (!CBS_get_u8(&copy, &len_byte)) return "truncated: length is missing";
  size_t len = len_byte;
  if (len_byte == 0x80) return "indefinite length (BER) is not allowed in DER";
  if (len_byte & 0x80) {
    size_t num_bytes = len_byte & 0x7f;
    if (num_bytes > 4) {
      return absl::StrFormat("length uses %d octets; at most 4 are supported",
                             num_bytes);
    }
    len = 0;
    for (size_t i = 0; i < num_bytes; ++i) {
      uint8_t b;
      if (!CBS_get_u8(&copy, &b)) return "truncated length";
      if (i == 0 && b == 0) return "non-minimal length encoding (leading zero)";
      len = (len << 8) | b;
    }
    if (len < 0x80) {
      return absl::StrFormat(
          "non-minimal length encoding (%d in long form)", len);
    }
    if (num_bytes > 1 && (len >> ((num_bytes - 1) * 8)) == 0) {
      return "non-minimal length encoding";
    }
  }
  if (len > CBS_len(&copy)) {
    return absl::StrFormat(
        "length %d runs past the end of the enclosing data (%d bytes left)",
        len, CBS_len(&copy));
  }
  return "malformed element header";
}

}  // namespace

absl::Status Error(absl::string_view field, size_t offset,
                   absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat(field, " at offset ", offset, ": ", what));
}

std::string DescribeTag(unsigned tag) {
  const unsigned number = tag & kTagNumberMask;
  const bool constructed = (tag & CBS_ASN1_CONSTRUCTED) != 0;
  switch (tag & CBS_ASN1_CLASS_MASK) {
    case CBS_ASN1_CONTEXT_SPECIFIC:
      return absl::StrCat("[", number, "]", constructed ? " constructed" : "");
    case CBS_ASN1_APPLICATION:
      return absl::StrCat("[APPLICATION ", number, "]");
    case CBS_ASN1_PRIVATE:
      return absl::StrCat("[PRIVATE ", number, "]");
    default:
      break;
  }
  switch (tag) {
    case CBS_ASN1_BOOLEAN: return "BOOLEAN";
    case CBS_ASN1_INTEGER: return "INTEGER";
    case CBS_ASN1_BITSTRING: return "BIT STRING";
    case CBS_ASN1_OCTETSTRING: return "OCTET STRING";
    case CBS_ASN1_NULL: return "NULL";
    case CBS_ASN1_OBJECT: return "OBJECT IDENTIFIER";
    case CBS_ASN1_UTF8STRING: return "UTF8String";
    case CBS_ASN1_SEQUENCE: return "SEQUENCE";
    case CBS_ASN1_SET: return "SET";
    case CBS_ASN1_PRINTABLESTRING: return "PrintableString";
    case CBS_ASN1_IA5STRING: return "IA5String";
    case CBS_ASN1_UTCTIME: return "UTCTime";
    case CBS_ASN1_GENERALIZEDTIME: return "GeneralizedTime";
    default:
      return absl::StrCat("universal tag ", number,
                          constructed ? " constructed" : "");
  }
}

absl::Status ReadElement(Cursor* in, unsigned tag, absl::string_view field,
                         Cursor* contents, Cursor* element) {
  const size_t offset = in->Offset();
  if (in->empty()) {
    return Error(field, offset,
                 absl::StrCat("missing ", DescribeTag(tag), " (no bytes left)"));
  }
  CBS copy = in->cbs;
  CBS elem;
  unsigned actual_tag;
  size_t header_len;
  if (!CBS_get_any_asn1_element(&copy, &elem, &actual_tag, &header_len)) {
    return Error(field, offset, DescribeBadHeader(in->cbs));
  }
  if (actual_tag != tag) {
    return Error(field, offset,
                 absl::StrCat("expected ", DescribeTag(tag), ", found ",
                              DescribeTag(actual_tag)));
  }
  in->cbs = copy;
  if (element != nullptr) *element = Cursor{elem, in->base};
  if (!CBS_skip(&elem, header_len)) {
    return Error(field, offset, "internal error: header longer than element");
  }
  *contents = Cursor{elem, in->base};
  return absl::OkStatus();
}

absl::Status ReadOptionalParameters(Cursor* in, absl::string_view field,
                                    Cursor* element) {
  *element = *in;
  if (in->empty()) return absl::OkStatus();
  const size_t offset = in->Offset();
  CBS copy = in->cbs, elem;
  unsigned tag;
  size_t header_len;
  if (!CBS_get_any_asn1_element(&copy, &elem, &tag, &header_len)) {
    return Error(field, offset, DescribeBadHeader(in->cbs));
  }
  // An ANY still has to be valid DER for its universal type. Only the simple
  // types are checked (as BoringSSL's ASN1_TYPE decoder does); constructed
  // values are opaque here.
  if ((tag & CBS_ASN1_CLASS_MASK) == CBS_ASN1_UNIVERSAL) {
    // DER: SEQUENCE and SET are constructed, every other universal type we
    // could meet here is primitive.
    const unsigned number = tag & CBS_ASN1_TAG_NUMBER_MASK;
    const bool constructed = (tag & CBS_ASN1_CONSTRUCTED) != 0;
    if (constructed != (number == 16 || number == 17)) {
      return Error(field, offset,
                   absl::StrCat("universal tag ", number, " must be ",
                                constructed ? "primitive" : "constructed",
                                " in DER"));
    }
  }
  CBS contents = elem;
  CBS_skip(&contents, header_len);
  const size_t len = CBS_len(&contents);
  const uint8_t* bytes = CBS_data(&contents);
  switch (tag) {
    case CBS_ASN1_BOOLEAN:
      if (len != 1 || (bytes[0] != 0x00 && bytes[0] != 0xff)) {
        return Error(field, offset,
                     "BOOLEAN must be one octet, 0x00 or 0xFF, in DER");
      }
      break;
    case CBS_ASN1_NULL:
      if (len != 0) return Error(field, offset, "NULL has contents");
      break;
    case CBS_ASN1_INTEGER:
    case CBS_ASN1_ENUMERATED:
      MAILSHAKE_X509_RETURN_IF_ERROR(ValidateInteger(
          Cursor{contents, in->base}, field, /*require_non_negative=*/false));
      break;
    case CBS_ASN1_OBJECT: {
      absl::StatusOr<std::string> oid = OidToText(
          absl::string_view(reinterpret_cast<const char*>(bytes), len));
      if (!oid.ok()) return Error(field, offset, oid.status().message());
      break;
    }
    case CBS_ASN1_BITSTRING:
      if (!CBS_is_valid_asn1_bitstring(&contents)) {
        return Error(field, offset, "invalid BIT STRING");
      }
      break;
    case CBS_ASN1_UTF8STRING:
    case CBS_ASN1_PRINTABLESTRING:
    case CBS_ASN1_IA5STRING:
    case CBS_ASN1_NUMERICSTRING:
    case CBS_ASN1_T61STRING:
    case CBS_ASN1_BMPSTRING:
    case CBS_ASN1_UNIVERSALSTRING: {
      absl::StatusOr<std::string> decoded = DecodeString(
          tag, absl::string_view(reinterpret_cast<const char*>(bytes), len));
      if (!decoded.ok()) {
        return Error(field, offset, decoded.status().message());
      }
      break;
    }
    default:
      break;
  }
  if (CBS_len(&copy) != 0) {
    return Error(field, offset, "trailing bytes after the parameters");
  }
  in->cbs = copy;
  element->cbs = elem;
  return absl::OkStatus();
}

bool PeekTag(const Cursor& in, unsigned tag) {
  return CBS_peek_asn1_tag(&in.cbs, tag) != 0;
}

absl::Status ExpectEnd(const Cursor& in, absl::string_view field) {
  if (in.empty()) return absl::OkStatus();
  return Error(field, in.Offset(),
               absl::StrCat(CBS_len(&in.cbs),
                            " unexpected trailing bytes"));
}

absl::StatusOr<std::string> OidToText(absl::string_view contents) {
  if (contents.empty()) {
    return absl::InvalidArgumentError("empty OBJECT IDENTIFIER");
  }
  std::string out;
  uint64_t value = 0;
  bool at_start = true;
  bool first_arc = true;
  for (size_t i = 0; i < contents.size(); ++i) {
    const uint8_t b = static_cast<uint8_t>(contents[i]);
    if (at_start && b == 0x80) {
      return absl::InvalidArgumentError(
          "OBJECT IDENTIFIER has a non-minimal sub-identifier");
    }
    at_start = false;
    if (value > (UINT64_MAX >> 7)) {
      return absl::InvalidArgumentError(
          "OBJECT IDENTIFIER arc does not fit in 64 bits");
    }
    value = (value << 7) | (b & 0x7f);
    if (b & 0x80) continue;
    if (first_arc) {
      // The first sub-identifier packs two arcs: 40 * X + Y.
      if (value < 80) {
        absl::StrAppend(&out, value / 40, ".", value % 40);
      } else {
        absl::StrAppend(&out, "2.", value - 80);
      }
      first_arc = false;
    } else {
      absl::StrAppend(&out, ".", value);
    }
    value = 0;
    at_start = true;
  }
  if (!at_start) {
    return absl::InvalidArgumentError("OBJECT IDENTIFIER is truncated");
  }
  return out;
}

absl::StatusOr<std::string> ReadOid(Cursor* in, absl::string_view field) {
  Cursor contents;
  const size_t offset = in->Offset();
  MAILSHAKE_X509_RETURN_IF_ERROR(
      ReadElement(in, CBS_ASN1_OBJECT, field, &contents));
  absl::StatusOr<std::string> text = OidToText(contents.view());
  if (!text.ok()) return Error(field, offset, text.status().message());
  return text;
}

absl::Status ValidateInteger(const Cursor& contents, absl::string_view field,
                             bool require_non_negative) {
  int is_negative = 0;
  if (!CBS_is_valid_asn1_integer(&contents.cbs, &is_negative)) {
    return Error(field, contents.Offset(),
                 contents.empty()
                     ? "INTEGER has no content octets"
                     : "INTEGER is not minimally encoded (redundant leading "
                       "0x00 or 0xFF octet)");
  }
  if (require_non_negative && is_negative) {
    return Error(field, contents.Offset(), "INTEGER is negative");
  }
  return absl::OkStatus();
}

namespace {

// Unicode 3.4 D9, D14 and 3.2 C1: in range, not a surrogate, not one of the
// 66 noncharacters (U+FDD0..U+FDEF and the last two of every plane). RFC 5280
// strings must hold characters, and BoringSSL refuses the rest too.
bool IsValidCodePoint(uint32_t cp) {
  return cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) &&
         !(cp >= 0xfdd0 && cp <= 0xfdef) && (cp & 0xfffe) != 0xfffe;
}

}  // namespace

bool IsValidUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const uint8_t c = static_cast<uint8_t>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n;
    uint32_t cp;
    uint32_t min;
    if ((c & 0xe0) == 0xc0) {
      n = 1, cp = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2, cp = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (s.size() - i - 1 < n) return false;
    for (size_t k = 1; k <= n; ++k) {
      const uint8_t cc = static_cast<uint8_t>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || !IsValidCodePoint(cp)) return false;
    i += n + 1;
  }
  return true;
}

namespace {

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out->push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

bool IsPrintableStringChar(uint8_t c) {
  // X.680 41.4: A-Z a-z 0-9 space ' ( ) + , - . / : = ?
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
      (c >= '0' && c <= '9')) {
    return true;
  }
  switch (c) {
    case ' ': case '\'': case '(': case ')': case '+': case ',': case '-':
    case '.': case '/': case ':': case '=': case '?':
      return true;
    default:
      return false;
  }
}

absl::Status BadChar(absl::string_view type, size_t index, uint8_t c) {
  return absl::InvalidArgumentError(absl::StrFormat(
      "%s has invalid character 0x%02x at index %d", type, c, index));
}

}  // namespace

absl::StatusOr<std::string> DecodeString(unsigned tag, absl::string_view bytes) {
  std::string out;
  switch (tag) {
    case CBS_ASN1_UTF8STRING:
      if (!IsValidUtf8(bytes)) {
        return absl::InvalidArgumentError("UTF8String is not valid UTF-8");
      }
      if (bytes.find('\0') != absl::string_view::npos) {
        return absl::InvalidArgumentError("UTF8String contains a NUL character");
      }
      return std::string(bytes);
    case CBS_ASN1_PRINTABLESTRING:
    case CBS_ASN1_IA5STRING:
    case CBS_ASN1_NUMERICSTRING: {
      for (size_t i = 0; i < bytes.size(); ++i) {
        const uint8_t c = static_cast<uint8_t>(bytes[i]);
        if (tag == CBS_ASN1_PRINTABLESTRING && !IsPrintableStringChar(c)) {
          return BadChar("PrintableString", i, c);
        }
        if (tag == CBS_ASN1_IA5STRING && (c == 0 || c > 0x7f)) {
          return BadChar("IA5String", i, c);
        }
        if (tag == CBS_ASN1_NUMERICSTRING && !(c == ' ' || (c >= '0' && c <= '9'))) {
          return BadChar("NumericString", i, c);
        }
      }
      return std::string(bytes);
    }
    case CBS_ASN1_T61STRING:
      // Teletex's real repertoire (T.61) is never what issuers meant; like
      // browsers, treat it as ISO 8859-1.
      out.reserve(bytes.size() * 2);
      for (size_t i = 0; i < bytes.size(); ++i) {
        const uint8_t c = static_cast<uint8_t>(bytes[i]);
        if (c == 0) return BadChar("TeletexString", i, c);
        AppendUtf8(c, &out);
      }
      return out;
    case CBS_ASN1_BMPSTRING:
      if (bytes.size() % 2 != 0) {
        return absl::InvalidArgumentError("BMPString has an odd length");
      }
      out.reserve(bytes.size() * 2);
      for (size_t i = 0; i < bytes.size(); i += 2) {
        const uint32_t cp = (static_cast<uint8_t>(bytes[i]) << 8) |
                            static_cast<uint8_t>(bytes[i + 1]);
        if (cp == 0 || !IsValidCodePoint(cp)) {
          return absl::InvalidArgumentError(absl::StrFormat(
              "BMPString has invalid code unit U+%04X at index %d", cp, i));
        }
        AppendUtf8(cp, &out);
      }
      return out;
    case CBS_ASN1_UNIVERSALSTRING:
      if (bytes.size() % 4 != 0) {
        return absl::InvalidArgumentError(
            "UniversalString length is not a multiple of 4");
      }
      out.reserve(bytes.size());
      for (size_t i = 0; i < bytes.size(); i += 4) {
        uint32_t cp = 0;
        for (size_t k = 0; k < 4; ++k) {
          cp = (cp << 8) | static_cast<uint8_t>(bytes[i + k]);
        }
        if (cp == 0 || !IsValidCodePoint(cp)) {
          return absl::InvalidArgumentError(absl::StrFormat(
              "UniversalString has invalid code point 0x%X at index %d", cp,
              i));
        }
        AppendUtf8(cp, &out);
      }
      return out;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("unsupported string type ", DescribeTag(tag)));
  }
}

namespace {

// Reads |n| decimal digits from |s| at |*pos|.
bool Digits(absl::string_view s, size_t* pos, size_t n, int* out) {
  if (s.size() - *pos < n) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = s[*pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  if (month == 2) {
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return leap ? 29 : 28;
  }
  return kDays[month - 1];
}

}  // namespace

absl::StatusOr<absl::Time> ParseTime(unsigned tag, absl::string_view s) {
  const bool utc = tag == CBS_ASN1_UTCTIME;
  if (!utc && tag != CBS_ASN1_GENERALIZEDTIME) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected UTCTime or GeneralizedTime, found ",
                     DescribeTag(tag)));
  }
  const absl::string_view type = utc ? "UTCTime" : "GeneralizedTime";
  const size_t digits = utc ? 12 : 14;
  // Name the common deviations before the generic "wrong form" message.
  if (!s.empty() && s.back() != 'Z') {
    if (s.find_first_of("+-") != absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(type, " has a time-zone offset; RFC 5280 requires Z"));
    }
    return absl::InvalidArgumentError(
        absl::StrCat(type, " does not end in Z"));
  }
  if (!utc && s.find('.') != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        "GeneralizedTime has fractional seconds");
  }
  if (s.size() != digits + 1) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s must be %s (%d characters), got %d characters", type,
        utc ? "YYMMDDHHMMSSZ" : "YYYYMMDDHHMMSSZ", digits + 1, s.size()));
  }
  size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  bool ok;
  if (utc) {
    ok = Digits(s, &pos, 2, &year);
    year += year >= 50 ? 1900 : 2000;
  } else {
    ok = Digits(s, &pos, 4, &year);
  }
  ok = ok && Digits(s, &pos, 2, &month) && Digits(s, &pos, 2, &day) &&
       Digits(s, &pos, 2, &hour) && Digits(s, &pos, 2, &minute) &&
       Digits(s, &pos, 2, &second);
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat(type, " has a non-digit character"));
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) ||
      hour > 23 || minute > 59 || second > 59) {
    return absl::InvalidArgumentError(
        absl::StrCat(type, " has a field out of range: ", s));
  }
  if (!utc && year < 2050) {
    return absl::InvalidArgumentError(
        "GeneralizedTime used for a date before 2050 (RFC 5280 requires "
        "UTCTime)");
  }
  return absl::FromCivil(
      absl::CivilSecond(year, month, day, hour, minute, second),
      absl::UTCTimeZone());
}

}  // namespace mailshake::x509::der
