// Fuzzes PEM loading: DecodePemCertificates on arbitrary text, then the chain
// built from it. Invariants:
//  - at most kMaxPemCertificates blocks, none empty, input over kMaxPemBytes
//    refused;
//  - the DER blocks written back out as PEM (64-column base64) decode to the
//    same blocks;
//  - CertificateChain::FromPem succeeds exactly when decoding succeeds and
//    every block parses, and then its analysis is consistent with its size;
//  - an independent model of the block structure (lines, whitespace
//    stripped; BEGIN opens a block outside one, END closes it): decoding
//    succeeds only if every END carries the label of its BEGIN, no block is
//    left open, and there are exactly as many CERTIFICATE blocks as DER
//    blocks returned.

#include <openssl/base64.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "fuzz/fuzz_check.h"
#include "src/x509/x509.h"

namespace {

std::string ToPem(const std::vector<std::string>& ders) {
  std::string out = "leading text is ignored\n";
  for (const std::string& der : ders) {
    size_t len = 0;
    EVP_EncodedLength(&len, der.size());
    std::string b64(len, '\0');
    size_t n = EVP_EncodeBlock(reinterpret_cast<uint8_t*>(b64.data()),
                               reinterpret_cast<const uint8_t*>(der.data()), der.size());
    b64.resize(n);
    out += "-----BEGIN CERTIFICATE-----\r\n";
    for (size_t i = 0; i < b64.size(); i += 64) out += b64.substr(i, 64) + "\n";
    out += "-----END CERTIFICATE-----\n\n";
  }
  return out;
}

struct BlockModel {
  bool labels_match = true;    // every END names its BEGIN's label
  bool left_open = false;      // a BEGIN without its END
  size_t certificate_blocks = 0;
  int mismatch_line = 0;
};

absl::string_view Strip(absl::string_view line) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
                                   c == '\v' || c == '\f'; };
  while (!line.empty() && space(line.front())) line.remove_prefix(1);
  while (!line.empty() && space(line.back())) line.remove_suffix(1);
  return line;
}

// The label of "-----BEGIN x-----" (or END), or false.
bool Boundary(absl::string_view line, absl::string_view word, absl::string_view* label) {
  const std::string head = "-----" + std::string(word) + " ";
  if (line.size() < head.size() + 5 || line.substr(0, head.size()) != head ||
      line.substr(line.size() - 5) != "-----") {
    return false;
  }
  *label = line.substr(head.size(), line.size() - head.size() - 5);
  return true;
}

BlockModel ModelBlocks(absl::string_view text) {
  BlockModel m;
  bool open = false;
  absl::string_view open_label;
  int number = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    absl::string_view line = Strip(text.substr(0, nl));
    text.remove_prefix(nl == absl::string_view::npos ? text.size() : nl + 1);
    ++number;
    absl::string_view label;
    if (!open) {
      if (Boundary(line, "BEGIN", &label)) {
        open = true;
        open_label = label;
        if (label == "CERTIFICATE") ++m.certificate_blocks;
      }
    } else if (Boundary(line, "END", &label)) {
      if (label != open_label && m.labels_match) {
        m.labels_match = false;
        m.mismatch_line = number;
      }
      open = false;
    }
  }
  m.left_open = open;
  return m;
}

// An independent model of the whole of DecodePemCertificates' contract
// (x509.h): the DER blocks it must return, or that it must refuse. Lines end
// at LF, surrounding ASCII whitespace (CR included) is dropped, the last line
// needs no LF; text outside blocks is ignored; inside a CERTIFICATE block
// every line is base64 (A-Z a-z 0-9 + / =), at most twice kMaxCertificateBytes
// in all, decoding (padded, length a multiple of 4) to a non-empty block;
// other labels' contents are ignored; a BEGIN inside a block, an END with
// another label, a block left open, more than kMaxPemCertificates blocks,
// no block at all, or an input over kMaxPemBytes is refused.
struct Expected {
  bool ok = true;
  std::vector<std::string> blocks;
};

bool Base64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '+' || c == '/' || c == '=';
}

Expected ExpectedBlocks(absl::string_view text) {
  Expected e;
  auto refuse = [&e]() {
    e.ok = false;
    e.blocks.clear();
    return e;
  };
  if (text.size() > mailshake::x509::kMaxPemBytes) return refuse();
  bool open = false;
  absl::string_view open_label;
  std::string b64;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    absl::string_view line = Strip(text.substr(0, nl));
    text.remove_prefix(nl == absl::string_view::npos ? text.size() : nl + 1);
    absl::string_view label;
    if (!open) {
      if (Boundary(line, "BEGIN", &label)) {
        open = true;
        open_label = label;
        b64.clear();
      }
      continue;
    }
    if (Boundary(line, "END", &label)) {
      if (label != open_label) return refuse();
      if (label == "CERTIFICATE") {
        if (e.blocks.size() == mailshake::x509::kMaxPemCertificates) return refuse();
        if (b64.size() % 4 != 0) return refuse();
        std::string der(b64.size() / 4 * 3, '\0');
        size_t len = 0;
        if (!EVP_DecodeBase64(reinterpret_cast<uint8_t*>(der.data()), &len, der.size(),
                              reinterpret_cast<const uint8_t*>(b64.data()), b64.size()) ||
            len == 0) {
          return refuse();
        }
        der.resize(len);
        e.blocks.push_back(std::move(der));
      }
      open = false;
      continue;
    }
    if (Boundary(line, "BEGIN", &label)) return refuse();
    if (open_label != "CERTIFICATE") continue;
    for (char c : line) {
      if (!Base64Char(c)) return refuse();
    }
    if (b64.size() + line.size() > 2 * mailshake::x509::kMaxCertificateBytes) return refuse();
    b64.append(line.data(), line.size());
  }
  if (open || e.blocks.empty()) return refuse();
  return e;
}

// |ders| as PEM in another layout: CR LF line ends, 76-column lines, and no
// newline after the last END line.
std::string ToPemCrlfNoFinalNewline(const std::vector<std::string>& ders) {
  std::string out;
  for (const std::string& der : ders) {
    size_t len = 0;
    EVP_EncodedLength(&len, der.size());
    std::string b64(len, '\0');
    b64.resize(EVP_EncodeBlock(reinterpret_cast<uint8_t*>(b64.data()),
                               reinterpret_cast<const uint8_t*>(der.data()), der.size()));
    if (!out.empty()) out += "\r\n";
    out += "-----BEGIN CERTIFICATE-----\r\n";
    for (size_t i = 0; i < b64.size(); i += 76) out += b64.substr(i, 76) + "\r\n";
    out += "-----END CERTIFICATE-----";
  }
  return out;
}

// CertificateChain::FromFileContents reads PEM when the text contains
// "-----BEGIN" (then it agrees with FromPem), otherwise one DER certificate
// (then it agrees with ParseCertificate). An empty chain is not ordered.
void CheckFileContents(absl::string_view input, bool pem_chain_ok) {
  absl::StatusOr<mailshake::x509::CertificateChain> file =
      mailshake::x509::CertificateChain::FromFileContents(input);
  if (input.find("-----BEGIN") != absl::string_view::npos) {
    FUZZ_CHECK(file.ok() == pem_chain_ok, "FromFileContents %s a PEM text FromPem %s",
               file.ok() ? "loads" : "refuses", pem_chain_ok ? "loads" : "refuses");
  } else {
    const bool parses = mailshake::x509::ParseCertificate(input).ok();
    FUZZ_CHECK(file.ok() == parses, "FromFileContents %s a DER text ParseCertificate %s",
               file.ok() ? "loads" : "refuses", parses ? "accepts" : "refuses");
    FUZZ_CHECK(!file.ok() || file->size() == 1, "%zu certificates from one DER", file->size());
  }
  static const bool empty_ordered = mailshake::x509::AnalyzeChain({}).ordered;
  FUZZ_CHECK(!empty_ordered, "an empty chain is ordered");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::vector<std::string>> ders = mailshake::x509::DecodePemCertificates(input);
  absl::StatusOr<mailshake::x509::CertificateChain> chain =
      mailshake::x509::CertificateChain::FromPem(input);
  const Expected expected = ExpectedBlocks(input);
  CheckFileContents(input, chain.ok());
  FUZZ_CHECK(ders.ok() == expected.ok, "decoding %s (%s), the model %s",
             ders.ok() ? "succeeded" : "failed",
             ders.ok() ? "" : std::string(ders.status().message()).c_str(),
             expected.ok ? "accepts" : "refuses");
  if (!ders.ok()) {
    FUZZ_CHECK(!ders.status().message().empty(), "error without a message");
    FUZZ_CHECK(!chain.ok(), "a chain from PEM that does not decode");
    return 0;
  }
  FUZZ_CHECK(!ders->empty() && ders->size() <= mailshake::x509::kMaxPemCertificates,
             "%zu blocks", ders->size());
  FUZZ_CHECK(size <= mailshake::x509::kMaxPemBytes, "oversized input accepted");
  for (const std::string& der : *ders) FUZZ_CHECK(!der.empty(), "empty block");
  BlockModel model = ModelBlocks(input);
  FUZZ_CHECK(model.labels_match, "accepted an END on line %d that does not match its BEGIN",
             model.mismatch_line);
  FUZZ_CHECK(!model.left_open, "accepted a block without its END line");
  FUZZ_CHECK(model.certificate_blocks == ders->size(), "%zu CERTIFICATE blocks, %zu decoded",
             model.certificate_blocks, ders->size());

  absl::StatusOr<std::vector<std::string>> again =
      mailshake::x509::DecodePemCertificates(ToPem(*ders));
  FUZZ_CHECK(again.ok() && *again == *ders, "PEM round trip changed the blocks");
  FUZZ_CHECK(*ders == expected.blocks, "the blocks differ from the model's");
  again = mailshake::x509::DecodePemCertificates(ToPemCrlfNoFinalNewline(*ders));
  FUZZ_CHECK(again.ok() && *again == *ders,
             "PEM with CR LF, 76 columns and no final newline changed the blocks");

  bool all_parse = true;
  for (const std::string& der : *ders) {
    all_parse = all_parse && mailshake::x509::ParseCertificate(der).ok();
  }
  FUZZ_CHECK(chain.ok() == all_parse, "chain %s but blocks %s",
             chain.ok() ? "loaded" : "refused", all_parse ? "parse" : "do not");
  if (chain.ok()) {
    FUZZ_CHECK(chain->size() == ders->size(), "chain size");
    mailshake::x509::ChainAnalysis a = mailshake::x509::AnalyzeChain(chain->certificates());
    FUZZ_CHECK(chain->size() > 1 || a.ordered, "a single certificate is in order");
    FUZZ_CHECK(a.ordered == a.broken_links.empty(), "ordered %d with %zu broken links",
               a.ordered, a.broken_links.size());
    FUZZ_CHECK(a.leaf_self_signed == mailshake::x509::IsSelfSigned(chain->leaf()),
               "leaf_self_signed");
  }
  return 0;
}
