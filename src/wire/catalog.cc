#include "src/wire/catalog.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace mailshake::wire {
namespace {

// The suites as IANA names them; every attribute but the OpenSSL name follows
// from the IANA name (DeriveSuite). PSK, SRP, KRB5 and GOST suites are left
// out: no mail server offers them to an anonymous client.
struct SuiteName {
  uint16_t id;
  const char* iana;
  const char* openssl;
};

constexpr SuiteName kSuiteNames[] = {
    {0x0001, "TLS_RSA_WITH_NULL_MD5", "NULL-MD5"},
    {0x0002, "TLS_RSA_WITH_NULL_SHA", "NULL-SHA"},
    {0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5", "EXP-RC4-MD5"},
    {0x0004, "TLS_RSA_WITH_RC4_128_MD5", "RC4-MD5"},
    {0x0005, "TLS_RSA_WITH_RC4_128_SHA", "RC4-SHA"},
    {0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5", "EXP-RC2-CBC-MD5"},
    {0x0007, "TLS_RSA_WITH_IDEA_CBC_SHA", "IDEA-CBC-SHA"},
    {0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA", "EXP-DES-CBC-SHA"},
    {0x0009, "TLS_RSA_WITH_DES_CBC_SHA", "DES-CBC-SHA"},
    {0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "DES-CBC3-SHA"},
    {0x000b, "TLS_DH_DSS_EXPORT_WITH_DES40_CBC_SHA", "EXP-DH-DSS-DES-CBC-SHA"},
    {0x000c, "TLS_DH_DSS_WITH_DES_CBC_SHA", "DH-DSS-DES-CBC-SHA"},
    {0x000d, "TLS_DH_DSS_WITH_3DES_EDE_CBC_SHA", "DH-DSS-DES-CBC3-SHA"},
    {0x000e, "TLS_DH_RSA_EXPORT_WITH_DES40_CBC_SHA", "EXP-DH-RSA-DES-CBC-SHA"},
    {0x000f, "TLS_DH_RSA_WITH_DES_CBC_SHA", "DH-RSA-DES-CBC-SHA"},
    {0x0010, "TLS_DH_RSA_WITH_3DES_EDE_CBC_SHA", "DH-RSA-DES-CBC3-SHA"},
    {0x0011, "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA", "EXP-EDH-DSS-DES-CBC-SHA"},
    {0x0012, "TLS_DHE_DSS_WITH_DES_CBC_SHA", "EDH-DSS-DES-CBC-SHA"},
    {0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA", "DHE-DSS-DES-CBC3-SHA"},
    {0x0014, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA", "EXP-EDH-RSA-DES-CBC-SHA"},
    {0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA", "EDH-RSA-DES-CBC-SHA"},
    {0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA", "DHE-RSA-DES-CBC3-SHA"},
    {0x0017, "TLS_DH_anon_EXPORT_WITH_RC4_40_MD5", "EXP-ADH-RC4-MD5"},
    {0x0018, "TLS_DH_anon_WITH_RC4_128_MD5", "ADH-RC4-MD5"},
    {0x0019, "TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA", "EXP-ADH-DES-CBC-SHA"},
    {0x001a, "TLS_DH_anon_WITH_DES_CBC_SHA", "ADH-DES-CBC-SHA"},
    {0x001b, "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA", "ADH-DES-CBC3-SHA"},
    {0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA"},
    {0x0030, "TLS_DH_DSS_WITH_AES_128_CBC_SHA", "DH-DSS-AES128-SHA"},
    {0x0031, "TLS_DH_RSA_WITH_AES_128_CBC_SHA", "DH-RSA-AES128-SHA"},
    {0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA", "DHE-DSS-AES128-SHA"},
    {0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", "DHE-RSA-AES128-SHA"},
    {0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA", "ADH-AES128-SHA"},
    {0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", "AES256-SHA"},
    {0x0036, "TLS_DH_DSS_WITH_AES_256_CBC_SHA", "DH-DSS-AES256-SHA"},
    {0x0037, "TLS_DH_RSA_WITH_AES_256_CBC_SHA", "DH-RSA-AES256-SHA"},
    {0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA", "DHE-DSS-AES256-SHA"},
    {0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", "DHE-RSA-AES256-SHA"},
    {0x003a, "TLS_DH_anon_WITH_AES_256_CBC_SHA", "ADH-AES256-SHA"},
    {0x003b, "TLS_RSA_WITH_NULL_SHA256", "NULL-SHA256"},
    {0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256", "AES128-SHA256"},
    {0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256", "AES256-SHA256"},
    {0x003e, "TLS_DH_DSS_WITH_AES_128_CBC_SHA256", "DH-DSS-AES128-SHA256"},
    {0x003f, "TLS_DH_RSA_WITH_AES_128_CBC_SHA256", "DH-RSA-AES128-SHA256"},
    {0x0040, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256", "DHE-DSS-AES128-SHA256"},
    {0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA", "CAMELLIA128-SHA"},
    {0x0042, "TLS_DH_DSS_WITH_CAMELLIA_128_CBC_SHA", "DH-DSS-CAMELLIA128-SHA"},
    {0x0043, "TLS_DH_RSA_WITH_CAMELLIA_128_CBC_SHA", "DH-RSA-CAMELLIA128-SHA"},
    {0x0044, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA", "DHE-DSS-CAMELLIA128-SHA"},
    {0x0045, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA", "DHE-RSA-CAMELLIA128-SHA"},
    {0x0046, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA", "ADH-CAMELLIA128-SHA"},
    {0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", "DHE-RSA-AES128-SHA256"},
    {0x0068, "TLS_DH_DSS_WITH_AES_256_CBC_SHA256", "DH-DSS-AES256-SHA256"},
    {0x0069, "TLS_DH_RSA_WITH_AES_256_CBC_SHA256", "DH-RSA-AES256-SHA256"},
    {0x006a, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256", "DHE-DSS-AES256-SHA256"},
    {0x006b, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", "DHE-RSA-AES256-SHA256"},
    {0x006c, "TLS_DH_anon_WITH_AES_128_CBC_SHA256", "ADH-AES128-SHA256"},
    {0x006d, "TLS_DH_anon_WITH_AES_256_CBC_SHA256", "ADH-AES256-SHA256"},
    {0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA", "CAMELLIA256-SHA"},
    {0x0085, "TLS_DH_DSS_WITH_CAMELLIA_256_CBC_SHA", "DH-DSS-CAMELLIA256-SHA"},
    {0x0086, "TLS_DH_RSA_WITH_CAMELLIA_256_CBC_SHA", "DH-RSA-CAMELLIA256-SHA"},
    {0x0087, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA", "DHE-DSS-CAMELLIA256-SHA"},
    {0x0088, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA", "DHE-RSA-CAMELLIA256-SHA"},
    {0x0089, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA", "ADH-CAMELLIA256-SHA"},
    {0x0096, "TLS_RSA_WITH_SEED_CBC_SHA", "SEED-SHA"},
    {0x0097, "TLS_DH_DSS_WITH_SEED_CBC_SHA", "DH-DSS-SEED-SHA"},
    {0x0098, "TLS_DH_RSA_WITH_SEED_CBC_SHA", "DH-RSA-SEED-SHA"},
    {0x0099, "TLS_DHE_DSS_WITH_SEED_CBC_SHA", "DHE-DSS-SEED-SHA"},
    {0x009a, "TLS_DHE_RSA_WITH_SEED_CBC_SHA", "DHE-RSA-SEED-SHA"},
    {0x009b, "TLS_DH_anon_WITH_SEED_CBC_SHA", "ADH-SEED-SHA"},
    {0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256"},
    {0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384"},
    {0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", "DHE-RSA-AES128-GCM-SHA256"},
    {0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", "DHE-RSA-AES256-GCM-SHA384"},
    {0x00a0, "TLS_DH_RSA_WITH_AES_128_GCM_SHA256", "DH-RSA-AES128-GCM-SHA256"},
    {0x00a1, "TLS_DH_RSA_WITH_AES_256_GCM_SHA384", "DH-RSA-AES256-GCM-SHA384"},
    {0x00a2, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256", "DHE-DSS-AES128-GCM-SHA256"},
    {0x00a3, "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384", "DHE-DSS-AES256-GCM-SHA384"},
    {0x00a4, "TLS_DH_DSS_WITH_AES_128_GCM_SHA256", "DH-DSS-AES128-GCM-SHA256"},
    {0x00a5, "TLS_DH_DSS_WITH_AES_256_GCM_SHA384", "DH-DSS-AES256-GCM-SHA384"},
    {0x00a6, "TLS_DH_anon_WITH_AES_128_GCM_SHA256", "ADH-AES128-GCM-SHA256"},
    {0x00a7, "TLS_DH_anon_WITH_AES_256_GCM_SHA384", "ADH-AES256-GCM-SHA384"},
    {0x00ba, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256", "CAMELLIA128-SHA256"},
    {0x00bb, "TLS_DH_DSS_WITH_CAMELLIA_128_CBC_SHA256", ""},
    {0x00bc, "TLS_DH_RSA_WITH_CAMELLIA_128_CBC_SHA256", ""},
    {0x00bd, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA256", "DHE-DSS-CAMELLIA128-SHA256"},
    {0x00be, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256", "DHE-RSA-CAMELLIA128-SHA256"},
    {0x00bf, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA256", "ADH-CAMELLIA128-SHA256"},
    {0x00c0, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256", "CAMELLIA256-SHA256"},
    {0x00c1, "TLS_DH_DSS_WITH_CAMELLIA_256_CBC_SHA256", ""},
    {0x00c2, "TLS_DH_RSA_WITH_CAMELLIA_256_CBC_SHA256", ""},
    {0x00c3, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA256", "DHE-DSS-CAMELLIA256-SHA256"},
    {0x00c4, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256", "DHE-RSA-CAMELLIA256-SHA256"},
    {0x00c5, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA256", "ADH-CAMELLIA256-SHA256"},
    {0x1301, "TLS_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256"},
    {0x1302, "TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384"},
    {0x1303, "TLS_CHACHA20_POLY1305_SHA256", "TLS_CHACHA20_POLY1305_SHA256"},
    {0x1304, "TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_SHA256"},
    {0x1305, "TLS_AES_128_CCM_8_SHA256", "TLS_AES_128_CCM_8_SHA256"},
    {0xc001, "TLS_ECDH_ECDSA_WITH_NULL_SHA", "ECDH-ECDSA-NULL-SHA"},
    {0xc002, "TLS_ECDH_ECDSA_WITH_RC4_128_SHA", "ECDH-ECDSA-RC4-SHA"},
    {0xc003, "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA", "ECDH-ECDSA-DES-CBC3-SHA"},
    {0xc004, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA", "ECDH-ECDSA-AES128-SHA"},
    {0xc005, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA", "ECDH-ECDSA-AES256-SHA"},
    {0xc006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA", "ECDHE-ECDSA-NULL-SHA"},
    {0xc007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", "ECDHE-ECDSA-RC4-SHA"},
    {0xc008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA", "ECDHE-ECDSA-DES-CBC3-SHA"},
    {0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA"},
    {0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA"},
    {0xc00b, "TLS_ECDH_RSA_WITH_NULL_SHA", "ECDH-RSA-NULL-SHA"},
    {0xc00c, "TLS_ECDH_RSA_WITH_RC4_128_SHA", "ECDH-RSA-RC4-SHA"},
    {0xc00d, "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA", "ECDH-RSA-DES-CBC3-SHA"},
    {0xc00e, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA", "ECDH-RSA-AES128-SHA"},
    {0xc00f, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA", "ECDH-RSA-AES256-SHA"},
    {0xc010, "TLS_ECDHE_RSA_WITH_NULL_SHA", "ECDHE-RSA-NULL-SHA"},
    {0xc011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA", "ECDHE-RSA-RC4-SHA"},
    {0xc012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", "ECDHE-RSA-DES-CBC3-SHA"},
    {0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA"},
    {0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA"},
    {0xc015, "TLS_ECDH_anon_WITH_NULL_SHA", "AECDH-NULL-SHA"},
    {0xc016, "TLS_ECDH_anon_WITH_RC4_128_SHA", "AECDH-RC4-SHA"},
    {0xc017, "TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA", "AECDH-DES-CBC3-SHA"},
    {0xc018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA", "AECDH-AES128-SHA"},
    {0xc019, "TLS_ECDH_anon_WITH_AES_256_CBC_SHA", "AECDH-AES256-SHA"},
    {0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "ECDHE-ECDSA-AES128-SHA256"},
    {0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", "ECDHE-ECDSA-AES256-SHA384"},
    {0xc025, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256", "ECDH-ECDSA-AES128-SHA256"},
    {0xc026, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384", "ECDH-ECDSA-AES256-SHA384"},
    {0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "ECDHE-RSA-AES128-SHA256"},
    {0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", "ECDHE-RSA-AES256-SHA384"},
    {0xc029, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256", "ECDH-RSA-AES128-SHA256"},
    {0xc02a, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384", "ECDH-RSA-AES256-SHA384"},
    {0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"},
    {0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"},
    {0xc02d, "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256", "ECDH-ECDSA-AES128-GCM-SHA256"},
    {0xc02e, "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384", "ECDH-ECDSA-AES256-GCM-SHA384"},
    {0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"},
    {0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"},
    {0xc031, "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256", "ECDH-RSA-AES128-GCM-SHA256"},
    {0xc032, "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384", "ECDH-RSA-AES256-GCM-SHA384"},
    {0xc03c, "TLS_RSA_WITH_ARIA_128_CBC_SHA256", ""},
    {0xc03d, "TLS_RSA_WITH_ARIA_256_CBC_SHA384", ""},
    {0xc044, "TLS_DHE_RSA_WITH_ARIA_128_CBC_SHA256", ""},
    {0xc045, "TLS_DHE_RSA_WITH_ARIA_256_CBC_SHA384", ""},
    {0xc048, "TLS_ECDHE_ECDSA_WITH_ARIA_128_CBC_SHA256", ""},
    {0xc049, "TLS_ECDHE_ECDSA_WITH_ARIA_256_CBC_SHA384", ""},
    {0xc04c, "TLS_ECDHE_RSA_WITH_ARIA_128_CBC_SHA256", ""},
    {0xc04d, "TLS_ECDHE_RSA_WITH_ARIA_256_CBC_SHA384", ""},
    {0xc050, "TLS_RSA_WITH_ARIA_128_GCM_SHA256", "ARIA128-GCM-SHA256"},
    {0xc051, "TLS_RSA_WITH_ARIA_256_GCM_SHA384", "ARIA256-GCM-SHA384"},
    {0xc052, "TLS_DHE_RSA_WITH_ARIA_128_GCM_SHA256", "DHE-RSA-ARIA128-GCM-SHA256"},
    {0xc053, "TLS_DHE_RSA_WITH_ARIA_256_GCM_SHA384", "DHE-RSA-ARIA256-GCM-SHA384"},
    {0xc056, "TLS_DHE_DSS_WITH_ARIA_128_GCM_SHA256", "DHE-DSS-ARIA128-GCM-SHA256"},
    {0xc057, "TLS_DHE_DSS_WITH_ARIA_256_GCM_SHA384", "DHE-DSS-ARIA256-GCM-SHA384"},
    {0xc05c, "TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256", "ECDHE-ECDSA-ARIA128-GCM-SHA256"},
    {0xc05d, "TLS_ECDHE_ECDSA_WITH_ARIA_256_GCM_SHA384", "ECDHE-ECDSA-ARIA256-GCM-SHA384"},
    {0xc060, "TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256", "ECDHE-ARIA128-GCM-SHA256"},
    {0xc061, "TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384", "ECDHE-ARIA256-GCM-SHA384"},
    {0xc072, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256", "ECDHE-ECDSA-CAMELLIA128-SHA256"},
    {0xc073, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384", "ECDHE-ECDSA-CAMELLIA256-SHA384"},
    {0xc074, "TLS_ECDH_ECDSA_WITH_CAMELLIA_128_CBC_SHA256", ""},
    {0xc075, "TLS_ECDH_ECDSA_WITH_CAMELLIA_256_CBC_SHA384", ""},
    {0xc076, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256", "ECDHE-RSA-CAMELLIA128-SHA256"},
    {0xc077, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384", "ECDHE-RSA-CAMELLIA256-SHA384"},
    {0xc078, "TLS_ECDH_RSA_WITH_CAMELLIA_128_CBC_SHA256", ""},
    {0xc079, "TLS_ECDH_RSA_WITH_CAMELLIA_256_CBC_SHA384", ""},
    {0xc07a, "TLS_RSA_WITH_CAMELLIA_128_GCM_SHA256", ""},
    {0xc07b, "TLS_RSA_WITH_CAMELLIA_256_GCM_SHA384", ""},
    {0xc07c, "TLS_DHE_RSA_WITH_CAMELLIA_128_GCM_SHA256", ""},
    {0xc07d, "TLS_DHE_RSA_WITH_CAMELLIA_256_GCM_SHA384", ""},
    {0xc086, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_GCM_SHA256", ""},
    {0xc087, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_GCM_SHA384", ""},
    {0xc08a, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_GCM_SHA256", ""},
    {0xc08b, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_GCM_SHA384", ""},
    {0xc09c, "TLS_RSA_WITH_AES_128_CCM", "AES128-CCM"},
    {0xc09d, "TLS_RSA_WITH_AES_256_CCM", "AES256-CCM"},
    {0xc09e, "TLS_DHE_RSA_WITH_AES_128_CCM", "DHE-RSA-AES128-CCM"},
    {0xc09f, "TLS_DHE_RSA_WITH_AES_256_CCM", "DHE-RSA-AES256-CCM"},
    {0xc0a0, "TLS_RSA_WITH_AES_128_CCM_8", "AES128-CCM8"},
    {0xc0a1, "TLS_RSA_WITH_AES_256_CCM_8", "AES256-CCM8"},
    {0xc0a2, "TLS_DHE_RSA_WITH_AES_128_CCM_8", "DHE-RSA-AES128-CCM8"},
    {0xc0a3, "TLS_DHE_RSA_WITH_AES_256_CCM_8", "DHE-RSA-AES256-CCM8"},
    {0xc0ac, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM", "ECDHE-ECDSA-AES128-CCM"},
    {0xc0ad, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM", "ECDHE-ECDSA-AES256-CCM"},
    {0xc0ae, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", "ECDHE-ECDSA-AES128-CCM8"},
    {0xc0af, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8", "ECDHE-ECDSA-AES256-CCM8"},
    {0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305"},
    {0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"},
    {0xccaa, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "DHE-RSA-CHACHA20-POLY1305"},
};

struct KxName {
  const char* prefix;  // between "TLS_" and "_WITH_"
  KeyExchange kx;
  Authentication auth;
  bool is_export;
};

constexpr KxName kKxNames[] = {
    {"RSA", KeyExchange::kRsa, Authentication::kRsa, false},
    {"RSA_EXPORT", KeyExchange::kRsa, Authentication::kRsa, true},
    {"DH_DSS", KeyExchange::kDh, Authentication::kDss, false},
    {"DH_DSS_EXPORT", KeyExchange::kDh, Authentication::kDss, true},
    {"DH_RSA", KeyExchange::kDh, Authentication::kRsa, false},
    {"DH_RSA_EXPORT", KeyExchange::kDh, Authentication::kRsa, true},
    {"DHE_DSS", KeyExchange::kDhe, Authentication::kDss, false},
    {"DHE_DSS_EXPORT", KeyExchange::kDhe, Authentication::kDss, true},
    {"DHE_RSA", KeyExchange::kDhe, Authentication::kRsa, false},
    {"DHE_RSA_EXPORT", KeyExchange::kDhe, Authentication::kRsa, true},
    // DH_anon and ECDH_anon use ephemeral keys, unauthenticated.
    {"DH_anon", KeyExchange::kDhe, Authentication::kAnonymous, false},
    {"DH_anon_EXPORT", KeyExchange::kDhe, Authentication::kAnonymous, true},
    {"ECDH_ECDSA", KeyExchange::kEcdh, Authentication::kEcdsa, false},
    {"ECDH_RSA", KeyExchange::kEcdh, Authentication::kRsa, false},
    {"ECDHE_ECDSA", KeyExchange::kEcdhe, Authentication::kEcdsa, false},
    {"ECDHE_RSA", KeyExchange::kEcdhe, Authentication::kRsa, false},
    {"ECDH_anon", KeyExchange::kEcdhe, Authentication::kAnonymous, false},
};

struct CipherName {
  const char* name;  // between "_WITH_" and the MAC
  Cipher cipher;
  CipherMode mode;
};

constexpr CipherName kCipherNames[] = {
    {"NULL", Cipher::kNull, CipherMode::kNone},
    {"RC4_40", Cipher::kRc4_40, CipherMode::kStream},
    {"RC4_128", Cipher::kRc4_128, CipherMode::kStream},
    {"RC2_CBC_40", Cipher::kRc2_40, CipherMode::kCbc},
    {"IDEA_CBC", Cipher::kIdea, CipherMode::kCbc},
    {"DES40_CBC", Cipher::kDes40, CipherMode::kCbc},
    {"DES_CBC", Cipher::kDes, CipherMode::kCbc},
    {"3DES_EDE_CBC", Cipher::k3Des, CipherMode::kCbc},
    {"SEED_CBC", Cipher::kSeed, CipherMode::kCbc},
    {"AES_128_CBC", Cipher::kAes128, CipherMode::kCbc},
    {"AES_256_CBC", Cipher::kAes256, CipherMode::kCbc},
    {"AES_128_GCM", Cipher::kAes128, CipherMode::kGcm},
    {"AES_256_GCM", Cipher::kAes256, CipherMode::kGcm},
    {"AES_128_CCM", Cipher::kAes128, CipherMode::kCcm},
    {"AES_256_CCM", Cipher::kAes256, CipherMode::kCcm},
    {"AES_128_CCM_8", Cipher::kAes128, CipherMode::kCcm8},
    {"AES_256_CCM_8", Cipher::kAes256, CipherMode::kCcm8},
    {"CAMELLIA_128_CBC", Cipher::kCamellia128, CipherMode::kCbc},
    {"CAMELLIA_256_CBC", Cipher::kCamellia256, CipherMode::kCbc},
    {"CAMELLIA_128_GCM", Cipher::kCamellia128, CipherMode::kGcm},
    {"CAMELLIA_256_GCM", Cipher::kCamellia256, CipherMode::kGcm},
    {"ARIA_128_CBC", Cipher::kAria128, CipherMode::kCbc},
    {"ARIA_256_CBC", Cipher::kAria256, CipherMode::kCbc},
    {"ARIA_128_GCM", Cipher::kAria128, CipherMode::kGcm},
    {"ARIA_256_GCM", Cipher::kAria256, CipherMode::kGcm},
    {"CHACHA20_POLY1305", Cipher::kChaCha20, CipherMode::kPoly1305},
};

// DeriveSuite fills every attribute from the IANA name. Names were checked at
// test time (catalog_test): every entry parses.
bool DeriveSuite(const SuiteName& n, CipherSuiteInfo* out) {
  *out = CipherSuiteInfo{};
  out->id = n.id;
  out->iana_name = n.iana;
  out->openssl_name = n.openssl;
  absl::string_view name(n.iana);
  if (!absl::ConsumePrefix(&name, "TLS_")) return false;
  absl::string_view rest;
  if ((n.id >> 8) == 0x13) {
    // TLS 1.3: TLS_<cipher>_<hash>.
    out->key_exchange = KeyExchange::kAny;
    out->authentication = Authentication::kAny;
    out->min_version = out->max_version = kTls13;
    rest = name;
  } else {
    size_t with = name.find("_WITH_");
    if (with == absl::string_view::npos) return false;
    absl::string_view kx = name.substr(0, with);
    rest = name.substr(with + 6);
    const KxName* found = nullptr;
    for (const KxName& k : kKxNames) {
      if (kx == k.prefix) found = &k;
    }
    if (found == nullptr) return false;
    out->key_exchange = found->kx;
    out->authentication = found->auth;
    out->anonymous = found->auth == Authentication::kAnonymous;
    out->export_grade = found->is_export;
  }
  // The MAC is the last component unless the cipher is CCM (no MAC name).
  Mac mac = Mac::kAead;
  absl::string_view cipher = rest;
  if (absl::ConsumeSuffix(&cipher, "_SHA384")) {
    mac = Mac::kSha384;
  } else if (absl::ConsumeSuffix(&cipher, "_SHA256")) {
    mac = Mac::kSha256;
  } else if (absl::ConsumeSuffix(&cipher, "_SHA")) {
    mac = Mac::kSha1;
  } else if (absl::ConsumeSuffix(&cipher, "_MD5")) {
    mac = Mac::kMd5;
  }
  const CipherName* c = nullptr;
  for (const CipherName& k : kCipherNames) {
    if (cipher == k.name) c = &k;
  }
  if (c == nullptr) return false;
  out->cipher = c->cipher;
  out->mode = c->mode;
  out->null_cipher = c->cipher == Cipher::kNull;
  out->mac = out->aead() ? Mac::kAead : mac;
  if (out->min_version == kTls13) return true;
  // Versions: AEAD and SHA-2 MAC suites are TLS 1.2 only (RFC 5246 and the
  // suites' RFCs); EC suites start at TLS 1.0 (RFC 4492); EXPORT suites end
  // at TLS 1.0 and DES/IDEA at TLS 1.1 (RFC 4346, RFC 5469).
  bool ec = out->key_exchange == KeyExchange::kEcdh || out->key_exchange == KeyExchange::kEcdhe;
  if (out->aead() || mac == Mac::kSha256 || mac == Mac::kSha384) {
    out->min_version = kTls12;
  } else {
    out->min_version = ec ? kTls10 : kSsl3;
  }
  out->max_version = kTls12;
  if (out->export_grade) out->max_version = kTls10;
  if (c->cipher == Cipher::kDes || c->cipher == Cipher::kIdea) out->max_version = kTls11;
  return true;
}

const std::vector<CipherSuiteInfo>& SuiteTable() {
  static const std::vector<CipherSuiteInfo>* table = [] {
    auto* t = new std::vector<CipherSuiteInfo>;
    for (const SuiteName& n : kSuiteNames) {
      CipherSuiteInfo info;
      if (DeriveSuite(n, &info)) t->push_back(info);
    }
    std::sort(t->begin(), t->end(),
              [](const CipherSuiteInfo& a, const CipherSuiteInfo& b) { return a.id < b.id; });
    return t;
  }();
  return *table;
}

constexpr GroupInfo kGroups[] = {
    {1, "sect163k1", "sect163k1", GroupKind::kEcdhe, 163, kTls10, kTls12, false},
    {2, "sect163r1", "sect163r1", GroupKind::kEcdhe, 163, kTls10, kTls12, false},
    {3, "sect163r2", "sect163r2", GroupKind::kEcdhe, 163, kTls10, kTls12, false},
    {4, "sect193r1", "sect193r1", GroupKind::kEcdhe, 193, kTls10, kTls12, false},
    {5, "sect193r2", "sect193r2", GroupKind::kEcdhe, 193, kTls10, kTls12, false},
    {6, "sect233k1", "sect233k1", GroupKind::kEcdhe, 233, kTls10, kTls12, false},
    {7, "sect233r1", "sect233r1", GroupKind::kEcdhe, 233, kTls10, kTls12, false},
    {8, "sect239k1", "sect239k1", GroupKind::kEcdhe, 239, kTls10, kTls12, false},
    {9, "sect283k1", "sect283k1", GroupKind::kEcdhe, 283, kTls10, kTls12, false},
    {10, "sect283r1", "sect283r1", GroupKind::kEcdhe, 283, kTls10, kTls12, false},
    {11, "sect409k1", "sect409k1", GroupKind::kEcdhe, 409, kTls10, kTls12, false},
    {12, "sect409r1", "sect409r1", GroupKind::kEcdhe, 409, kTls10, kTls12, false},
    {13, "sect571k1", "sect571k1", GroupKind::kEcdhe, 571, kTls10, kTls12, false},
    {14, "sect571r1", "sect571r1", GroupKind::kEcdhe, 571, kTls10, kTls12, false},
    {15, "secp160k1", "secp160k1", GroupKind::kEcdhe, 160, kTls10, kTls12, false},
    {16, "secp160r1", "secp160r1", GroupKind::kEcdhe, 160, kTls10, kTls12, false},
    {17, "secp160r2", "secp160r2", GroupKind::kEcdhe, 160, kTls10, kTls12, false},
    {18, "secp192k1", "secp192k1", GroupKind::kEcdhe, 192, kTls10, kTls12, false},
    {19, "secp192r1", "prime192v1", GroupKind::kEcdhe, 192, kTls10, kTls12, false},
    {20, "secp224k1", "secp224k1", GroupKind::kEcdhe, 224, kTls10, kTls12, false},
    {21, "secp224r1", "secp224r1", GroupKind::kEcdhe, 224, kTls10, kTls12, false},
    {22, "secp256k1", "secp256k1", GroupKind::kEcdhe, 256, kTls10, kTls12, false},
    {23, "secp256r1", "P-256", GroupKind::kEcdhe, 256, kTls10, kTls13, true},
    {24, "secp384r1", "P-384", GroupKind::kEcdhe, 384, kTls10, kTls13, true},
    {25, "secp521r1", "P-521", GroupKind::kEcdhe, 521, kTls10, kTls13, true},
    {26, "brainpoolP256r1", "brainpoolP256r1", GroupKind::kEcdhe, 256, kTls10, kTls12, false},
    {27, "brainpoolP384r1", "brainpoolP384r1", GroupKind::kEcdhe, 384, kTls10, kTls12, false},
    {28, "brainpoolP512r1", "brainpoolP512r1", GroupKind::kEcdhe, 512, kTls10, kTls12, false},
    {29, "x25519", "X25519", GroupKind::kEcdhe, 253, kTls10, kTls13, true},
    {30, "x448", "X448", GroupKind::kEcdhe, 448, kTls10, kTls13, false},
    {31, "brainpoolP256r1tls13", "brainpoolP256r1tls13", GroupKind::kEcdhe, 256, kTls13, kTls13, false},
    {32, "brainpoolP384r1tls13", "brainpoolP384r1tls13", GroupKind::kEcdhe, 384, kTls13, kTls13, false},
    {33, "brainpoolP512r1tls13", "brainpoolP512r1tls13", GroupKind::kEcdhe, 512, kTls13, kTls13, false},
    {256, "ffdhe2048", "ffdhe2048", GroupKind::kFfdhe, 2048, kTls10, kTls13, false},
    {257, "ffdhe3072", "ffdhe3072", GroupKind::kFfdhe, 3072, kTls10, kTls13, false},
    {258, "ffdhe4096", "ffdhe4096", GroupKind::kFfdhe, 4096, kTls10, kTls13, false},
    {259, "ffdhe6144", "ffdhe6144", GroupKind::kFfdhe, 6144, kTls10, kTls13, false},
    {260, "ffdhe8192", "ffdhe8192", GroupKind::kFfdhe, 8192, kTls10, kTls13, false},
    {512, "MLKEM512", "MLKEM512", GroupKind::kPostQuantum, 128, kTls13, kTls13, false},
    {513, "MLKEM768", "MLKEM768", GroupKind::kPostQuantum, 192, kTls13, kTls13, false},
    {514, "MLKEM1024", "MLKEM1024", GroupKind::kPostQuantum, 256, kTls13, kTls13, false},
    {4587, "SecP256r1MLKEM768", "SecP256r1MLKEM768", GroupKind::kHybrid, 256, kTls13, kTls13, false},
    {4588, "X25519MLKEM768", "X25519MLKEM768", GroupKind::kHybrid, 253, kTls13, kTls13, false},
    {4589, "SecP384r1MLKEM1024", "SecP384r1MLKEM1024", GroupKind::kHybrid, 384, kTls13, kTls13, false},
    {25497, "X25519Kyber768Draft00", "", GroupKind::kHybrid, 253, kTls13, kTls13, false},
    {25498, "SecP256r1Kyber768Draft00", "", GroupKind::kHybrid, 256, kTls13, kTls13, false},
};

constexpr SignatureSchemeInfo kSchemes[] = {
    {0x0101, "rsa_md5", Hash::kMd5, false},
    {0x0201, "rsa_pkcs1_sha1", Hash::kSha1, false},
    {0x0202, "dsa_sha1", Hash::kSha1, false},
    {0x0203, "ecdsa_sha1", Hash::kSha1, false},
    {0x0301, "rsa_sha224", Hash::kSha224, false},
    {0x0302, "dsa_sha224", Hash::kSha224, false},
    {0x0303, "ecdsa_sha224", Hash::kSha224, false},
    {0x0401, "rsa_pkcs1_sha256", Hash::kSha256, false},
    {0x0402, "dsa_sha256", Hash::kSha256, false},
    {0x0403, "ecdsa_secp256r1_sha256", Hash::kSha256, true},
    {0x0501, "rsa_pkcs1_sha384", Hash::kSha384, false},
    {0x0502, "dsa_sha384", Hash::kSha384, false},
    {0x0503, "ecdsa_secp384r1_sha384", Hash::kSha384, true},
    {0x0601, "rsa_pkcs1_sha512", Hash::kSha512, false},
    {0x0602, "dsa_sha512", Hash::kSha512, false},
    {0x0603, "ecdsa_secp521r1_sha512", Hash::kSha512, true},
    {0x0804, "rsa_pss_rsae_sha256", Hash::kSha256, true},
    {0x0805, "rsa_pss_rsae_sha384", Hash::kSha384, true},
    {0x0806, "rsa_pss_rsae_sha512", Hash::kSha512, true},
    {0x0807, "ed25519", Hash::kIntrinsic, true},
    {0x0808, "ed448", Hash::kIntrinsic, true},
    {0x0809, "rsa_pss_pss_sha256", Hash::kSha256, true},
    {0x080a, "rsa_pss_pss_sha384", Hash::kSha384, true},
    {0x080b, "rsa_pss_pss_sha512", Hash::kSha512, true},
    {0x081a, "ecdsa_brainpoolP256r1tls13_sha256", Hash::kSha256, true},
    {0x081b, "ecdsa_brainpoolP384r1tls13_sha384", Hash::kSha384, true},
    {0x081c, "ecdsa_brainpoolP512r1tls13_sha512", Hash::kSha512, true},
    {0x0904, "mldsa44", Hash::kIntrinsic, true},
    {0x0905, "mldsa65", Hash::kIntrinsic, true},
    {0x0906, "mldsa87", Hash::kIntrinsic, true},
};

const char* UnknownName(const char* prefix, unsigned value, bool hex) {
  thread_local char buffer[32];
  std::snprintf(buffer, sizeof(buffer), hex ? "%s0x%04x" : "%s%u", prefix, value);
  return buffer;
}

}  // namespace

const char* VersionName(uint16_t version) {
  switch (version) {
    case kSsl3:
      return "SSLv3";
    case kTls10:
      return "TLSv1";
    case kTls11:
      return "TLSv1.1";
    case kTls12:
      return "TLSv1.2";
    case kTls13:
      return "TLSv1.3";
    case 0x0002:
      return "SSLv2";
  }
  return UnknownName("", version, true);
}

bool CipherSuiteInfo::forward_secret() const {
  return key_exchange == KeyExchange::kAny || key_exchange == KeyExchange::kDhe ||
         key_exchange == KeyExchange::kEcdhe || key_exchange == KeyExchange::kDhePsk ||
         key_exchange == KeyExchange::kEcdhePsk;
}

bool CipherSuiteInfo::aead() const {
  return mode == CipherMode::kGcm || mode == CipherMode::kCcm || mode == CipherMode::kCcm8 ||
         mode == CipherMode::kPoly1305;
}

int CipherSuiteInfo::cipher_bits() const {
  switch (cipher) {
    case Cipher::kNull:
      return 0;
    case Cipher::kRc4_40:
    case Cipher::kRc2_40:
    case Cipher::kDes40:
      return 40;
    case Cipher::kDes:
      return 56;
    case Cipher::k3Des:
      return 112;  // effective strength
    case Cipher::kIdea:
    case Cipher::kSeed:
    case Cipher::kRc4_128:
    case Cipher::kAes128:
    case Cipher::kCamellia128:
    case Cipher::kAria128:
    case Cipher::kSm4:
      return 128;
    case Cipher::kAes256:
    case Cipher::kCamellia256:
    case Cipher::kAria256:
    case Cipher::kChaCha20:
      return 256;
  }
  return 0;
}

absl::Span<const CipherSuiteInfo> CipherSuites() { return SuiteTable(); }

const CipherSuiteInfo* FindCipherSuite(uint16_t id) {
  const std::vector<CipherSuiteInfo>& t = SuiteTable();
  auto it = std::lower_bound(t.begin(), t.end(), id,
                             [](const CipherSuiteInfo& a, uint16_t v) { return a.id < v; });
  return it != t.end() && it->id == id ? &*it : nullptr;
}

const CipherSuiteInfo* FindCipherSuiteByName(absl::string_view name) {
  for (const CipherSuiteInfo& s : SuiteTable()) {
    if (absl::EqualsIgnoreCase(name, s.iana_name) ||
        (s.openssl_name[0] != '\0' && absl::EqualsIgnoreCase(name, s.openssl_name))) {
      return &s;
    }
  }
  return nullptr;
}

std::vector<uint16_t> SuitesForVersion(uint16_t version) {
  std::vector<uint16_t> out;
  for (const CipherSuiteInfo& s : SuiteTable()) {
    if (s.min_version <= version && version <= s.max_version) out.push_back(s.id);
  }
  return out;
}

absl::Span<const GroupInfo> Groups() { return kGroups; }

const GroupInfo* FindGroup(uint16_t id) {
  for (const GroupInfo& g : kGroups) {
    if (g.id == id) return &g;
  }
  return nullptr;
}

const GroupInfo* FindGroupByName(absl::string_view name) {
  for (const GroupInfo& g : kGroups) {
    if (absl::EqualsIgnoreCase(name, g.name) ||
        (g.openssl_name[0] != '\0' && absl::EqualsIgnoreCase(name, g.openssl_name))) {
      return &g;
    }
  }
  return nullptr;
}

absl::Span<const SignatureSchemeInfo> SignatureSchemes() { return kSchemes; }

const SignatureSchemeInfo* FindSignatureScheme(uint16_t id) {
  for (const SignatureSchemeInfo& s : kSchemes) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

std::string SuiteName(uint16_t id) {
  const CipherSuiteInfo* info = FindCipherSuite(id);
  return info != nullptr ? info->iana_name : UnknownName("", id, true);
}

std::string GroupName(uint16_t id) {
  const GroupInfo* info = FindGroup(id);
  return info != nullptr ? info->name : UnknownName("", id, true);
}

std::string SignatureSchemeName(uint16_t id) {
  const SignatureSchemeInfo* info = FindSignatureScheme(id);
  return info != nullptr ? info->name : UnknownName("", id, true);
}

const char* AlertName(uint8_t description) {
  switch (description) {
    case 0: return "close_notify";
    case 10: return "unexpected_message";
    case 20: return "bad_record_mac";
    case 21: return "decryption_failed";
    case 22: return "record_overflow";
    case 30: return "decompression_failure";
    case 40: return "handshake_failure";
    case 41: return "no_certificate";
    case 42: return "bad_certificate";
    case 43: return "unsupported_certificate";
    case 44: return "certificate_revoked";
    case 45: return "certificate_expired";
    case 46: return "certificate_unknown";
    case 47: return "illegal_parameter";
    case 48: return "unknown_ca";
    case 49: return "access_denied";
    case 50: return "decode_error";
    case 51: return "decrypt_error";
    case 60: return "export_restriction";
    case 70: return "protocol_version";
    case 71: return "insufficient_security";
    case 80: return "internal_error";
    case 86: return "inappropriate_fallback";
    case 90: return "user_canceled";
    case 100: return "no_renegotiation";
    case 109: return "missing_extension";
    case 110: return "unsupported_extension";
    case 111: return "certificate_unobtainable";
    case 112: return "unrecognized_name";
    case 113: return "bad_certificate_status_response";
    case 114: return "bad_certificate_hash_value";
    case 115: return "unknown_psk_identity";
    case 116: return "certificate_required";
    case 120: return "no_application_protocol";
  }
  return UnknownName("alert_", description, false);
}

}  // namespace mailshake::wire
