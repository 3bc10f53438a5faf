// Fuzzes PEM loading: DecodePemCertificates on arbitrary text, then the chain
// built from it. Invariants:
//  - at most kMaxPemCertificates blocks, none empty, input over kMaxPemBytes
//    refused;
//  - the DER blocks written back out as PEM (64-column base64) decode to the
//    same blocks;
//  - CertificateChain::FromPem succeeds exactly when decoding succeeds and
//    every block parses, and then its analysis is consistent with its size.

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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::vector<std::string>> ders = mailshake::x509::DecodePemCertificates(input);
  absl::StatusOr<mailshake::x509::CertificateChain> chain =
      mailshake::x509::CertificateChain::FromPem(input);
  if (!ders.ok()) {
    FUZZ_CHECK(!ders.status().message().empty(), "error without a message");
    FUZZ_CHECK(!chain.ok(), "a chain from PEM that does not decode");
    return 0;
  }
  FUZZ_CHECK(!ders->empty() && ders->size() <= mailshake::x509::kMaxPemCertificates,
             "%zu blocks", ders->size());
  FUZZ_CHECK(size <= mailshake::x509::kMaxPemBytes, "oversized input accepted");
  for (const std::string& der : *ders) FUZZ_CHECK(!der.empty(), "empty block");

  absl::StatusOr<std::vector<std::string>> again =
      mailshake::x509::DecodePemCertificates(ToPem(*ders));
  FUZZ_CHECK(again.ok() && *again == *ders, "PEM round trip changed the blocks");

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
  }
  return 0;
}
