#include "src/x509/testing.h"

#include <dirent.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <openssl/bytestring.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace mailshake::x509::testing {
namespace {

std::string TestdataDir() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir != nullptr && workspace != nullptr) {
    return absl::StrCat(srcdir, "/", workspace, "/testdata/x509");
  }
  return "testdata/x509";
}

}  // namespace

std::string TestdataPath(absl::string_view name) {
  return absl::StrCat(TestdataDir(), "/", name);
}

std::string ReadTestdata(absl::string_view name) {
  const std::string path = TestdataPath(name);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot open " << path;
    return "";
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

std::vector<std::string> ListTestdata(absl::string_view suffix) {
  std::vector<std::string> names;
  const std::string dir = TestdataDir();
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    ADD_FAILURE() << "cannot list " << dir;
    return names;
  }
  while (const dirent* entry = readdir(d)) {
    if (absl::EndsWith(entry->d_name, suffix)) names.push_back(entry->d_name);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

namespace {

bool ParseInto(CBS* in, DerNode* out) {
  CBS element;
  unsigned tag;
  if (!CBS_get_any_asn1(in, &element, &tag)) return false;
  out->tag = tag;
  if ((tag & CBS_ASN1_CONSTRUCTED) == 0) {
    out->contents.assign(reinterpret_cast<const char*>(CBS_data(&element)),
                         CBS_len(&element));
    return true;
  }
  while (CBS_len(&element) > 0) {
    if (!ParseInto(&element, &out->children.emplace_back())) return false;
  }
  return true;
}

void AppendEncoded(const DerNode& node, std::string* out) {
  std::string contents;
  if (node.tag & CBS_ASN1_CONSTRUCTED) {
    for (const DerNode& child : node.children) AppendEncoded(child, &contents);
  } else {
    contents = node.contents;
  }
  // Tag: low form, or high form for numbers >= 31.
  const unsigned number = node.tag & CBS_ASN1_TAG_NUMBER_MASK;
  const uint8_t leading = static_cast<uint8_t>(node.tag >> CBS_ASN1_TAG_SHIFT);
  if (number < 31) {
    out->push_back(static_cast<char>(leading | number));
  } else {
    out->push_back(static_cast<char>(leading | 0x1f));
    std::string base128;
    for (unsigned n = number; n != 0; n >>= 7) {
      base128.insert(base128.begin(),
                     static_cast<char>((n & 0x7f) | (base128.empty() ? 0 : 0x80)));
    }
    out->append(base128);
  }
  const size_t len = contents.size();
  if (len < 0x80) {
    out->push_back(static_cast<char>(len));
  } else {
    std::string bytes;
    for (size_t n = len; n != 0; n >>= 8) {
      bytes.insert(bytes.begin(), static_cast<char>(n & 0xff));
    }
    out->push_back(static_cast<char>(0x80 | bytes.size()));
    out->append(bytes);
  }
  out->append(contents);
}

}  // namespace

DerNode ParseDerTree(absl::string_view der) {
  CBS in;
  CBS_init(&in, reinterpret_cast<const uint8_t*>(der.data()), der.size());
  DerNode node;
  if (!ParseInto(&in, &node) || CBS_len(&in) != 0) {
    ADD_FAILURE() << "ParseDerTree: malformed DER";
  }
  return node;
}

std::string EncodeDerTree(const DerNode& node) {
  std::string out;
  AppendEncoded(node, &out);
  return out;
}

DerNode Primitive(unsigned tag, absl::string_view contents) {
  DerNode node;
  node.tag = tag;
  node.contents = std::string(contents);
  return node;
}

DerNode Constructed(unsigned tag, std::vector<DerNode> children) {
  DerNode node;
  node.tag = tag | CBS_ASN1_CONSTRUCTED;
  node.children = std::move(children);
  return node;
}

}  // namespace mailshake::x509::testing
