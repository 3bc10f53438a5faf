// hostile_serve: one HostileServer on 127.0.0.1 for the integration tests
// that point a whole mailshake command at a misbehaving peer (the C++ tests
// use the library directly).
//
//   hostile_serve MISBEHAVIOUR [LIFETIME_SECONDS]
//
// Prints "listening smtp://127.0.0.1:PORT" and runs until SIGINT or SIGTERM,
// or for LIFETIME_SECONDS (default 120, at most 3600) so that a test that
// dies cannot leave it behind. MISBEHAVIOUR is a MisbehaviourName
// ("starttls_command_injection", "none", ...). Exit status 0, or 2 for bad
// usage.

#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/numbers.h"
#include "src/engine/hostile_server.h"

namespace {

int Usage() {
  std::fprintf(stderr, "usage: hostile_serve MISBEHAVIOUR [LIFETIME_SECONDS]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using mailshake::engine::Misbehaviour;
  if (argc < 2 || argc > 3) return Usage();
  mailshake::engine::HostileServerOptions options;
  bool found = false;
  for (int m = static_cast<int>(Misbehaviour::kNone);
       m <= static_cast<int>(Misbehaviour::kHugeCertificateChain); ++m) {
    if (mailshake::engine::MisbehaviourName(static_cast<Misbehaviour>(m)) == argv[1]) {
      options.misbehaviour = static_cast<Misbehaviour>(m);
      found = true;
    }
  }
  if (!found) {
    std::fprintf(stderr, "hostile_serve: unknown misbehaviour '%s'\n", argv[1]);
    return Usage();
  }
  int lifetime = 120;
  if (argc == 3 && (!absl::SimpleAtoi(argv[2], &lifetime) || lifetime < 1 || lifetime > 3600)) {
    std::fprintf(stderr, "hostile_serve: LIFETIME_SECONDS must be 1 to 3600\n");
    return Usage();
  }
  // Block the stop signals before any thread starts, then wait for one.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  auto server = mailshake::engine::HostileServer::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "hostile_serve: %s\n", std::string(server.status().message()).c_str());
    return 1;
  }
  std::printf("listening smtp://%s\n", (*server)->address().ToString().c_str());
  std::fflush(stdout);
  timespec limit{lifetime, 0};
  sigtimedwait(&stop, nullptr, &limit);
  return 0;
}
