// Scenario 080, a node and its port mapper: with nothing on the port mapper port a node
// starts the embedded one (and erl can use it); with Debian's real epmd there it registers
// there instead; node names and the cookie file follow erl's rules.
#include <sys/stat.h>

#include "dist/dist_fixture.hpp"

using namespace otpp;
using namespace otpp::test;

namespace {
std::unique_ptr<dist::engine> engine_on(std::uint16_t epmd, const std::string& name) {
  dist::engine_options o;
  o.name = name;
  o.cookie = "otpp_test_cookie";
  o.epmd_port = epmd;
  o.listen_address = "127.0.0.1";
  o.log = [](std::string_view) {};
  auto e = std::make_unique<dist::engine>(o);
  auto r = e->start();
  EXPECT_TRUE(r) << r.error();
  return e;
}
}  // namespace

TEST(node_epmd, without_a_port_mapper_the_node_starts_the_embedded_one_and_erl_uses_it) {
  auto port = free_port();
  auto a = engine_on(port, unique_name("emb") + "@localhost");
  EXPECT_TRUE(a->runs_embedded_epmd());
  auto names = dist::epmd_names({"127.0.0.1", port, 3s});
  ASSERT_TRUE(names);
  ASSERT_EQ(names->size(), 1u);
  erl_peer erl(unique_name("erl"), port);
  ASSERT_TRUE(erl.ready()) << erl.process().output();
  EXPECT_EQ(erl.eval("net_adm:ping(" + quoted(std::string(a->name().name())) + ")."), "pong");
  // A second otpp node finds the first one's port mapper and does not start another.
  auto b = engine_on(port, unique_name("emb") + "@localhost");
  EXPECT_FALSE(b->runs_embedded_epmd());
  EXPECT_EQ(b->ping(a->name()), atoms::pong);
  EXPECT_EQ(b->ping(atom(erl.node())), atoms::pong);
}

TEST(node_epmd, with_debians_epmd_the_node_registers_there) {
  auto port = free_port();
  epmd_process epmd(port);
  ASSERT_TRUE(eventually([&] { return dist::epmd_reachable({"127.0.0.1", port, 1s}); }));
  auto a = engine_on(port, unique_name("real") + "@localhost");
  EXPECT_FALSE(a->runs_embedded_epmd());
  erl_peer erl(unique_name("erl"), port);
  ASSERT_TRUE(erl.ready());
  EXPECT_EQ(erl.eval("net_adm:ping(" + quoted(std::string(a->name().name())) + ")."), "pong");
  EXPECT_EQ(a->ping(atom(erl.node())), atoms::pong);
}

TEST(node_epmd, a_taken_name_is_a_clear_error) {
  auto port = free_port();
  std::string name = unique_name("taken") + "@localhost";
  auto a = engine_on(port, name);
  dist::engine_options o;
  o.name = name;
  o.cookie = "c";
  o.epmd_port = port;
  o.listen_address = "127.0.0.1";
  dist::engine b(o);
  auto r = b.start();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("in use"), std::string::npos) << r.error();
}

TEST(node_names, short_and_long_names_follow_erl) {
  auto s = dist::make_node_name("kate@localhost", dist::name_kind::short_names);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->full(), "kate@localhost");
  auto bare = dist::make_node_name("kate", dist::name_kind::short_names);
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->host, dist::local_host_name(dist::name_kind::short_names));
  EXPECT_EQ(bare->host.find('.'), std::string::npos);
  EXPECT_FALSE(dist::make_node_name("kate@host.example.com", dist::name_kind::short_names));
  EXPECT_TRUE(dist::make_node_name("kate@host.example.com", dist::name_kind::long_names));
  EXPECT_TRUE(dist::make_node_name("kate@127.0.0.1", dist::name_kind::long_names));
  EXPECT_FALSE(dist::make_node_name("kate@plainhost", dist::name_kind::long_names));
  EXPECT_FALSE(dist::make_node_name("ka te@localhost", dist::name_kind::short_names));
  EXPECT_FALSE(dist::make_node_name("", dist::name_kind::short_names));
}

TEST(node_names, erl_agrees_on_the_bare_short_name) {
  auto port = free_port();
  epmd_process epmd(port);
  ASSERT_TRUE(eventually([&] { return dist::epmd_reachable({"127.0.0.1", port, 1s}); }));
  std::string alive = unique_name("bare");
  child_process erl({{"erl", "-sname", alive, "-noshell", "-start_epmd", "false", "-setcookie", "c", "-eval",
                      "io:format(\"~s~n\", [node()]), halt()."},
                     {{"ERL_EPMD_PORT", std::to_string(port)}},
                     true});
  auto ours = dist::make_node_name(alive, dist::name_kind::short_names);
  ASSERT_TRUE(ours);
  EXPECT_TRUE(erl.wait_for(ours->full(), 20s)) << erl.output();
}

TEST(cookie, a_missing_cookie_file_is_created_with_twenty_capitals_and_mode0400) {
  std::string dir = "/tmp/otpp_cookie_" + unique_name("t");
  ::mkdir(dir.c_str(), 0700);
  std::string path = dir + "/.erlang.cookie";
  auto c = dist::read_or_create_cookie(path);
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->size(), 20u);
  for (char ch : *c) EXPECT_TRUE(ch >= 'A' && ch <= 'Z');
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0400u);
  auto again = dist::read_or_create_cookie(path);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *c);
  ::unlink(path.c_str());
  ::rmdir(dir.c_str());
}

TEST(cookie, erl_reads_the_cookie_otpp_created) {
  std::string dir = "/tmp/otpp_home_" + unique_name("t");
  ::mkdir(dir.c_str(), 0700);
  auto c = dist::read_or_create_cookie(dir + "/.erlang.cookie");
  ASSERT_TRUE(c);
  // Only a distributed erl reads the cookie file.
  auto port = free_port();
  epmd_process epmd(port);
  ASSERT_TRUE(eventually([&] { return dist::epmd_reachable({"127.0.0.1", port, 1s}); }));
  child_process alive({{"erl", "-sname", unique_name("ck"), "-noshell", "-start_epmd", "false", "-eval",
                        "io:format(\"~s~n\", [erlang:get_cookie()]), halt()."},
                       {{"HOME", dir}, {"ERL_EPMD_PORT", std::to_string(port)}},
                       true});
  EXPECT_TRUE(alive.wait_for(*c, 20s)) << alive.output();
  ::unlink((dir + "/.erlang.cookie").c_str());
  ::rmdir(dir.c_str());
}
