#ifndef MAILSHAKE_SRC_SERVER_TESTING_H_
#define MAILSHAKE_SRC_SERVER_TESTING_H_

// Testing only (target //src/server:testing, used by fuzz/server_fuzzer): one
// worker of the server, exactly the code a Server thread runs, but without
// its thread and listeners. The caller hands it connected sockets and steps
// its event loop on its own thread, so a fuzzer can play the client on the
// other end of a socketpair and check the server between any two steps.
//
//   auto worker = *SteppedWorker::Create(options);  // options.tls needs a credential
//   int sv[2];
//   socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv);
//   worker->Serve(sv[0], /*implicit_tls=*/false);  // banner queued and sent
//   ... write to / read from sv[1], worker->Step() ...
//   worker->Idle(absl::Seconds(61));  // the command deadline passes
//
// The worker's loop runs on a virtual clock (net::ManualClock) that moves
// only in Idle: deadlines are deterministic, and idling costs no real time.
// Not thread-safe; everything runs on the caller's thread. The listener
// options (listen, listen_implicit, threads) are ignored and the options are
// not validated as Server::Start does.

#include <atomic>
#include <cstddef>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/net/event_loop.h"
#include "src/server/server.h"

namespace mailshake::server {

class SteppedWorker {
 public:
  static absl::StatusOr<std::unique_ptr<SteppedWorker>> Create(ServerOptions options);
  ~SteppedWorker();
  SteppedWorker(const SteppedWorker&) = delete;
  SteppedWorker& operator=(const SteppedWorker&) = delete;

  // Serves |fd| (a connected, non-blocking stream socket, which it takes) as
  // a connection accepted on a STARTTLS listener, or an implicit-TLS one:
  // counted, then the banner is sent (or the handshake begins). Over
  // max_connections it is answered 421 and closed, as the accept path does.
  // Its system calls are counted (ServerStats::syscalls) as if accept4 had
  // made |fd|. On a worker with no timer armed (nothing open) the virtual
  // clock first restarts at 0, so a connection served alone always sees the
  // same times.
  void Serve(int fd, bool implicit_tls);

  // One round of the worker's loop without waiting: dispatches the ready
  // events and the timers due now.
  void Step();

  // Moves the virtual clock forward by |idle| (>= 0), fires the timers due
  // by then, as if nothing had happened for that long, then steps once.
  // Idles add up: two of 20 s pass a 30 s deadline armed before both.
  void Idle(absl::Duration idle);

  // The virtual clock (since it last restarted), and the earliest deadline
  // armed on it (absl::InfiniteDuration() when none: every open connection
  // has one).
  absl::Duration Now() const;
  absl::Duration NextDeadline() const;

  // Output produced for the open connections and not yet written.
  size_t QueuedOutput() const;

  // Closes every open connection, counted as "shutdown" (what Stop does).
  void CloseAll();

  // This worker's statistics (cpu_seconds is 0: there is no worker thread).
  ServerStats Stats() const;
  // Connections open now, by the worker's admission count.
  int open() const;

  // The server's limits: a connection reads no more input while more than
  // MaxQueuedOutputBeforeRead() octets of output wait, and reads at most
  // ReadChunk() octets at a time.
  static size_t MaxQueuedOutputBeforeRead();
  static size_t ReadChunk();

 private:
  SteppedWorker();
  std::unique_ptr<ServerOptions> options_;
  std::unique_ptr<net::ManualClock> clock_;
  std::unique_ptr<std::atomic<int>> open_total_;
  std::unique_ptr<Server::Worker> worker_;
};

}  // namespace mailshake::server

#endif  // MAILSHAKE_SRC_SERVER_TESTING_H_
