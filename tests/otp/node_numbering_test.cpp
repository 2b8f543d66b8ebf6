// Pids, ports and references of other nodes print with the printing node's own numbers: two
// nodes in one process each number the nodes they meet in their own order, themselves 0.
#include <gtest/gtest.h>

#include "otp_fixture.hpp"
#include "otpp/otp/io.hpp"
#include "otpp/otp/io_format.hpp"
#include "otpp/runtime/scoped_process.hpp"

namespace {

using namespace otpp;
using otpp::test::eventually;

struct node_numbering : otpp::test::otp_test {
  std::shared_ptr<io::string_output_sink> kate_out = std::make_shared<io::string_output_sink>();
  std::shared_ptr<io::string_output_sink> alex_out = std::make_shared<io::string_output_sink>();
  std::unique_ptr<otp::node> kate, alex;
  // Nodes neither test node is connected to; they are met only by printing their pids.
  const pid on_x{atom("numbering_x@elsewhere"), 5, 0, 1};
  const pid on_y{atom("numbering_y@elsewhere"), 6, 0, 1};

  void SetUp() override {
    otp_test::SetUp();
    kate = start_node("kate", kate_out);
    alex = start_node("alex", alex_out);
    ASSERT_TRUE(kate && alex);
  }
  void TearDown() override {
    alex.reset();
    kate.reset();
  }
};

TEST_F(node_numbering, two_nodes_in_one_process_number_remote_pids_in_the_order_each_met_them) {
  scoped_process on_kate(kate->rt());
  scoped_process on_alex(alex->rt());
  // kate meets x first, alex meets y first; each io server prints with its own node's table.
  EXPECT_TRUE(io::format(on_kate, "~p ~p~n", {term(on_x), term(on_y)}).is_atom(atoms::ok));
  EXPECT_TRUE(io::format(on_alex, "~p ~p~n", {term(on_y), term(on_x)}).is_atom(atoms::ok));
  EXPECT_TRUE(io::format(on_kate, "~w~n", {term(on_y)}).is_atom(atoms::ok));
  EXPECT_TRUE(io::format(on_alex, "~w~n", {term(on_x)}).is_atom(atoms::ok));
  ASSERT_TRUE(eventually([&] { return kate_out->text().size() >= 22; })) << kate_out->text();
  ASSERT_TRUE(eventually([&] { return alex_out->text().size() >= 22; })) << alex_out->text();
  EXPECT_EQ(kate_out->text(), "<100.5.0> <101.6.0>\n<101.6.0>\n");
  EXPECT_EQ(alex_out->text(), "<100.6.0> <101.5.0>\n<101.5.0>\n");
}

TEST_F(node_numbering, a_node_prints_its_own_pids_as_zero_and_the_other_nodes_by_its_table) {
  scoped_process on_kate(kate->rt());
  const term kate_pid(on_kate.self());
  const std::string local = std::to_string(on_kate.self().id);
  auto as_kate = io::format(term::string("~p"), list_of(kate_pid), &kate->services().numbering());
  auto as_alex = io::format(term::string("~p ~p"), list_of(on_y, kate_pid), &alex->services().numbering());
  ASSERT_TRUE(as_kate.ok() && as_alex.ok());
  EXPECT_EQ(as_kate.value(), "<0." + local + ".0>");
  EXPECT_EQ(as_alex.value(), "<100.6.0> <101." + local + ".0>");
  // Without a node's numbering (a pure formatting call) every node prints as 0.
  EXPECT_EQ(io::format(term::string("~p"), list_of(on_y)).value(), "<0.6.0>");
}

}  // namespace
