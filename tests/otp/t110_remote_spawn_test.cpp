// Scenario 110, remote spawn between two otpp nodes: the lesson's say_name prints on the
// caller's node and nowhere else, the {hi, Pid} -> sup? exchange, undef, noconnection.
#include <gtest/gtest.h>

#include "otp_fixture.hpp"
#include "otpp/otp/io.hpp"
#include "otpp/otp/rpc.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/print.hpp"

namespace {

using namespace otpp;
using namespace std::chrono_literals;
using otpp::test::eventually;

process_task say_name(process& self) {
  (void)co_await io::put_chars(self, "Hi, my name is Kate\n");
}

process_task reply_sup(process& self) {
  co_await self.receive(on(atom("hi"), any_pid) >>
                        [&](pid alex) { self.send(alex, atom("sup?")); });
}

struct remote_spawn : otpp::test::otp_test {
  std::shared_ptr<io::string_output_sink> kate_out = std::make_shared<io::string_output_sink>();
  std::shared_ptr<io::string_output_sink> alex_out = std::make_shared<io::string_output_sink>();
  std::unique_ptr<otp::node> kate, alex;
  const atom Kate{"Elixir.Kate"};

  void SetUp() override {
    otp_test::SetUp();
    kate = start_node("kate", kate_out);
    alex = start_node("alex", alex_out);
    ASSERT_TRUE(kate && alex);
    kate->exports().add_elixir("Kate", "say_name", say_name);
    kate->exports().add_elixir("Kate", "reply_sup", reply_sup);
    kate->exports().add_elixir("Kate", "add",
                               [](term a, term b) { return term(*a.to_int64() + *b.to_int64()); });
  }
  void TearDown() override {
    alex.reset();
    kate.reset();
  }
};

TEST_F(remote_spawn, say_name_spawned_on_kate_prints_on_alex_and_not_on_kate) {
  scoped_process me(alex->rt());
  me.trap_exit(true);
  pid p = remote::spawn_link(me, kate->name(), Kate, atom("say_name"), {});
  EXPECT_EQ(p.node, kate->name());
  ASSERT_TRUE(eventually([&] { return alex_out->text() == "Hi, my name is Kate\n"; }))
      << alex_out->text();
  auto exit = me.receive_for(5s);
  ASSERT_TRUE(exit);
  EXPECT_EQ(to_string(*exit), to_string(tuple_of(atoms::EXIT, p, atoms::normal)));
  EXPECT_EQ(kate_out->text(), "");
}

TEST_F(remote_spawn, a_spawned_process_answers_messages_across_nodes) {
  scoped_process me(alex->rt());
  pid p = remote::spawn_link(me, kate->name(), Kate, atom("reply_sup"), {});
  me.send(p, tuple_of(atom("hi"), me.self()));
  auto r = me.receive_for(5s);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->is_atom(atom("sup?"))) << to_string(*r);
}

TEST_F(remote_spawn, an_undefined_function_spawns_and_then_exits_with_undef) {
  scoped_process me(alex->rt());
  me.trap_exit(true);
  pid p = remote::spawn_link(me, kate->name(), Kate, atom("nosuch"), {term(1), term(2)});
  auto r = me.receive_for(5s);
  ASSERT_TRUE(r);
  EXPECT_EQ(to_string(*r),
            "{'EXIT'," + to_string(term(p)) + ",{undef,[{'Elixir.Kate',nosuch,[1,2],[]}]}}");
  // As between BEAM nodes, the error report prints on alex, where the group leader is (kate
  // sends it to alex's logger_proxy), and not on kate.
  ASSERT_TRUE(eventually([&] {
    return alex_out->text().find("{undef,[{'Elixir.Kate',nosuch,[1,2],[]}]}") != std::string::npos;
  })) << alex_out->text();
  const std::string report = alex_out->text();
  print_options as_alex;
  as_alex.node_number = alex->services().numbering();
  EXPECT_EQ(report.rfind("=ERROR REPORT==== ", 0), 0u) << report;
  EXPECT_NE(report.find(" ===\nError in process " + to_string(term(p), as_alex) +
                        " on node " + std::string(kate->name().name()) +
                        " with exit value:\n{undef,[{'Elixir.Kate',nosuch,[1,2],[]}]}\n\n"),
            std::string::npos)
      << report;
  EXPECT_EQ(kate_out->text(), "");
}

TEST_F(remote_spawn, spawn_monitor_of_an_undefined_function_gives_down_undef) {
  scoped_process me(alex->rt());
  auto [p, ref] = remote::spawn_monitor(me, kate->name(), Kate, atom("nosuch"), {});
  auto r = me.receive_for(5s);
  ASSERT_TRUE(r);
  EXPECT_EQ(
      to_string(*r),
      to_string(term::tuple(
          {atoms::DOWN, ref, atoms::process, p,
           tuple_of(atoms::undef, list_of(term::tuple({Kate, atom("nosuch"), term(), term()})))})));
}

TEST_F(remote_spawn, a_node_that_does_not_exist_gives_noconnection) {
  scoped_process me(alex->rt());
  me.trap_exit(true);
  atom ghost("ghost" + std::to_string(::getpid()) + "@localhost");
  pid p = remote::spawn_link(me, ghost, Kate, atom("say_name"), {});
  auto r = me.receive_for(15s);
  ASSERT_TRUE(r);
  EXPECT_EQ(to_string(*r), to_string(tuple_of(atoms::EXIT, p, atoms::noconnection)));
  auto [q, ref] = remote::spawn_monitor(me, ghost, Kate, atom("say_name"), {});
  auto down = me.receive_for(15s);
  ASSERT_TRUE(down);
  EXPECT_EQ(to_string(*down),
            to_string(term::tuple({atoms::DOWN, ref, atoms::process, q, atoms::noconnection})));
}

TEST_F(remote_spawn, a_plain_function_can_be_spawned_too_and_ends_normally) {
  scoped_process me(alex->rt());
  auto [p, ref] = remote::spawn_monitor(me, kate->name(), Kate, atom("add"), {term(1), term(2)});
  auto down = me.receive_for(5s);
  ASSERT_TRUE(down);
  EXPECT_EQ(to_string(*down),
            to_string(term::tuple({atoms::DOWN, ref, atoms::process, p, atoms::normal})));
}

}  // namespace

namespace {

process_task quick_exit(process&) { co_return; }

// A body that ends at once must still give its linked / monitoring spawner a signal.
TEST_F(remote_spawn, a_process_body_that_ends_at_once_still_signals_its_spawner) {
  kate->exports().add("bench", "quick", quick_exit);
  scoped_process me(alex->rt());
  me.trap_exit(true);
  for (int i = 0; i < 50; ++i) {
    pid p = remote::spawn_link(me, kate->name(), atom("bench"), atom("quick"), {});
    auto r = me.receive_for(5s);
    ASSERT_TRUE(r) << "iteration " << i;
    ASSERT_TRUE(r->is_tagged_tuple(atoms::EXIT, 3) && r->elements()[1] == term(p)) << to_string(*r);
    auto [q, ref] = remote::spawn_monitor(me, kate->name(), atom("bench"), atom("quick"), {});
    auto d = me.receive_for(5s);
    ASSERT_TRUE(d) << "iteration " << i;
    ASSERT_TRUE(d->is_tagged_tuple(atoms::DOWN, 5) && exact_equal(d->elements()[1], term(ref))) << to_string(*d);
  }
}

}  // namespace
