#include "src/net/address.h"

#include "gtest/gtest.h"

namespace mailshake::net {
namespace {

TEST(SocketAddressTest, ParsesIpv4AndIpv6WithPort) {
  absl::StatusOr<SocketAddress> v4 = SocketAddress::Parse("127.0.0.1:2525");
  ASSERT_TRUE(v4.ok()) << v4.status();
  EXPECT_EQ(v4->family(), AF_INET);
  EXPECT_EQ(v4->port(), 2525);
  EXPECT_EQ(v4->ToString(), "127.0.0.1:2525");
  EXPECT_TRUE(v4->IsLoopback());

  absl::StatusOr<SocketAddress> v6 = SocketAddress::Parse("[::1]:25");
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_EQ(v6->family(), AF_INET6);
  EXPECT_EQ(v6->ToString(), "[::1]:25");
  EXPECT_TRUE(v6->IsLoopback());
}

TEST(SocketAddressTest, LocalhostMeansIpv4Loopback) {
  absl::StatusOr<SocketAddress> a = SocketAddress::Parse("localhost:0");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->IpString(), "127.0.0.1");
}

TEST(SocketAddressTest, RejectsMalformedAddressesWithMessage) {
  for (const char* bad : {"127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "::1:25",
                          "[::1]25", "[::1", "example.com:25", "1.2.3:4", ":25",
                          "127.0.0.1:2x"}) {
    absl::StatusOr<SocketAddress> a = SocketAddress::Parse(bad);
    EXPECT_FALSE(a.ok()) << bad;
    EXPECT_FALSE(a.status().message().empty()) << bad;
  }
}

TEST(SocketAddressTest, NonLoopbackIsNotLoopback) {
  EXPECT_FALSE(SocketAddress::Parse("10.0.0.1:25")->IsLoopback());
  EXPECT_TRUE(SocketAddress::Parse("127.9.8.7:25")->IsLoopback());
}

TEST(TargetTest, SchemesSelectStarttlsOrImplicitTlsAndDefaultPorts) {
  absl::StatusOr<Target> plain = ParseTarget("smtp://127.0.0.1");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_FALSE(plain->implicit_tls);
  EXPECT_EQ(plain->address.port(), 25);

  absl::StatusOr<Target> tls = ParseTarget("smtps://127.0.0.1");
  ASSERT_TRUE(tls.ok());
  EXPECT_TRUE(tls->implicit_tls);
  EXPECT_EQ(tls->address.port(), 465);

  absl::StatusOr<Target> v6 = ParseTarget("smtp://[::1]:2525/");
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->address.port(), 2525);
  EXPECT_EQ(v6->ToString(), "smtp://[::1]:2525");
}

TEST(TargetTest, TlsSchemeIsABareHandshakeAndNeedsAPort) {
  absl::StatusOr<Target> t = ParseTarget("tls://127.0.0.1:4433");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(t->tls_only);
  EXPECT_TRUE(t->implicit_tls);
  EXPECT_EQ(t->address.port(), 4433);
  EXPECT_EQ(t->ToString(), "tls://127.0.0.1:4433");
  absl::StatusOr<Target> no_port = ParseTarget("tls://127.0.0.1");
  ASSERT_FALSE(no_port.ok());
  EXPECT_NE(no_port.status().message().find("needs a port"), absl::string_view::npos);
  EXPECT_FALSE(ParseTarget("smtps://127.0.0.1")->tls_only);
}

TEST(TargetTest, LocalhostResolvesToLoopbackAndKeepsTheName) {
  absl::StatusOr<Target> t = ParseTarget("smtp://localhost:2525");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->host, "localhost");
  EXPECT_TRUE(t->address.IsLoopback());
}

TEST(TargetTest, RejectsOtherSchemesAndEmptyHosts) {
  EXPECT_FALSE(ParseTarget("http://127.0.0.1").ok());
  EXPECT_FALSE(ParseTarget("127.0.0.1:25").ok());
  EXPECT_FALSE(ParseTarget("smtp://").ok());
  EXPECT_FALSE(ParseTarget("smtp://127.0.0.1:99999").ok());
}

TEST(SourceAddressesTest, ExpandsInclusiveIpv4RangesAndLists) {
  absl::StatusOr<std::vector<SocketAddress>> a =
      ParseSourceAddresses("127.0.0.2-127.0.0.4, ::1");
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_EQ(a->size(), 4u);
  EXPECT_EQ((*a)[0].IpString(), "127.0.0.2");
  EXPECT_EQ((*a)[2].IpString(), "127.0.0.4");
  EXPECT_EQ((*a)[3].IpString(), "::1");
  EXPECT_EQ((*a)[0].port(), 0);
}

TEST(SourceAddressesTest, RejectsReversedHugeAndMalformedRanges) {
  EXPECT_FALSE(ParseSourceAddresses("127.0.0.9-127.0.0.2").ok());
  EXPECT_FALSE(ParseSourceAddresses("10.0.0.0-10.255.255.255").ok());
  EXPECT_FALSE(ParseSourceAddresses("127.0.0.1-::1").ok());
  EXPECT_FALSE(ParseSourceAddresses("").ok());
  EXPECT_FALSE(ParseSourceAddresses("127.0.0.x").ok());
}

}  // namespace
}  // namespace mailshake::net
