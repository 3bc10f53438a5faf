#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/smtp/dialogue.h"
#include "src/smtp/reply_parser.h"

namespace mailshake {
namespace smtp {
namespace {

using ::testing::ElementsAre;

Reply R(absl::string_view wire) {
  ReplyParser parser;
  size_t consumed = 0;
  EXPECT_EQ(parser.Feed(wire, &consumed), ParseResult::kReply) << wire;
  EXPECT_EQ(consumed, wire.size());
  return parser.TakeReply();
}

const Reply& Ehlo(bool starttls, bool size = true) {
  static const Reply with_tls =
      R("250-mx\r\n250-PIPELINING\r\n250-SIZE 1000000\r\n250 STARTTLS\r\n");
  static const Reply without_tls =
      R("250-mx\r\n250-PIPELINING\r\n250 SIZE 1000000\r\n");
  static const Reply bare = R("250 mx\r\n");
  if (!size) return bare;
  return starttls ? with_tls : without_tls;
}

void ExpectSend(const Step& step, absl::string_view bytes) {
  EXPECT_EQ(step.kind, Step::kSend);
  EXPECT_EQ(step.bytes, bytes);
}

void ExpectFail(const Step& step, FailureKind kind, int code) {
  EXPECT_EQ(step.kind, Step::kFail);
  EXPECT_EQ(step.failure, kind) << FailureKindName(step.failure);
  EXPECT_EQ(step.reply_code, code);
}

// Brings a plain-SMTP session to the point where TLS has just been set up.
void ReachTls(ClientDialogue* client) {
  ASSERT_EQ(client->Start().kind, Step::kWait);
  client->OnReply(R("220 mx ESMTP\r\n"));
  client->OnReply(Ehlo(true));
  ASSERT_EQ(client->OnReply(R("220 2.0.0 Ready\r\n")).kind, Step::kStartTls);
}

TEST(ClientDialogueTest, StartTlsThenQuitWalksThePhases) {
  ClientDialogue client{ClientOptions()};
  Step step = client.Start();
  EXPECT_EQ(step.kind, Step::kWait);
  EXPECT_EQ(client.phase(), Phase::kBanner);
  ExpectSend(client.OnReply(R("220 mx ESMTP\r\n")),
             "EHLO mailshake.invalid\r\n");
  EXPECT_EQ(client.phase(), Phase::kEhlo);
  ExpectSend(client.OnReply(Ehlo(true)), "STARTTLS\r\n");
  EXPECT_EQ(client.phase(), Phase::kStartTls);
  EXPECT_TRUE(client.extensions().starttls);
  EXPECT_EQ(client.OnReply(R("220 2.0.0 Ready to start TLS\r\n")).kind,
            Step::kStartTls);
  EXPECT_EQ(client.phase(), Phase::kTls);
  ExpectSend(client.OnTlsEstablished(), "QUIT\r\n");
  EXPECT_TRUE(client.tls_active());
  EXPECT_EQ(client.phase(), Phase::kQuit);
  EXPECT_EQ(client.OnReply(R("221 2.0.0 bye\r\n")).kind, Step::kDone);
  EXPECT_TRUE(client.finished());
}

TEST(ClientDialogueTest, AfterTlsEhloSendsEhloAgainThenQuits) {
  ClientOptions options;
  options.after_tls = ClientOptions::kEhlo;
  options.ehlo_name = "bench.example";
  ClientDialogue client(options);
  ReachTls(&client);
  ExpectSend(client.OnTlsEstablished(), "EHLO bench.example\r\n");
  EXPECT_EQ(client.phase(), Phase::kPostTls);
  // What was learnt before TLS is forgotten (RFC 3207 section 4.2).
  EXPECT_FALSE(client.extensions().starttls);
  ExpectSend(client.OnReply(Ehlo(false)), "QUIT\r\n");
  EXPECT_EQ(client.phase(), Phase::kQuit);
  EXPECT_EQ(client.OnReply(R("221 bye\r\n")).kind, Step::kDone);
}

TEST(ClientDialogueTest, AfterTlsMailSendsOneMessage) {
  ClientOptions options;
  options.after_tls = ClientOptions::kMail;
  options.mail_from = "a@b.example";
  options.rcpt_to = "c@d.example";
  options.message_size = 500;
  ClientDialogue client(options);
  ReachTls(&client);
  ExpectSend(client.OnTlsEstablished(), "EHLO mailshake.invalid\r\n");
  ExpectSend(client.OnReply(Ehlo(false)),
             "MAIL FROM:<a@b.example> SIZE=500\r\n");
  ExpectSend(client.OnReply(R("250 2.1.0 ok\r\n")),
             "RCPT TO:<c@d.example>\r\n");
  ExpectSend(client.OnReply(R("251 2.1.5 forwarded\r\n")), "DATA\r\n");
  const Step body = client.OnReply(R("354 go\r\n"));
  ASSERT_EQ(body.kind, Step::kSend);
  EXPECT_EQ(body.bytes.size(), 503u);
  EXPECT_EQ(body.bytes.substr(body.bytes.size() - 5), "\r\n.\r\n");
  EXPECT_EQ(client.phase(), Phase::kPostTls);
  ExpectSend(client.OnReply(R("250 2.0.0 queued\r\n")), "QUIT\r\n");
  EXPECT_EQ(client.OnReply(R("221 bye\r\n")).kind, Step::kDone);
}

TEST(ClientDialogueTest, OmitsSizeParameterWhenServerDoesNotAdvertiseSize) {
  ClientOptions options;
  options.after_tls = ClientOptions::kMail;
  ClientDialogue client(options);
  ReachTls(&client);
  client.OnTlsEstablished();
  ExpectSend(client.OnReply(Ehlo(false, /*size=*/false)),
             "MAIL FROM:<bench@mailshake.invalid>\r\n");
}

TEST(ClientDialogueTest, MessageHasExactSizeAndSafeLines) {
  for (size_t size :
       {0, 1, 2, 3, 50, 79, 80, 81, 82, 83, 160, 161, 1000, 4097, 100000}) {
    ClientOptions options;
    options.after_tls = ClientOptions::kMail;
    options.message_size = size;
    ClientDialogue client(options);
    ReachTls(&client);
    client.OnTlsEstablished();
    client.OnReply(Ehlo(false));
    client.OnReply(R("250 ok\r\n"));
    client.OnReply(R("250 ok\r\n"));
    const Step step = client.OnReply(R("354 go\r\n"));
    ASSERT_EQ(step.kind, Step::kSend);
    const absl::string_view message = step.bytes;
    EXPECT_EQ(message.size(), std::max<size_t>(size, 2) + 3) << size;
    ASSERT_EQ(message.substr(message.size() - 3), ".\r\n");
    const absl::string_view text = message.substr(0, message.size() - 3);
    ASSERT_EQ(text.substr(text.size() - 2), "\r\n") << size;
    std::vector<absl::string_view> lines =
        absl::StrSplit(text.substr(0, text.size() - 2), "\r\n");
    for (absl::string_view line : lines) {
      EXPECT_LE(line.size(), 998u);
      EXPECT_EQ(line.find_first_of("\r\n"), absl::string_view::npos);
      EXPECT_FALSE(!line.empty() && line[0] == '.');
    }
  }
}

TEST(ClientDialogueTest, NonPositiveBannerFails) {
  for (int code : {554, 421, 250}) {
    ClientDialogue client{ClientOptions()};
    client.Start();
    ExpectFail(client.OnReply(R(absl::StrCat(code, " no\r\n"))),
               FailureKind::kBannerRejected, code);
    EXPECT_EQ(client.phase(), Phase::kBanner);
    EXPECT_TRUE(client.finished());
  }
}

TEST(ClientDialogueTest, RejectedEhloFailsWithoutHeloFallback) {
  ClientDialogue client{ClientOptions()};
  client.Start();
  client.OnReply(R("220 mx\r\n"));
  ExpectFail(client.OnReply(R("500 5.5.1 what\r\n")),
             FailureKind::kEhloRejected, 500);
  EXPECT_EQ(client.phase(), Phase::kEhlo);
}

TEST(ClientDialogueTest, MissingStartTlsFails) {
  ClientDialogue client{ClientOptions()};
  client.Start();
  client.OnReply(R("220 mx\r\n"));
  ExpectFail(client.OnReply(Ehlo(false)), FailureKind::kStartTlsNotOffered,
             250);
}

TEST(ClientDialogueTest, RefusedStartTlsKeepsTheCode) {
  for (int code : {454, 502, 503, 501}) {
    ClientDialogue client{ClientOptions()};
    client.Start();
    client.OnReply(R("220 mx\r\n"));
    client.OnReply(Ehlo(true));
    ExpectFail(client.OnReply(R(absl::StrCat(code, " no TLS\r\n"))),
               FailureKind::kStartTlsRefused, code);
    EXPECT_EQ(client.phase(), Phase::kStartTls);
  }
}

TEST(ClientDialogueTest, ReplyDuringHandshakeIsUnexpected) {
  // STARTTLS response injection: a second reply arrived in plaintext.
  ClientDialogue client{ClientOptions()};
  ReachTls(&client);
  ExpectFail(client.OnReply(R("250 injected\r\n")),
             FailureKind::kUnexpectedReply, 250);
  EXPECT_EQ(client.phase(), Phase::kTls);
}

TEST(ClientDialogueTest, PostTlsRejectionsAreTyped) {
  const struct {
    int replies_before;  // Positive replies after the post-TLS EHLO is sent.
    FailureKind kind;
  } cases[] = {
      {0, FailureKind::kPostTlsEhloRejected}, {1, FailureKind::kMailRejected},
      {2, FailureKind::kRcptRejected},        {3, FailureKind::kDataRejected},
      {4, FailureKind::kDataRejected},
  };
  const Reply positive[] = {Ehlo(false), R("250 ok\r\n"), R("250 ok\r\n"),
                            R("354 go\r\n")};
  for (const auto& c : cases) {
    ClientOptions options;
    options.after_tls = ClientOptions::kMail;
    ClientDialogue client(options);
    ReachTls(&client);
    client.OnTlsEstablished();
    for (int i = 0; i < c.replies_before; ++i) {
      ASSERT_EQ(client.OnReply(positive[i]).kind, Step::kSend);
    }
    ExpectFail(client.OnReply(R("554 5.7.1 no\r\n")), c.kind, 554);
    EXPECT_EQ(client.phase(), Phase::kPostTls);
  }
}

TEST(ClientDialogueTest, ServerClosingAfterQuitIsSuccess) {
  ClientDialogue client{ClientOptions()};
  ReachTls(&client);
  client.OnTlsEstablished();
  EXPECT_EQ(client.OnConnectionClosed().kind, Step::kDone);
}

TEST(ClientDialogueTest, NonQuitReplyToQuitIsUnexpected) {
  ClientDialogue client{ClientOptions()};
  ReachTls(&client);
  client.OnTlsEstablished();
  ExpectFail(client.OnReply(R("250 ok\r\n")), FailureKind::kUnexpectedReply,
             250);
}

TEST(ClientDialogueTest, ServerClosingEarlyIsFailure) {
  ClientDialogue client{ClientOptions()};
  client.Start();
  client.OnReply(R("220 mx\r\n"));
  ExpectFail(client.OnConnectionClosed(), FailureKind::kConnectionClosed, 0);
  EXPECT_EQ(client.phase(), Phase::kEhlo);
}

TEST(ClientDialogueTest, ImplicitTlsStartsWithHandshake) {
  ClientOptions options;
  options.implicit_tls = true;
  ClientDialogue client(options);
  EXPECT_EQ(client.Start().kind, Step::kStartTls);
  EXPECT_EQ(client.phase(), Phase::kTls);
  EXPECT_EQ(client.OnTlsEstablished().kind, Step::kWait);
  EXPECT_EQ(client.phase(), Phase::kBanner);
  ExpectSend(client.OnReply(R("220 mx\r\n")), "EHLO mailshake.invalid\r\n");
  // No STARTTLS needed or expected over implicit TLS.
  ExpectSend(client.OnReply(Ehlo(false)), "QUIT\r\n");
  EXPECT_EQ(client.OnReply(R("221 bye\r\n")).kind, Step::kDone);
}

TEST(ClientDialogueTest, TlsEstablishedWhenNotAskedIsAnError) {
  ClientDialogue client{ClientOptions()};
  client.Start();
  ExpectFail(client.OnTlsEstablished(), FailureKind::kUnexpectedReply, 0);
}

TEST(ClientDialogueTest, IsReusableAcrossSessions) {
  ClientDialogue client{ClientOptions()};
  for (int i = 0; i < 3; ++i) {
    ReachTls(&client);
    client.OnTlsEstablished();
    EXPECT_EQ(client.OnReply(R("221 bye\r\n")).kind, Step::kDone);
  }
}

// A reply that was already received when the dialogue asks to send the
// command it would answer cannot answer that command (the case: an
// EHLO reply and "220 Ready" in one segment made STARTTLS "succeed" in 0 ns).

TEST(ClientDialogueTest, ReplyReceivedBeforeItsCommandIsAProtocolViolation) {
  ClientDialogue client{ClientOptions()};
  client.Start();
  client.OnReply(R("220 mx ESMTP\r\n"));
  Step step = client.OnReply(Ehlo(true), /*more_received=*/true);
  ExpectFail(step, FailureKind::kReplyBeforeCommand, 0);
  EXPECT_EQ(FailureCategory(step, "starttls"), "protocol_violation:reply_before_command");
  EXPECT_TRUE(client.finished());
}

TEST(ClientDialogueTest, PipeliningAdvertisedDoesNotExcuseAnEarlyReply) {
  // Ehlo(true) advertises PIPELINING; the client sent STARTTLS alone.
  ClientDialogue client{ClientOptions()};
  client.Start();
  ExpectFail(client.OnReply(R("220 mx ESMTP\r\n"), /*more_received=*/true),
             FailureKind::kReplyBeforeCommand, 0);
  client.Start();
  client.OnReply(R("220 mx ESMTP\r\n"));
  ASSERT_TRUE(client.OnReply(Ehlo(true)).kind == Step::kSend);
  EXPECT_TRUE(client.extensions().pipelining);
}

TEST(ClientDialogueTest, EarlyReplyAfterTlsIsAProtocolViolationToo) {
  ClientOptions options;
  options.after_tls = ClientOptions::kMail;
  ClientDialogue client(options);
  ReachTls(&client);
  ExpectSend(client.OnTlsEstablished(), "EHLO mailshake.invalid\r\n");
  ExpectFail(client.OnReply(Ehlo(false), /*more_received=*/true),
             FailureKind::kReplyBeforeCommand, 0);
}

TEST(ClientDialogueTest, BytesAfterThe220ToStarttlsAreInjection) {
  ClientDialogue client{ClientOptions()};
  client.Start();
  client.OnReply(R("220 mx ESMTP\r\n"));
  client.OnReply(Ehlo(true));
  Step step = client.OnReply(R("220 2.0.0 Ready\r\n"), /*more_received=*/true);
  ExpectFail(step, FailureKind::kStartTlsInjection, 0);
  EXPECT_EQ(FailureCategory(step, "starttls"), "protocol_violation:starttls_injection");
}

TEST(ClientDialogueTest, BytesAfterTheFinalReplyDoNotFailASucceededSession) {
  ClientDialogue client{ClientOptions()};
  ReachTls(&client);
  ExpectSend(client.OnTlsEstablished(), "QUIT\r\n");
  EXPECT_EQ(client.OnReply(R("221 bye\r\n"), /*more_received=*/true).kind, Step::kDone);
}

TEST(ClientDialogueTest, FailureCategoriesAreTheEnginesVocabulary) {
  Step step;
  step.kind = Step::kFail;
  step.failure = FailureKind::kStartTlsRefused;
  step.reply_code = 454;
  EXPECT_EQ(FailureCategory(step, "starttls"), "starttls_refused:454");
  step.failure = FailureKind::kStartTlsNotOffered;
  step.reply_code = 250;
  EXPECT_EQ(FailureCategory(step, "ehlo"), "starttls_not_offered");
  step.failure = FailureKind::kConnectionClosed;
  step.reply_code = 0;
  EXPECT_EQ(FailureCategory(step, "banner"), "closed_by_server:banner");
}

TEST(ClientDialogueTest, NamesAreStable) {
  EXPECT_EQ(PhaseName(Phase::kPostTls), "post_tls");
  EXPECT_EQ(FailureKindName(FailureKind::kStartTlsRefused), "starttls_refused");
}

// The two dialogues talking to each other, bytes through the reply parser.
struct LoopResult {
  Step last;
  std::vector<Phase> phases;
  ServerCounters server;
};

LoopResult RunAgainstServer(ClientOptions client_options,
                            ServerOptions server_options) {
  server_options.implicit_tls = client_options.implicit_tls;
  ServerDialogue server(server_options);
  ClientDialogue client(client_options);
  ReplyParser parser;
  std::string to_client;
  LoopResult result;
  Step step = client.Start();
  if (!client_options.implicit_tls) server.Greet(&to_client);
  for (int i = 0; i < 50; ++i) {
    result.phases.push_back(client.phase());
    if (step.kind == Step::kDone || step.kind == Step::kFail) break;
    if (step.kind == Step::kStartTls) {
      EXPECT_TRUE(to_client.empty()) << "plaintext after STARTTLS's 220";
      if (client_options.implicit_tls) {
        server.Greet(&to_client);
      } else {
        server.OnTlsEstablished();
      }
      step = client.OnTlsEstablished();
      continue;
    }
    if (step.kind == Step::kSend) server.Consume(step.bytes, &to_client);
    if (to_client.empty() && server.closed()) {
      step = client.OnConnectionClosed();
      continue;
    }
    size_t consumed = 0;
    EXPECT_EQ(parser.Feed(to_client, &consumed), ParseResult::kReply)
        << to_client;
    to_client.erase(0, consumed);
    step = client.OnReply(parser.TakeReply(), !to_client.empty());
  }
  result.last = step;
  result.server = server.counters();
  return result;
}

TEST(ClientServerLoopTest, StartTlsQuit) {
  const LoopResult r = RunAgainstServer(ClientOptions(), ServerOptions());
  EXPECT_EQ(r.last.kind, Step::kDone);
  EXPECT_THAT(r.phases,
              ElementsAre(Phase::kBanner, Phase::kEhlo, Phase::kStartTls,
                          Phase::kTls, Phase::kQuit, Phase::kQuit));
}

TEST(ClientServerLoopTest, StartTlsMailDeliversTheExactSize) {
  ClientOptions options;
  options.after_tls = ClientOptions::kMail;
  for (size_t size : {0, 2, 100, 12345}) {
    options.message_size = size;
    const LoopResult r = RunAgainstServer(options, ServerOptions());
    EXPECT_EQ(r.last.kind, Step::kDone) << FailureKindName(r.last.failure);
    EXPECT_EQ(r.server.messages_accepted, 1u);
    EXPECT_EQ(r.server.message_octets, std::max<size_t>(size, 2));
    EXPECT_EQ(r.server.errors, 0u);
  }
}

TEST(ClientServerLoopTest, ImplicitTlsMail) {
  ClientOptions options;
  options.implicit_tls = true;
  options.after_tls = ClientOptions::kMail;
  const LoopResult r = RunAgainstServer(options, ServerOptions());
  EXPECT_EQ(r.last.kind, Step::kDone);
  EXPECT_EQ(r.server.messages_accepted, 1u);
}

TEST(ClientServerLoopTest, OversizedMessageIsRefusedAtMail) {
  ClientOptions options;
  options.after_tls = ClientOptions::kMail;
  options.message_size = 2000;
  ServerOptions server;
  server.max_message_size = 1000;
  const LoopResult r = RunAgainstServer(options, server);
  ExpectFail(r.last, FailureKind::kMailRejected, 552);
}

TEST(ClientServerLoopTest, ServerWithoutStartTls) {
  ServerOptions server;
  server.starttls_offered = false;
  const LoopResult r = RunAgainstServer(ClientOptions(), server);
  ExpectFail(r.last, FailureKind::kStartTlsNotOffered, 250);
}

}  // namespace
}  // namespace smtp
}  // namespace mailshake
