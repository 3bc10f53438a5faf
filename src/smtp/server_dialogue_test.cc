#include <random>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/smtp/dialogue.h"
#include "src/smtp/reply_parser.h"
#include "src/smtp/split_testing.h"

namespace mailshake {
namespace smtp {
namespace {

using testing::CheckSameForAllSplits;
using testing::Chunks;
using ::testing::HasSubstr;
using ::testing::StartsWith;

ServerOptions TestOptions() {
  ServerOptions options;
  options.hostname = "mx.test";
  options.max_message_size = 1000;
  options.max_recipients = 2;
  return options;
}

const char* ActionName(ServerAction action) {
  switch (action) {
    case ServerAction::kContinue:
      return "continue";
    case ServerAction::kStartTls:
      return "starttls";
    case ServerAction::kClose:
      return "close";
  }
  return "?";
}

// Session wraps a dialogue for tests: Send returns the replies to |bytes|.
class Session {
 public:
  explicit Session(ServerOptions options = TestOptions())
      : dialogue_(std::move(options)) {}

  std::string Send(absl::string_view bytes) {
    std::string out;
    last_action_ = dialogue_.Consume(bytes, &out);
    return out;
  }

  ServerDialogue& dialogue() { return dialogue_; }
  ServerAction last_action() const { return last_action_; }

 private:
  ServerDialogue dialogue_;
  ServerAction last_action_ = ServerAction::kContinue;
};

// Transcript feeds |chunks| to a fresh dialogue (no TLS handshake is ever
// completed) and records the replies, the last action and the counters.
std::string Transcript(const Chunks& chunks,
                       ServerOptions options = TestOptions()) {
  ServerDialogue dialogue(options);
  std::string out;
  ServerAction action = ServerAction::kContinue;
  for (absl::string_view chunk : chunks) action = dialogue.Consume(chunk, &out);
  const ServerCounters& c = dialogue.counters();
  return absl::StrCat(
      out, "| action=", ActionName(action), " commands=", c.commands,
      " errors=", c.errors, " accepted=", c.messages_accepted,
      " octets=", c.message_octets, " rejected=", c.messages_rejected,
      " discarded=", c.discarded_after_starttls,
      " bare=", c.bare_line_ends_in_data);
}

constexpr absl::string_view kEhloReply =
    "250-mx.test\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250-8BITMIME\r\n"
    "250-SMTPUTF8\r\n250-ENHANCEDSTATUSCODES\r\n250 STARTTLS\r\n";
constexpr absl::string_view kEhloReplyNoTls =
    "250-mx.test\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250-8BITMIME\r\n"
    "250-SMTPUTF8\r\n250 ENHANCEDSTATUSCODES\r\n";

TEST(ServerDialogueTest, GreetsWithBanner) {
  ServerDialogue dialogue(TestOptions());
  std::string out;
  dialogue.Greet(&out);
  EXPECT_EQ(out, "220 mx.test ESMTP mailshake\r\n");
}

TEST(ServerDialogueTest, EhloAdvertisesExtensionsIncludingStartTls) {
  Session s;
  EXPECT_EQ(s.Send("EHLO client.test\r\n"), kEhloReply);
  EXPECT_EQ(s.last_action(), ServerAction::kContinue);
}

TEST(ServerDialogueTest, EhloOmitsStartTlsWhenNotOffered) {
  ServerOptions options = TestOptions();
  options.starttls_offered = false;
  Session s(options);
  EXPECT_EQ(s.Send("EHLO c\r\n"), kEhloReplyNoTls);
  EXPECT_EQ(s.Send("STARTTLS\r\n"), "502 5.5.1 STARTTLS not available\r\n");
}

TEST(ServerDialogueTest, ImplicitTlsNeverOffersOrAcceptsStartTls) {
  ServerOptions options = TestOptions();
  options.implicit_tls = true;
  Session s(options);
  EXPECT_TRUE(s.dialogue().tls_active());
  EXPECT_EQ(s.Send("EHLO c\r\n"), kEhloReplyNoTls);
  EXPECT_EQ(s.Send("STARTTLS\r\n"), "503 5.5.1 TLS already active\r\n");
}

TEST(ServerDialogueTest, HeloGets250WithoutExtensions) {
  Session s;
  EXPECT_EQ(s.Send("HELO c\r\n"), "250 mx.test\r\n");
  EXPECT_EQ(s.Send("MAIL FROM:<a@b.c>\r\n"), "250 2.1.0 Sender OK\r\n");
}

TEST(ServerDialogueTest, MailParametersNeedEhlo) {
  Session s;
  s.Send("HELO c\r\n");
  EXPECT_EQ(s.Send("MAIL FROM:<a@b.c> SIZE=10\r\n"),
            "555 5.5.4 MAIL parameters need EHLO\r\n");
}

TEST(ServerDialogueTest, StartTlsBeforeEhloIs503) {
  Session s;
  EXPECT_EQ(s.Send("STARTTLS\r\n"), "503 5.5.1 Send EHLO first\r\n");
  EXPECT_EQ(s.last_action(), ServerAction::kContinue);
}

TEST(ServerDialogueTest, StartTlsWithArgumentIs501) {
  Session s;
  s.Send("EHLO c\r\n");
  EXPECT_EQ(s.Send("STARTTLS now\r\n"), "501 5.5.4 Syntax: STARTTLS\r\n");
  EXPECT_EQ(s.last_action(), ServerAction::kContinue);
}

TEST(ServerDialogueTest, StartTlsAcceptedReturnsStartTls) {
  Session s;
  s.Send("EHLO c\r\n");
  EXPECT_EQ(s.Send("STARTTLS\r\n"), "220 2.0.0 Ready to start TLS\r\n");
  EXPECT_EQ(s.last_action(), ServerAction::kStartTls);
  EXPECT_EQ(s.dialogue().counters().discarded_after_starttls, 0u);
}

TEST(ServerDialogueTest, DiscardsAndCountsCommandsPipelinedAfterStartTls) {
  // CVE-2011-0411: the injected MAIL must never be executed, neither now nor
  // once TLS is up.
  Session s;
  const std::string out =
      s.Send("EHLO c\r\nSTARTTLS\r\nMAIL FROM:<evil@x.org>\r\n");
  EXPECT_EQ(out, absl::StrCat(kEhloReply, "220 2.0.0 Ready to start TLS\r\n"));
  EXPECT_EQ(s.last_action(), ServerAction::kStartTls);
  EXPECT_EQ(s.dialogue().counters().discarded_after_starttls, 24u);
  // More plaintext before the handshake completes is discarded too.
  EXPECT_EQ(s.Send("RCPT TO:<v@x.org>\r\n"), "");
  EXPECT_EQ(s.last_action(), ServerAction::kStartTls);
  EXPECT_EQ(s.dialogue().counters().discarded_after_starttls, 43u);
  s.dialogue().OnTlsEstablished();
  EXPECT_TRUE(s.dialogue().tls_active());
  EXPECT_EQ(s.Send("RCPT TO:<v@x.org>\r\n"), "503 5.5.1 Need MAIL first\r\n");
}

TEST(ServerDialogueTest, DiscardsPartialLineBeforeTls) {
  // A fragment of a command split across the STARTTLS boundary must not be
  // glued to the first command sent over TLS.
  Session s;
  s.Send("EHLO c\r\nSTARTTLS\r\nNO");
  s.dialogue().OnTlsEstablished();
  EXPECT_EQ(s.Send("OP\r\n"), "500 5.5.2 Command not recognized\r\n");
}

TEST(ServerDialogueTest, ForgetsEhloAfterTlsAndStopsOfferingStartTls) {
  Session s;
  s.Send("EHLO c\r\nSTARTTLS\r\n");
  s.dialogue().OnTlsEstablished();
  EXPECT_EQ(s.Send("MAIL FROM:<a@b.c>\r\n"),
            "503 5.5.1 Send EHLO/HELO first\r\n");
  EXPECT_EQ(s.Send("EHLO c\r\n"), kEhloReplyNoTls);
  EXPECT_EQ(s.Send("STARTTLS\r\n"), "503 5.5.1 TLS already active\r\n");
  EXPECT_EQ(s.last_action(), ServerAction::kContinue);
}

TEST(ServerDialogueTest, EnforcesCommandSequence) {
  Session s;
  EXPECT_EQ(s.Send("MAIL FROM:<a@b.c>\r\n"),
            "503 5.5.1 Send EHLO/HELO first\r\n");
  s.Send("EHLO c\r\n");
  EXPECT_EQ(s.Send("RCPT TO:<a@b.c>\r\n"), "503 5.5.1 Need MAIL first\r\n");
  EXPECT_EQ(s.Send("DATA\r\n"), "503 5.5.1 Need MAIL first\r\n");
  EXPECT_EQ(s.Send("MAIL FROM:<a@b.c>\r\n"), "250 2.1.0 Sender OK\r\n");
  EXPECT_EQ(s.Send("MAIL FROM:<a@b.c>\r\n"),
            "503 5.5.1 Nested MAIL command\r\n");
  EXPECT_EQ(s.Send("DATA\r\n"), "503 5.5.1 Need RCPT first\r\n");
}

TEST(ServerDialogueTest, DataAfterOnlyRejectedRecipientsIs554) {
  ServerOptions options = TestOptions();
  options.max_recipients = 0;
  Session s(options);
  s.Send("EHLO c\r\nMAIL FROM:<>\r\n");
  EXPECT_EQ(s.Send("RCPT TO:<a@b.c>\r\n"), "452 4.5.3 Too many recipients\r\n");
  EXPECT_EQ(s.Send("DATA\r\n"), "554 5.5.1 No valid recipients\r\n");
}

TEST(ServerDialogueTest, LimitsRecipientsPerTransaction) {
  Session s;
  s.Send("EHLO c\r\nMAIL FROM:<>\r\n");
  EXPECT_EQ(s.Send("RCPT TO:<a@b.c>\r\nRCPT TO:<d@b.c>\r\nRCPT TO:<e@b.c>\r\n"),
            "250 2.1.5 Recipient OK\r\n250 2.1.5 Recipient OK\r\n"
            "452 4.5.3 Too many recipients\r\n");
  EXPECT_EQ(
      s.Send("RSET\r\nMAIL FROM:<>\r\nRCPT TO:<a@b.c>\r\n"),
      "250 2.0.0 OK\r\n250 2.1.0 Sender OK\r\n250 2.1.5 Recipient OK\r\n");
}

TEST(ServerDialogueTest, NonAsciiRecipientNeedsSmtpUtf8OnMail) {
  Session s;
  s.Send("EHLO c\r\nMAIL FROM:<a@b.c>\r\n");
  EXPECT_EQ(s.Send("RCPT TO:<\xc3\xa9@x.org>\r\n"),
            "553 5.6.7 Non-ASCII address requires SMTPUTF8 on MAIL\r\n");
  s.Send("RSET\r\nMAIL FROM:<a@b.c> SMTPUTF8\r\n");
  EXPECT_EQ(s.Send("RCPT TO:<\xc3\xa9@x.org>\r\n"),
            "250 2.1.5 Recipient OK\r\n");
}

TEST(ServerDialogueTest, AcceptsMessageCountingUnstuffedOctets) {
  Session s;
  const std::string out = s.Send(
      "EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\n"
      "Subject: x\r\n..dot\r\n\r\n.\r\nQUIT\r\n");
  EXPECT_EQ(out, absl::StrCat(kEhloReply,
                              "250 2.1.0 Sender OK\r\n"
                              "250 2.1.5 Recipient OK\r\n"
                              "354 End data with <CR><LF>.<CR><LF>\r\n"
                              "250 2.0.0 Message accepted and discarded\r\n"
                              "221 2.0.0 mx.test closing connection\r\n"));
  EXPECT_EQ(s.last_action(), ServerAction::kClose);
  EXPECT_EQ(s.dialogue().counters().messages_accepted, 1u);
  // "Subject: x\r\n" + ".dot\r\n" + "\r\n"
  EXPECT_EQ(s.dialogue().counters().message_octets, 12u + 6u + 2u);
  EXPECT_EQ(s.dialogue().close_reason(), absl::string_view("quit"));
}

TEST(ServerDialogueTest, ReceivingDataIsTrueOnlyInsideTheMessage) {
  Session s;
  s.Send("EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<a@b.c>\r\n");
  EXPECT_FALSE(s.dialogue().receiving_data());
  s.Send("DATA\r\nhello\r\n");
  EXPECT_TRUE(s.dialogue().receiving_data());
  s.Send(".\r\n");
  EXPECT_FALSE(s.dialogue().receiving_data());
}

TEST(ServerDialogueTest, OnlyCrlfDotCrlfEndsData) {
  // SMTP smuggling (CVE-2023-51766): none of these ends the message, so the
  // commands after them are message text, never executed.
  for (absl::string_view fake_end :
       {"\n.\n", "\n.\r\n", "\r\n.\n", "\r.\r", "\r\n.\r", "\r.\r\n"}) {
    Session s;
    const std::string out =
        s.Send(absl::StrCat("EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<a@b.c>\r\n"
                            "DATA\r\nbody",
                            fake_end,
                            "MAIL FROM:<smuggled@x.org>\r\n"
                            "RCPT TO:<victim@x.org>\r\nDATA\r\n.\r\n"));
    EXPECT_EQ(out, absl::StrCat(kEhloReply,
                                "250 2.1.0 Sender OK\r\n"
                                "250 2.1.5 Recipient OK\r\n"
                                "354 End data with <CR><LF>.<CR><LF>\r\n"
                                "250 2.0.0 Message accepted and discarded\r\n"))
        << absl::CEscape(fake_end);
    EXPECT_EQ(s.dialogue().counters().messages_accepted, 1u);
    EXPECT_GT(s.dialogue().counters().bare_line_ends_in_data, 0u);
    EXPECT_FALSE(s.dialogue().receiving_data());
  }
}

TEST(ServerDialogueTest, BareLfDoesNotEndCommandLine) {
  Session s;
  EXPECT_EQ(s.Send("NOOP\nQUIT\r\n"),
            "501 5.5.2 Bare CR, bare LF or NUL in command line\r\n");
  EXPECT_EQ(s.last_action(), ServerAction::kContinue);
  EXPECT_EQ(s.Send("QUIT\n"), "");  // Not a complete line yet.
  EXPECT_EQ(s.last_action(), ServerAction::kContinue);
}

TEST(ServerDialogueTest, TextLineOf1000OctetsIsAcceptedAnd1001Rejected) {
  Session s;
  s.Send("EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<a@b.c>\r\nDATA\r\n");
  EXPECT_EQ(s.Send(std::string(998, 'x') + "\r\n.\r\n"),
            "250 2.0.0 Message accepted and discarded\r\n");
  s.Send("MAIL FROM:<>\r\nRCPT TO:<a@b.c>\r\nDATA\r\n");
  // 999 octets of text: rejected only at the end of data, and the rest of the
  // message is read normally.
  EXPECT_EQ(s.Send(std::string(999, 'x') + "\r\nmore\r\n"), "");
  EXPECT_EQ(s.Send(".\r\n"), "500 5.5.2 Message text line too long\r\n");
  EXPECT_EQ(s.Send("NOOP\r\n"), "250 2.0.0 OK\r\n");
  EXPECT_EQ(s.dialogue().counters().messages_rejected, 1u);
}

TEST(ServerDialogueTest, HugeMessageLineIsSkippedWithoutBuffering) {
  ServerOptions options = TestOptions();
  options.max_message_size = 10 << 20;
  Session s(options);
  s.Send("EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<a@b.c>\r\nDATA\r\n");
  const std::string chunk(1 << 16, 'y');
  for (int i = 0; i < 64; ++i) EXPECT_EQ(s.Send(chunk), "");
  EXPECT_EQ(s.Send("\r\n.\r\n"), "500 5.5.2 Message text line too long\r\n");
}

TEST(ServerDialogueTest, MessageOverSizeLimitIs552AtEndOfData) {
  Session s;  // max_message_size = 1000
  s.Send("EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<a@b.c>\r\nDATA\r\n");
  std::string body;
  for (int i = 0; i < 20; ++i) body += std::string(48, 'z') + "\r\n";
  ASSERT_EQ(body.size(), 1000u);
  EXPECT_EQ(s.Send(body + ".\r\n"),
            "250 2.0.0 Message accepted and discarded\r\n");
  s.Send("MAIL FROM:<>\r\nRCPT TO:<a@b.c>\r\nDATA\r\n");
  EXPECT_EQ(s.Send(body + "z\r\n.\r\n"),
            "552 5.3.4 Message size exceeds fixed limit\r\n");
  EXPECT_EQ(s.dialogue().counters().messages_accepted, 1u);
  EXPECT_EQ(s.dialogue().counters().messages_rejected, 1u);
}

TEST(ServerDialogueTest, DeclaredSizeOverLimitIs552AtMail) {
  Session s;
  s.Send("EHLO c\r\n");
  EXPECT_EQ(s.Send("MAIL FROM:<> SIZE=1001\r\n"),
            "552 5.3.4 Message size exceeds fixed limit\r\n");
  EXPECT_EQ(s.Send("MAIL FROM:<> SIZE=99999999999999999999\r\n"),
            "552 5.3.4 Message size exceeds fixed limit\r\n");
  EXPECT_EQ(s.Send("MAIL FROM:<> SIZE=1000\r\n"), "250 2.1.0 Sender OK\r\n");
}

TEST(ServerDialogueTest, SimpleCommands) {
  Session s;
  EXPECT_EQ(s.Send("NOOP\r\n"), "250 2.0.0 OK\r\n");
  EXPECT_EQ(s.Send("RSET\r\n"), "250 2.0.0 OK\r\n");
  EXPECT_EQ(s.Send("VRFY bob\r\n"),
            "252 2.5.0 Cannot VRFY user, but will accept message\r\n");
  EXPECT_THAT(s.Send("HELP\r\n"), StartsWith("214 2.0.0 Commands: EHLO"));
  EXPECT_EQ(s.Send("EXPN list\r\n"), "502 5.5.1 Command not implemented\r\n");
  EXPECT_EQ(s.Send("XYZZY\r\n"), "500 5.5.2 Command not recognized\r\n");
}

TEST(ServerDialogueTest, QuitClosesAndLaterInputIsIgnored) {
  Session s;
  EXPECT_EQ(s.Send("QUIT\r\nNOOP\r\n"),
            "221 2.0.0 mx.test closing connection\r\n");
  EXPECT_EQ(s.last_action(), ServerAction::kClose);
  EXPECT_TRUE(s.dialogue().closed());
  EXPECT_EQ(s.Send("NOOP\r\n"), "");
  EXPECT_EQ(s.last_action(), ServerAction::kClose);
}

TEST(ServerDialogueTest, OverlongCommandLineIs500AndRestOfLineSkipped) {
  Session s;
  EXPECT_EQ(s.Send(std::string(100000, 'A')), "");
  EXPECT_EQ(s.Send("QUIT\r\nNOOP\r\n"),
            "500 5.5.2 Line too long\r\n250 2.0.0 OK\r\n");
  EXPECT_EQ(s.last_action(), ServerAction::kContinue);
  const std::string max_line = "NOOP " + std::string(505, 'x') + "\r\n";
  ASSERT_EQ(max_line.size(), 512u);
  EXPECT_EQ(s.Send(max_line), "250 2.0.0 OK\r\n");
  EXPECT_EQ(s.Send("NOOP " + std::string(506, 'x') + "\r\n"),
            "500 5.5.2 Line too long\r\n");
}

TEST(ServerDialogueTest, TooManyErrorsInARowCloseWith421) {
  Session s;
  std::string input;
  for (int i = 0; i < 9; ++i) input += "BAD\r\n";
  std::string out = s.Send(input);
  EXPECT_EQ(s.last_action(), ServerAction::kContinue);
  // A success resets the run.
  s.Send("NOOP\r\n");
  out = s.Send(input);
  EXPECT_EQ(s.last_action(), ServerAction::kContinue);
  out = s.Send("BAD\r\nNOOP\r\n");
  EXPECT_EQ(out,
            "500 5.5.2 Command not recognized\r\n"
            "421 4.7.0 mx.test Error: too many errors\r\n");
  EXPECT_EQ(s.last_action(), ServerAction::kClose);
  EXPECT_EQ(s.dialogue().close_reason(), absl::string_view("too_many_errors"));
  EXPECT_EQ(s.dialogue().counters().errors, 19u);
}

TEST(ServerDialogueTest, TimeoutAppends421) {
  Session s;
  std::string out;
  s.dialogue().OnTimeout(&out);
  EXPECT_EQ(out, "421 4.4.2 mx.test Error: timeout exceeded\r\n");
  EXPECT_TRUE(s.dialogue().closed());
  EXPECT_EQ(s.dialogue().close_reason(), absl::string_view("timeout"));
}

TEST(ServerDialogueTest, PipelinedCommandsAreAnsweredInOrder) {
  Session s;
  EXPECT_EQ(s.Send("EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\n"
                   "RCPT TO:<bad>\r\nNOOP\r\nDATA\r\n"),
            absl::StrCat(kEhloReply,
                         "250 2.1.0 Sender OK\r\n"
                         "250 2.1.5 Recipient OK\r\n"
                         "501 5.1.3 Bad recipient address syntax: address has "
                         "no domain\r\n"
                         "250 2.0.0 OK\r\n"
                         "354 End data with <CR><LF>.<CR><LF>\r\n"));
}

TEST(ServerDialogueTest, EverySplitGivesTheSameTranscript) {
  const absl::string_view inputs[] = {
      "EHLO c\r\nSTARTTLS\r\nMAIL FROM:<evil@x.org>\r\n",
      "EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\n"
      "x\r\n..y\r\n\r\n.\r\nQUIT\r\nNOOP\r\n",
      "EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<a@b.c>\r\nDATA\r\na\n.\nb\r.\r\n"
      ".\r\n",
      "NOOP\nQUIT\r\nNOOP\r\r\nRSET\r\n",
      "BAD\r\nBAD\r\nBAD\r\nBAD\r\nBAD\r\nBAD\r\nBAD\r\nBAD\r\nBAD\r\nBAD\r\n"
      "NOOP\r\n",
  };
  for (absl::string_view input : inputs) {
    EXPECT_EQ(CheckSameForAllSplits(
                  input, [](const Chunks& c) { return Transcript(c); }),
              "")
        << input;
  }
  // A long line, split at every boundary, with a small message limit.
  const std::string long_input =
      "EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<a@b.c>\r\nDATA\r\n" +
      std::string(1200, 'q') + "\r\n.\r\n" + std::string(600, 'A') +
      "\r\nNOOP\r\n";
  EXPECT_EQ(CheckSameForAllSplits(
                long_input, [](const Chunks& c) { return Transcript(c); }),
            "");
}

TEST(ServerDialogueTest, RandomSessionsGiveTheSameTranscriptForEverySplit) {
  std::mt19937 rng(99);
  const absl::string_view fragments[] = {
      "EHLO c\r\n", "MAIL FROM:<a@b.c>\r\n", "RCPT TO:<d@e.f>\r\n",
      "DATA\r\n",   ".\r\n",    "\r\n",     "\n",      "\r",
      "STARTTLS\r\n", "..",     "x",        "\xff",    "NOOP\r\n"};
  for (int round = 0; round < 150; ++round) {
    std::string input;
    for (int k = rng() % 12; k > 0; --k) {
      const absl::string_view f = fragments[rng() % std::size(fragments)];
      input.append(f.data(), f.size());
    }
    EXPECT_EQ(CheckSameForAllSplits(
                  input, [](const Chunks& c) { return Transcript(c); }),
              "")
        << absl::CEscape(input);
  }
}

TEST(ServerDialogueTest, HostileInputAlwaysGetsWellFormedReplies) {
  std::mt19937 rng(4242);
  const absl::string_view fragments[] = {"EHLO c\r\n",
                                         "MAIL FROM:<a@b.c>\r\n",
                                         "RCPT TO:<d@e.f>\r\n",
                                         "DATA\r\n",
                                         ".\r\n",
                                         "\r\n",
                                         "\n",
                                         "\r",
                                         "STARTTLS\r\n",
                                         "RSET\r\n",
                                         "..",
                                         "\xff\x00\x80"};
  for (int round = 0; round < 300; ++round) {
    ServerDialogue dialogue(TestOptions());
    std::string out;
    for (int k = 0; k < 40 && !dialogue.closed(); ++k) {
      std::string bytes;
      if (rng() % 3 == 0) {
        for (int i = rng() % 50; i > 0; --i) {
          bytes.push_back(static_cast<char>(rng() % 256));
        }
      } else {
        const absl::string_view f = fragments[rng() % std::size(fragments)];
        bytes.assign(f.data(), f.size());
      }
      if (dialogue.Consume(bytes, &out) == ServerAction::kStartTls) {
        dialogue.OnTlsEstablished();
      }
    }
    // Everything the server said must parse as a sequence of valid replies.
    ReplyParser parser;
    absl::string_view rest = out;
    while (!rest.empty()) {
      size_t consumed = 0;
      const ParseResult r = parser.Feed(rest, &consumed);
      ASSERT_NE(r, ParseResult::kError) << parser.status() << "\n" << out;
      ASSERT_EQ(r, ParseResult::kReply) << out;
      parser.TakeReply();
      rest.remove_prefix(consumed);
    }
  }
}

}  // namespace
}  // namespace smtp
}  // namespace mailshake
