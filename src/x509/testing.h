// Test helpers for //src/x509 and //fuzz: read files of //testdata:certs.

#ifndef MAILSHAKE_SRC_X509_TESTING_H_
#define MAILSHAKE_SRC_X509_TESTING_H_

#include <string>
#include "absl/strings/string_view.h"
#include <vector>

namespace mailshake::x509::testing {

// TestdataPath returns the runfiles path of testdata/x509/|name|.
std::string TestdataPath(absl::string_view name);

// ReadTestdata returns the bytes of testdata/x509/|name|; it fails the
// current test (and returns "") when the file cannot be read.
std::string ReadTestdata(absl::string_view name);

// DerNode is an editable DER tree for building malformed variants in tests:
// constructed elements hold children, primitive ones their contents.
struct DerNode {
  unsigned tag = 0;  // CBS_ASN1_* value
  std::string contents;            // primitive elements
  std::vector<DerNode> children;   // constructed elements
};

// ParseDerTree parses |der| (one element) into a tree, descending into every
// constructed element. It fails the test on malformed input.
DerNode ParseDerTree(absl::string_view der);

// EncodeDerTree re-encodes |node| in DER.
std::string EncodeDerTree(const DerNode& node);

// Primitive and Constructed build nodes.
DerNode Primitive(unsigned tag, absl::string_view contents);
DerNode Constructed(unsigned tag, std::vector<DerNode> children);

// ListTestdata returns the names of every file in testdata/x509 ending in
// |suffix|, sorted.
std::vector<std::string> ListTestdata(absl::string_view suffix);

}  // namespace mailshake::x509::testing

#endif  // MAILSHAKE_SRC_X509_TESTING_H_
