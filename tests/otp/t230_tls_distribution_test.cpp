// Scenario 230, TLS distribution against real erl run with `-proto_dist inet_tls
// -ssl_dist_optfile F` (and iex run with the same flags through `--erl`): otpp and erl verify
// each other's certificates and exchange messages and rpc both ways; a certificate from an
// untrusted authority is refused with a log line on both sides; a TLS node and a plain node do
// not connect, and the log says why.
#include <gtest/gtest.h>

#include <mutex>

#include "otp_fixture.hpp"
#include "support/captured_log.hpp"
#include "otpp/otp/rpc.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/print.hpp"
#include "support/tls_certs.hpp"

namespace {

using namespace otpp;
using namespace std::chrono_literals;
using otpp::test::erl_atom;
using otpp::test::eventually;


// One authority, one erl TLS peer and one port mapper for the whole suite: starting erl with
// TLS costs seconds.
struct tls_distribution_with_erl : ::testing::Test {
  static inline std::unique_ptr<otpp::test::tls_certs> certs;
  static inline std::unique_ptr<dist::epmd_server> epmd;
  static inline std::unique_ptr<otpp::test::erl_peer> erl;

  static void SetUpTestSuite() {
    certs = std::make_unique<otpp::test::tls_certs>();
    epmd = otpp::test::start_private_epmd();
    ASSERT_TRUE(epmd);
    erl = std::make_unique<otpp::test::erl_peer>(otpp::test::unique_name("tlserl"), epmd->port(), cookie,
                                                 otpp::test::tls_certs::erl_flags(certs->trusted_optfile()));
    ASSERT_TRUE(erl->ready()) << erl->process().output();
  }
  static void TearDownTestSuite() {
    erl.reset();
    epmd.reset();
    certs.reset();
  }

  static constexpr const char* cookie = otpp::test::test_cookie;
  std::shared_ptr<io::string_output_sink> out = std::make_shared<io::string_output_sink>();

  /// An otpp node with TLS distribution from `optfile` (plain TCP when empty).
  std::unique_ptr<otp::node> start_node(const std::string& prefix, const std::string& optfile,
                                        std::shared_ptr<test::captured_log> log) {
    auto node = otpp::test::start_test_node(prefix, epmd->port(), out, [&](otp::node_options& o) {
      o.dist.log = [log](std::string_view line) { log->add(line); };
      if (!optfile.empty()) {
        auto tls = dist::read_ssl_dist_optfile(optfile);
        EXPECT_TRUE(tls) << tls.error();
        o.dist.tls = tls.value();
      }
    });
    if (!node) return nullptr;
    node->exports().add_elixir("Kate", "add", [](term a, term b) { return term(*a.to_int64() + *b.to_int64()); });
    return node;
  }

  static std::string node_text(otp::node& n) { return std::string(n.name().name()); }
  /// erl's output from now on, for the lines it logs about a refused peer.
  static std::size_t erl_output_mark() { return erl->process().output().size(); }
  static bool erl_logged_since(std::size_t mark, const std::string& needle) {
    return erl->process().wait_for(needle, 10s, mark).has_value();
  }
};

TEST_F(tls_distribution_with_erl, otpp_and_erl_verify_each_other_and_exchange_messages_both_ways) {
  auto log = std::make_shared<test::captured_log>();
  auto kate = start_node("kate", certs->trusted_optfile(), log);
  ASSERT_TRUE(kate);
  scoped_process me(kate->rt());
  (void)me.register_name(atom("tls_inbox"));
  // The first TLS connection a fresh erl takes costs it seconds (loading ssl, reading the
  // certificates): on a loaded machine that may pass net_setuptime, so it may take a second try.
  ASSERT_TRUE(eventually([&] { return kate->engine()->ping(atom(erl->node())) == atom("pong"); }, 30s)) << log->all();

  // erl -> otpp: a message to a registered name, and a 1 MiB binary (many TLS records).
  ASSERT_EQ(erl->eval("{tls_inbox, " + erl_atom(node_text(*kate)) + "} ! {hello, self(), binary:copy(<<7>>, 1048576)}, ok."),
            "ok");
  auto got = me.receive_for(10s);
  ASSERT_TRUE(got && got->is_tuple() && got->tuple_size() == 3) << (got ? to_string(*got) : "nothing");
  EXPECT_EQ(to_string((*got)[0]), "hello");
  EXPECT_EQ((*got)[2].bytes().size(), 1048576u);

  // otpp -> erl: the binary back to the sender, checked there.
  me.send((*got)[1].pid_value(), tuple_of(atom("back"), (*got)[2]));
  EXPECT_EQ(erl->eval("receive {back, B} -> {byte_size(B), binary:first(B)} after 10000 -> timeout end."),
            "{1048576,7}");
  EXPECT_EQ(erl->eval("lists:member(" + erl_atom(node_text(*kate)) + ", nodes())."), "true");
}

TEST_F(tls_distribution_with_erl, rpc_runs_both_ways) {
  auto log = std::make_shared<test::captured_log>();
  auto kate = start_node("kate", certs->trusted_optfile(), log);
  ASSERT_TRUE(kate);
  // erl dials: the otpp node is the TLS server.
  EXPECT_EQ(erl->eval("rpc:call(" + erl_atom(node_text(*kate)) + ", 'Elixir.Kate', add, [40, 2])."), "42")
      << log->all();
  EXPECT_EQ(erl->eval("erpc:call(" + erl_atom(node_text(*kate)) + ", 'Elixir.Kate', add, [1, 2])."), "3");
  scoped_process me(kate->rt());
  term r = rpc::call(me, atom(erl->node()), atom("lists"), atom("reverse"), {list_of(term(1), term(2), term(3))}, 10s);
  EXPECT_EQ(to_string(r), "[3,2,1]");
}

TEST_F(tls_distribution_with_erl, iex_over_tls_and_otpp_exchange_messages_and_rpc_whichever_dials) {
  auto log = std::make_shared<test::captured_log>();
  auto kate = start_node("kate", certs->trusted_optfile(), log);
  auto alex = start_node("alex", certs->trusted_optfile(), log);
  ASSERT_TRUE(kate && alex);
  otpp::test::iex_peer iex(otpp::test::unique_name("tlsiex"), epmd->port(), cookie,
                           otpp::test::tls_certs::erl_flags(certs->trusted_optfile()));
  ASSERT_TRUE(iex.ready()) << iex.process().output();

  // iex dials kate (its first TLS connection may take a second try, as erl's above), then sends a
  // message there, gets the answer back, and makes an rpc.
  scoped_process inbox(kate->rt());
  (void)inbox.register_name(atom("tls_inbox"));
  const std::string kate_atom = ":\"" + node_text(*kate) + "\"";
  auto connected = iex.eval("Enum.any?(1..4, fn _ -> Node.connect(" + kate_atom + ") == true end)", 60s);
  ASSERT_TRUE(connected) << iex.process().output();
  ASSERT_NE(connected->find("true"), std::string::npos) << *connected << log->all();
  ASSERT_TRUE(iex.eval("send({:tls_inbox, " + kate_atom + "}, {:hello, self()})")) << iex.process().output();
  auto got = inbox.receive_for(10s);
  ASSERT_TRUE(got && got->is_tagged_tuple(atom("hello"), 2))
      << (got ? to_string(*got) : "nothing") << log->all() << iex.process().output();
  inbox.send((*got)[1].pid_value(), tuple_of(atom("back"), atom("from_otpp")));
  auto back = iex.eval("receive do {:back, x} -> x after 10_000 -> :timeout end");
  ASSERT_TRUE(back) << iex.process().output();
  EXPECT_NE(back->find(":from_otpp"), std::string::npos) << *back;
  auto sum = iex.eval(":rpc.call(" + kate_atom + ", Kate, :add, [40, 2])");
  ASSERT_TRUE(sum) << iex.process().output();
  EXPECT_NE(sum->find("42"), std::string::npos) << *sum;

  // alex dials iex: an rpc into Elixir's String module.
  scoped_process me(alex->rt());
  term r = rpc::call(me, atom(iex.node()), atom("Elixir.String"), atom("upcase"), {term::binary("tls")}, 10s);
  EXPECT_EQ(to_string(r), "<<\"TLS\">>") << log->all();
  auto nodes = iex.eval("Enum.all?([" + kate_atom + ", :\"" + node_text(*alex) + "\"], &(&1 in Node.list()))");
  ASSERT_TRUE(nodes);
  EXPECT_NE(nodes->find("true"), std::string::npos) << *nodes;
}

TEST_F(tls_distribution_with_erl, a_certificate_from_an_untrusted_authority_is_refused_on_both_sides) {
  auto log = std::make_shared<test::captured_log>();
  auto rogue = start_node("rogue", certs->untrusted_optfile(), log);
  ASSERT_TRUE(rogue);
  // otpp dials erl: otpp does not trust erl's certificate.
  auto mark = erl_output_mark();
  EXPECT_EQ(rogue->engine()->ping(atom(erl->node())), atom("pang"));
  EXPECT_TRUE(log->contains("cannot connect to " + erl->node(), "certificate verify failed")) << log->all();
  EXPECT_TRUE(erl_logged_since(mark, "Unknown CA")) << erl->process().output().substr(mark);

  // erl dials otpp: erl does not trust otpp's certificate, nor otpp erl's.
  mark = erl_output_mark();
  EXPECT_EQ(erl->eval("net_adm:ping(" + erl_atom(node_text(*rogue)) + ")."), "pang");
  EXPECT_TRUE(eventually([&] { return log->contains("refused connection from", "TLS handshake failed"); })) << log->all();
  EXPECT_TRUE(erl_logged_since(mark, "Unknown CA")) << erl->process().output().substr(mark);
  EXPECT_FALSE(rogue->engine()->is_connected(atom(erl->node())));
}

TEST_F(tls_distribution_with_erl, a_tls_node_and_a_plain_node_do_not_connect_and_say_why) {
  auto tls_log = std::make_shared<test::captured_log>(), plain_log = std::make_shared<test::captured_log>();
  auto secure = start_node("secure", certs->trusted_optfile(), tls_log);
  auto plain = start_node("plain", "", plain_log);
  ASSERT_TRUE(secure && plain);

  // plain dials TLS: the TLS node sees a plain handshake, the plain node a closed connection.
  EXPECT_EQ(plain->engine()->ping(secure->name()), atom("pang"));
  EXPECT_TRUE(eventually([&] { return tls_log->contains("refused connection", "speaks plain TCP distribution"); }))
      << tls_log->all();
  EXPECT_TRUE(plain_log->contains("cannot connect to " + node_text(*secure))) << plain_log->all();

  // TLS dials plain: the plain node sees TLS, the TLS node hears that it may be plain.
  EXPECT_EQ(secure->engine()->ping(plain->name()), atom("pang"));
  EXPECT_TRUE(eventually([&] { return plain_log->contains("refused connection", "speaks TLS"); })) << plain_log->all();
  EXPECT_TRUE(tls_log->contains("cannot connect to " + node_text(*plain), "plain TCP distribution")) << tls_log->all();

  // plain otpp dials TLS erl: erl answers in TLS, and the log says so.
  EXPECT_EQ(plain->engine()->ping(atom(erl->node())), atom("pang"));
  EXPECT_TRUE(plain_log->contains("cannot connect to " + erl->node(), "TLS distribution")) << plain_log->all();
  EXPECT_FALSE(plain->engine()->is_connected(secure->name()));
}

TEST(ssl_dist_optfile, is_read_as_erl_reads_it) {
  auto r = dist::parse_ssl_dist_options(
      "[{server, [{certfile, \"/c.pem\"}, {keyfile, \"/k.pem\"}, {cacertfile, \"/ca.pem\"},\n"
      "           {verify, verify_peer}, {fail_if_no_peer_cert, true}, {secure_renegotiate, true},\n"
      "           {versions, ['tlsv1.3']}]},\n"
      " {client, [{verify, verify_none}, {server_name_indication, \"kate.example\"},\n"
      "           {ciphers, [\"TLS_AES_128_GCM_SHA256\", \"ECDHE-RSA-AES128-GCM-SHA256\"]}]}].\n");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->server.certfile, "/c.pem");
  EXPECT_EQ(r->server.keyfile, "/k.pem");
  EXPECT_EQ(r->server.cacertfile, "/ca.pem");
  EXPECT_TRUE(r->server.verify_peer);
  EXPECT_TRUE(r->server.fail_if_no_peer_cert);
  EXPECT_EQ(r->server.versions, std::vector<std::string>{"tlsv1.3"});
  EXPECT_FALSE(r->client.verify_peer);
  EXPECT_EQ(r->client.server_name_indication, "kate.example");
  EXPECT_EQ(r->client.ciphers.size(), 2u);
}

TEST(ssl_dist_optfile, a_bad_file_is_refused_with_the_reason) {
  auto not_a_list = dist::parse_ssl_dist_options("{server, []}.");
  ASSERT_FALSE(not_a_list);
  EXPECT_NE(not_a_list.error().find("[{server, Opts}, {client, Opts}]"), std::string::npos) << not_a_list.error();
  auto bad_verify = dist::parse_ssl_dist_options("[{server, [{verify, maybe}]}].");
  ASSERT_FALSE(bad_verify);
  EXPECT_NE(bad_verify.error().find("verify_peer or verify_none"), std::string::npos) << bad_verify.error();
  auto missing = dist::read_ssl_dist_optfile("/nonexistent/ssl_dist.conf");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("cannot open"), std::string::npos);
  auto no_cert = dist::engine_options{};
  no_cert.name = "x@localhost";
  no_cert.cookie = "c";
  no_cert.tls = dist::tls_options{};
  dist::engine e(no_cert);
  auto started = e.start();
  ASSERT_FALSE(started);
  EXPECT_NE(started.error().find("certfile"), std::string::npos) << started.error();
}

}  // namespace
