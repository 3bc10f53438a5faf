// Server and client contexts, certificate selection and verification, alert
// capture, and handshake read-outs.

#include <stdint.h>
#include <sys/stat.h>

#include <string>
#include <utility>
#include <vector>

#include <openssl/bytestring.h>
#include <openssl/err.h>
#include <openssl/nid.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "src/tls/tls.h"

namespace mailshake::tls {
namespace {

// ContextState is what a context made here keeps beside its SSL_CTX, owned
// through ex_data and freed with the context.
struct ContextState {
  // Server: the credentials to choose from when there are several.
  std::vector<Credential> credentials;
  std::vector<KeyDescription> credential_keys;
  // Server: the signing preferences, or empty for BoringSSL's default.
  std::vector<uint16_t> signing_prefs;

  // Client.
  ClientConfig::Verify verify = ClientConfig::Verify::kNone;
  bssl::UniquePtr<X509_STORE> trust_anchors;
  std::string server_name;
  ClientConfig::Resumption resumption = ClientConfig::Resumption::kOff;

  // Client: the most recent resumable session, offered by the next
  // |NewClientConnection|. Several threads may share one context.
  absl::Mutex session_mutex;
  bssl::UniquePtr<SSL_SESSION> session ABSL_GUARDED_BY(session_mutex);
};

void FreeContextState(void* /*parent*/, void* ptr, CRYPTO_EX_DATA* /*ad*/, int /*index*/,
                      long /*argl*/, void* /*argp*/) {
  delete static_cast<ContextState*>(ptr);
}

int ContextStateIndex() {
  static const int index =
      SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, FreeContextState);
  return index;
}

// Per-connection slots hold small integers cast to pointers, so nothing needs
// freeing.
int AlertIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}
int VerifyErrorIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}
int OfferedAuthIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

constexpr uintptr_t kOffersRsaAuth = 1;
constexpr uintptr_t kOffersEcdsaAuth = 2;
constexpr uintptr_t kOffersRecorded = 4;

ContextState* StateOf(const SSL_CTX* ctx) {
  return static_cast<ContextState*>(SSL_CTX_get_ex_data(ctx, ContextStateIndex()));
}

absl::Status ConfigError(absl::string_view what) {
  std::string queue = DrainErrorQueue();
  return absl::InvalidArgumentError(
      queue.empty() ? std::string(what) : absl::StrCat(what, ": ", queue));
}

void RecordAlert(const SSL* ssl, int where, int value) {
  if ((where & SSL_CB_ALERT) == 0) return;
  const uintptr_t packed = (uintptr_t{1} << 24) |
                           (uintptr_t{(where & SSL_CB_WRITE) != 0} << 16) |
                           (static_cast<uintptr_t>(value) & 0xffff);
  // The info callback gets a const SSL; the ex_data slot is ours to write.
  SSL_set_ex_data(const_cast<SSL*>(ssl), AlertIndex(), reinterpret_cast<void*>(packed));
}

// RecordOfferedAuth notes which TLS 1.2 authentication types the client's
// suites allow, for |SelectCredential|, which runs later and cannot see them.
ssl_select_cert_result_t RecordOfferedAuth(const SSL_CLIENT_HELLO* hello) {
  uintptr_t offers = kOffersRecorded;
  CBS suites;
  CBS_init(&suites, hello->cipher_suites, hello->cipher_suites_len);
  uint16_t id;
  while (CBS_get_u16(&suites, &id)) {
    const SSL_CIPHER* cipher = SSL_get_cipher_by_value(id);
    if (cipher == nullptr) continue;
    const int auth = SSL_CIPHER_get_auth_nid(cipher);
    if (auth == NID_auth_rsa) offers |= kOffersRsaAuth;
    if (auth == NID_auth_ecdsa) offers |= kOffersEcdsaAuth;
  }
  SSL_set_ex_data(hello->ssl, OfferedAuthIndex(), reinterpret_cast<void*>(offers));
  return ssl_select_cert_success;
}

// SelectCredential installs on |ssl| the first configured credential the
// client can accept. If none fits it leaves the context's default (the first
// credential) so BoringSSL reports the mismatch in its usual way.
int SelectCredential(SSL* ssl, void* /*arg*/) {
  const ContextState* state = StateOf(SSL_get_SSL_CTX(ssl));
  if (state == nullptr || state->credentials.size() < 2) return 1;
  const uint16_t version = SSL_version(ssl);
  const uint16_t* peer = nullptr;
  const size_t peer_len = SSL_get0_peer_verify_algorithms(ssl, &peer);
  std::vector<uint16_t> peer_sigalgs(peer, peer + peer_len);
  const uintptr_t offers =
      reinterpret_cast<uintptr_t>(SSL_get_ex_data(ssl, OfferedAuthIndex()));

  for (size_t i = 0; i < state->credentials.size(); i++) {
    const KeyDescription& key = state->credential_keys[i];
    if (version < TLS1_3_VERSION && (offers & kOffersRecorded) != 0) {
      const uintptr_t needed = key.evp_type == EVP_PKEY_RSA ? kOffersRsaAuth : kOffersEcdsaAuth;
      if ((offers & needed) == 0) continue;
    }
    // A TLS 1.2 client without the signature_algorithms extension accepts
    // SHA-1 with any key its suites allow (RFC 5246, 7.4.1.4.1).
    if (!(version < TLS1_3_VERSION && peer_sigalgs.empty())) {
      std::vector<uint16_t> usable = SignatureAlgorithmsFor(key, version, peer_sigalgs);
      if (!state->signing_prefs.empty()) {
        usable = SignatureAlgorithmsFor(key, version, state->signing_prefs);
        std::vector<uint16_t> both;
        for (uint16_t id : usable) {
          for (uint16_t p : peer_sigalgs) {
            if (p == id) both.push_back(id);
          }
        }
        usable = std::move(both);
      }
      if (usable.empty()) continue;
    }
    const Credential& credential = state->credentials[i];
    std::vector<CRYPTO_BUFFER*> chain;
    chain.reserve(credential.chain.size());
    for (const auto& buffer : credential.chain) chain.push_back(buffer.get());
    return SSL_set_chain_and_key(ssl, chain.data(), chain.size(), credential.key.get(),
                                 nullptr)
               ? 1
               : 0;
  }
  return 1;
}

void SetVerifyError(SSL* ssl, long error) {
  SSL_set_ex_data(ssl, VerifyErrorIndex(),
                  reinterpret_cast<void*>(static_cast<uintptr_t>(error)));
}

ssl_verify_result_t AcceptAnyCertificate(SSL* /*ssl*/, uint8_t* /*out_alert*/) {
  return ssl_verify_ok;
}

ssl_verify_result_t VerifyWithTrustAnchors(SSL* ssl, uint8_t* out_alert) {
  const ContextState* state = StateOf(SSL_get_SSL_CTX(ssl));
  const STACK_OF(CRYPTO_BUFFER)* certs = SSL_get0_peer_certificates(ssl);
  if (state == nullptr || certs == nullptr || sk_CRYPTO_BUFFER_num(certs) == 0) {
    SetVerifyError(ssl, X509_V_ERR_UNSPECIFIED);
    *out_alert = SSL_AD_CERTIFICATE_REQUIRED;
    return ssl_verify_invalid;
  }
  const long error = VerifyChain(
      state->trust_anchors.get(), certs,
      state->verify == ClientConfig::Verify::kName ? state->server_name : "");
  SetVerifyError(ssl, error);
  if (error == X509_V_OK) return ssl_verify_ok;
  switch (error) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
      *out_alert = SSL_AD_CERTIFICATE_EXPIRED;
      break;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      *out_alert = SSL_AD_UNKNOWN_CA;
      break;
    default:
      *out_alert = SSL_AD_BAD_CERTIFICATE;
  }
  return ssl_verify_invalid;
}

int KeepNewestSession(SSL* ssl, SSL_SESSION* session) {
  ContextState* state = StateOf(SSL_get_SSL_CTX(ssl));
  if (state == nullptr || !SSL_SESSION_is_resumable(session)) return 0;
  absl::MutexLock lock(&state->session_mutex);
  state->session.reset(session);
  return 1;  // we took the reference
}

// ApplyCommon configures what client and server share: versions, TLS 1.2
// suites, groups, buffers and alert capture.
absl::Status ApplyCommon(SSL_CTX* ctx, uint16_t min_version, uint16_t max_version,
                         const std::string& ciphers, const std::string& groups) {
  if (min_version > max_version) {
    return absl::InvalidArgumentError(absl::StrCat("minimum version ", VersionName(min_version),
                                                   " is above maximum version ",
                                                   VersionName(max_version)));
  }
  if (!SSL_CTX_set_min_proto_version(ctx, min_version) ||
      !SSL_CTX_set_max_proto_version(ctx, max_version)) {
    return ConfigError(absl::StrCat("unsupported version range ", VersionName(min_version),
                                    "..", VersionName(max_version)));
  }
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_info_callback(ctx, RecordAlert);

  if (!ciphers.empty()) {
    absl::StatusOr<std::vector<const CipherSuite*>> suites = ParseCipherSuites(ciphers);
    if (!suites.ok()) return suites.status();
    std::vector<std::string> names;
    for (const CipherSuite* suite : *suites) {
      if (suite->min_version >= TLS1_3_VERSION) {
        return absl::InvalidArgumentError(
            absl::StrCat(suite->standard_name,
                         " is a TLS 1.3 suite; BoringSSL does not let TLS 1.3 suites be "
                         "configured, so the cipher list may name TLS 1.2 suites only"));
      }
      names.push_back(suite->openssl_name);
    }
    if (!SSL_CTX_set_strict_cipher_list(ctx, absl::StrJoin(names, ":").c_str())) {
      return ConfigError(absl::StrCat("BoringSSL rejected cipher list \"", ciphers, "\""));
    }
  }
  if (!groups.empty()) {
    absl::StatusOr<std::vector<const Group*>> parsed = ParseGroups(groups);
    if (!parsed.ok()) return parsed.status();
    std::vector<int> nids;
    for (const Group* group : *parsed) nids.push_back(group->nid);
    if (!SSL_CTX_set1_curves(ctx, nids.data(), nids.size())) {
      return ConfigError(absl::StrCat("BoringSSL rejected group list \"", groups, "\""));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint16_t>> SigalgIds(const std::string& list) {
  absl::StatusOr<std::vector<const SignatureAlgorithm*>> parsed = ParseSignatureAlgorithms(list);
  if (!parsed.ok()) return parsed.status();
  std::vector<uint16_t> ids;
  for (const SignatureAlgorithm* sigalg : *parsed) ids.push_back(sigalg->id);
  return ids;
}

absl::Status InstallCredential(SSL_CTX* ctx, const Credential& credential, size_t index) {
  if (credential.key == nullptr || credential.chain.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("credential ", index + 1, " has no key or no certificate"));
  }
  std::vector<CRYPTO_BUFFER*> chain;
  for (const auto& buffer : credential.chain) chain.push_back(buffer.get());
  if (!SSL_CTX_set_chain_and_key(ctx, chain.data(), chain.size(), credential.key.get(),
                                 nullptr)) {
    return ConfigError(absl::StrCat("credential ", index + 1, " (",
                                    credential.Describe().ToString(),
                                    ") was rejected; does its key match its certificate?"));
  }
  return absl::OkStatus();
}

// NewContext makes a context on TLS_with_buffers_method with our state
// attached (|*state|, owned by the context) and the settings client and
// server share applied.
absl::StatusOr<bssl::UniquePtr<SSL_CTX>> NewContext(uint16_t min_version, uint16_t max_version,
                                                    const std::string& ciphers,
                                                    const std::string& groups,
                                                    ContextState** state) {
  bssl::UniquePtr<SSL_CTX> ctx(SSL_CTX_new(TLS_with_buffers_method()));
  if (ctx == nullptr) return ConfigError("SSL_CTX_new failed");
  *state = new ContextState;
  SSL_CTX_set_ex_data(ctx.get(), ContextStateIndex(), *state);
  if (absl::Status s = ApplyCommon(ctx.get(), min_version, max_version, ciphers, groups);
      !s.ok()) {
    return s;
  }
  return ctx;
}

// ApplySignatureAlgorithms parses |list| (empty: BoringSSL's defaults, and an
// empty result) and installs it with |setter|, the signing or the verify
// preferences; |what| names which in errors.
absl::StatusOr<std::vector<uint16_t>> ApplySignatureAlgorithms(
    SSL_CTX* ctx, const std::string& list,
    int (*setter)(SSL_CTX*, const uint16_t*, size_t), absl::string_view what) {
  if (list.empty()) return std::vector<uint16_t>();
  absl::StatusOr<std::vector<uint16_t>> ids = SigalgIds(list);
  if (!ids.ok()) return ids.status();
  if (!setter(ctx, ids->data(), ids->size())) {
    return ConfigError(absl::StrCat("BoringSSL rejected ", what, " algorithms \"", list, "\""));
  }
  return ids;
}

const char* SslErrorName(int error) {
  const char* name = SSL_error_description(error);
  return name != nullptr ? name : "unknown SSL error";
}

}  // namespace

absl::StatusOr<bssl::UniquePtr<SSL_CTX>> NewServerContext(const ServerConfig& config) {
  if (config.credentials.empty()) {
    return absl::InvalidArgumentError("a server needs at least one credential");
  }
  ContextState* state = nullptr;
  absl::StatusOr<bssl::UniquePtr<SSL_CTX>> made = NewContext(
      config.min_version, config.max_version, config.ciphers, config.groups, &state);
  if (!made.ok()) return made.status();
  bssl::UniquePtr<SSL_CTX> ctx = std::move(*made);
  absl::StatusOr<std::vector<uint16_t>> signing = ApplySignatureAlgorithms(
      ctx.get(), config.sigalgs, SSL_CTX_set_signing_algorithm_prefs, "signing");
  if (!signing.ok()) return signing.status();
  state->signing_prefs = *std::move(signing);
  // Install in reverse so the first credential is the context's default; each
  // install also checks that key and certificate match.
  for (size_t i = config.credentials.size(); i-- > 0;) {
    if (absl::Status s = InstallCredential(ctx.get(), config.credentials[i], i); !s.ok()) {
      return s;
    }
  }
  if (config.credentials.size() > 1) {
    state->credentials = config.credentials;
    for (const Credential& credential : config.credentials) {
      state->credential_keys.push_back(credential.Describe());
    }
    SSL_CTX_set_select_certificate_cb(ctx.get(), RecordOfferedAuth);
    SSL_CTX_set_cert_cb(ctx.get(), SelectCredential, nullptr);
  }

  long options = 0;
  if (config.prefer_server_order) options |= SSL_OP_CIPHER_SERVER_PREFERENCE;
  if (!config.session_tickets) options |= SSL_OP_NO_TICKET;
  SSL_CTX_set_options(ctx.get(), options);
  static constexpr uint8_t kSessionIdContext[] = {'m', 'a', 'i', 'l', 's', 'h', 'a', 'k', 'e'};
  SSL_CTX_set_session_id_context(ctx.get(), kSessionIdContext, sizeof(kSessionIdContext));
  if (config.session_cache_size == 0) {
    SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  } else {
    SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_SERVER);
    SSL_CTX_sess_set_cache_size(ctx.get(), config.session_cache_size);
  }
  return ctx;
}

absl::StatusOr<bssl::UniquePtr<SSL_CTX>> NewClientContext(const ClientConfig& config) {
  ContextState* state = nullptr;
  absl::StatusOr<bssl::UniquePtr<SSL_CTX>> made = NewContext(
      config.min_version, config.max_version, config.ciphers, config.groups, &state);
  if (!made.ok()) return made.status();
  bssl::UniquePtr<SSL_CTX> ctx = std::move(*made);
  state->server_name = config.server_name;
  state->verify = config.verify;
  state->resumption = config.resumption;
  absl::StatusOr<std::vector<uint16_t>> verify = ApplySignatureAlgorithms(
      ctx.get(), config.sigalgs, SSL_CTX_set_verify_algorithm_prefs, "verify");
  if (!verify.ok()) return verify.status();

  switch (config.verify) {
    case ClientConfig::Verify::kNone:
      SSL_CTX_set_custom_verify(ctx.get(), SSL_VERIFY_PEER, AcceptAnyCertificate);
      break;
    case ClientConfig::Verify::kName:
      if (config.server_name.empty()) {
        return absl::InvalidArgumentError(
            "verifying the certificate's name needs a server name to check it against");
      }
      [[fallthrough]];
    case ClientConfig::Verify::kChain:
      if (config.trust_anchors_pem_path.empty()) {
        return absl::InvalidArgumentError(
            "certificate verification needs a trust anchor file (CA certificates in PEM)");
      }
      {
        absl::StatusOr<bssl::UniquePtr<X509_STORE>> anchors =
            LoadTrustAnchors(config.trust_anchors_pem_path);
        if (!anchors.ok()) return anchors.status();
        state->trust_anchors = *std::move(anchors);
      }
      SSL_CTX_set_custom_verify(ctx.get(), SSL_VERIFY_PEER, VerifyWithTrustAnchors);
      break;
  }

  switch (config.resumption) {
    case ClientConfig::Resumption::kOff:
      SSL_CTX_set_options(ctx.get(), SSL_OP_NO_TICKET);
      SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
      break;
    case ClientConfig::Resumption::kSessionId:
      SSL_CTX_set_options(ctx.get(), SSL_OP_NO_TICKET);
      [[fallthrough]];
    case ClientConfig::Resumption::kTicket:
      SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_CLIENT);
      SSL_CTX_sess_set_new_cb(ctx.get(), KeepNewestSession);
      break;
  }
  return ctx;
}

absl::StatusOr<bssl::UniquePtr<SSL>> NewClientConnection(SSL_CTX* ctx, bool offer_session) {
  bssl::UniquePtr<SSL> ssl(SSL_new(ctx));
  if (ssl == nullptr) return ConfigError("SSL_new failed");
  SSL_set_connect_state(ssl.get());
  ContextState* state = StateOf(ctx);
  if (state == nullptr) return ssl;
  if (!state->server_name.empty() &&
      !SSL_set_tlsext_host_name(ssl.get(), state->server_name.c_str())) {
    return ConfigError(absl::StrCat("cannot send server name \"", state->server_name, "\""));
  }
  if (offer_session && state->resumption != ClientConfig::Resumption::kOff) {
    absl::MutexLock lock(&state->session_mutex);
    if (state->session != nullptr && !SSL_set_session(ssl.get(), state->session.get())) {
      return ConfigError("cannot offer the saved session");
    }
  }
  return ssl;
}

absl::StatusOr<bssl::UniquePtr<SSL>> NewServerConnection(SSL_CTX* ctx) {
  bssl::UniquePtr<SSL> ssl(SSL_new(ctx));
  if (ssl == nullptr) return ConfigError("SSL_new failed");
  SSL_set_accept_state(ssl.get());
  return ssl;
}

HandshakeInfo ReadHandshakeInfo(const SSL* ssl) {
  HandshakeInfo info;
  info.version = static_cast<uint16_t>(SSL_version(ssl));
  if (const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl); cipher != nullptr) {
    info.cipher_suite = SSL_CIPHER_get_protocol_id(cipher);
  }
  info.group = SSL_get_curve_id(ssl);
  info.signature_algorithm = SSL_get_peer_signature_algorithm(ssl);
  info.resumed = SSL_session_reused(ssl) == 1;
  const STACK_OF(CRYPTO_BUFFER)* certs = SSL_get0_peer_certificates(ssl);
  if (certs != nullptr && sk_CRYPTO_BUFFER_num(certs) > 0) {
    absl::StatusOr<KeyDescription> key =
        DescribeCertificateKey(sk_CRYPTO_BUFFER_value(certs, 0));
    if (key.ok()) info.peer_key = *key;
  }
  return info;
}

std::string HandshakeInfo::ToString() const {
  return absl::StrCat(VersionName(version), " ", CipherName(cipher_suite), " ",
                      GroupName(group), " ", SigalgName(signature_algorithm), " ",
                      peer_key.ToString(), resumed ? " resumed" : " full");
}

std::string Alert::ToString() const {
  return absl::StrCat(sent ? "sent " : "received ",
                      level == SSL3_AL_FATAL ? "fatal" : "warning", " alert ",
                      SSL_alert_desc_string_long(description), " (", description, ")");
}

std::optional<Alert> LastAlert(const SSL* ssl) {
  const uintptr_t packed = reinterpret_cast<uintptr_t>(SSL_get_ex_data(ssl, AlertIndex()));
  if ((packed >> 24) == 0) return std::nullopt;
  Alert alert;
  alert.sent = ((packed >> 16) & 1) != 0;
  alert.level = static_cast<uint8_t>(packed >> 8);
  alert.description = static_cast<uint8_t>(packed);
  return alert;
}

absl::StatusOr<bssl::UniquePtr<X509_STORE>> LoadTrustAnchors(const std::string& path) {
  bssl::UniquePtr<X509_STORE> store(X509_STORE_new());
  struct stat st;
  const bool directory = stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  if (store == nullptr ||
      !X509_STORE_load_locations(store.get(), directory ? nullptr : path.c_str(),
                                 directory ? path.c_str() : nullptr)) {
    return ConfigError(absl::StrCat("cannot load trust anchors from ", path));
  }
  return store;
}

long VerifyChain(X509_STORE* anchors, const STACK_OF(CRYPTO_BUFFER)* chain,
                 absl::string_view host_name) {
  if (anchors == nullptr || chain == nullptr || sk_CRYPTO_BUFFER_num(chain) == 0) {
    return X509_V_ERR_UNSPECIFIED;
  }
  bssl::UniquePtr<X509> leaf(X509_parse_from_buffer(sk_CRYPTO_BUFFER_value(chain, 0)));
  bssl::UniquePtr<STACK_OF(X509)> intermediates(sk_X509_new_null());
  bool parsed = leaf != nullptr && intermediates != nullptr;
  for (size_t i = 1; parsed && i < sk_CRYPTO_BUFFER_num(chain); i++) {
    bssl::UniquePtr<X509> cert(X509_parse_from_buffer(sk_CRYPTO_BUFFER_value(chain, i)));
    parsed = cert != nullptr && bssl::PushToStack(intermediates.get(), std::move(cert));
  }
  if (!parsed) {
    ERR_clear_error();
    return X509_V_ERR_UNSPECIFIED;
  }
  bssl::UniquePtr<X509_STORE_CTX> store_ctx(X509_STORE_CTX_new());
  if (store_ctx == nullptr ||
      !X509_STORE_CTX_init(store_ctx.get(), anchors, leaf.get(), intermediates.get()) ||
      (!host_name.empty() &&
       !X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(store_ctx.get()),
                                    host_name.data(), host_name.size()))) {
    ERR_clear_error();
    return X509_V_ERR_OUT_OF_MEM;
  }
  if (X509_verify_cert(store_ctx.get()) == 1) return X509_V_OK;
  const long error = X509_STORE_CTX_get_error(store_ctx.get());
  ERR_clear_error();
  return error == X509_V_OK ? X509_V_ERR_UNSPECIFIED : error;
}

long LastVerifyError(const SSL* ssl) {
  return static_cast<long>(
      reinterpret_cast<uintptr_t>(SSL_get_ex_data(ssl, VerifyErrorIndex())));
}

std::string DrainErrorQueue() {
  std::vector<std::string> entries;
  const char* file;
  int line;
  const char* data;
  int flags;
  for (;;) {
    const uint32_t error = ERR_get_error_line_data(&file, &line, &data, &flags);
    if (error == 0) break;
    char buffer[256];
    ERR_error_string_n(error, buffer, sizeof(buffer));
    std::string entry = buffer;
    if (data != nullptr && (flags & ERR_FLAG_STRING) != 0 && data[0] != '\0') {
      absl::StrAppend(&entry, " (", data, ")");
    }
    entries.push_back(std::move(entry));
  }
  return absl::StrJoin(entries, "; ");
}

absl::Status HandshakeFailure(const SSL* ssl, int ret) {
  const int error = SSL_get_error(ssl, ret);
  std::string message = absl::StrCat("TLS handshake failed (", SslErrorName(error), ")");
  if (std::optional<Alert> alert = LastAlert(ssl); alert.has_value()) {
    absl::StrAppend(&message, ": ", alert->ToString());
  }
  if (const long verify = LastVerifyError(ssl); verify != X509_V_OK) {
    absl::StrAppend(&message, "; certificate rejected: ", X509_verify_cert_error_string(verify));
  }
  if (std::string queue = DrainErrorQueue(); !queue.empty()) {
    absl::StrAppend(&message, "; ", queue);
  }
  if (error == SSL_ERROR_SYSCALL || error == SSL_ERROR_ZERO_RETURN) {
    return absl::UnavailableError(message);
  }
  return absl::FailedPreconditionError(message);
}

}  // namespace mailshake::tls
