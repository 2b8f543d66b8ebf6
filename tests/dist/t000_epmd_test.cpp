// Scenario 000, the port mapper: otpp's EPMD client and embedded server against Debian's real
// `epmd` and a real `erl`, each test with its own port mapper on a free port.
#include <gtest/gtest.h>

#include <mutex>
#include <thread>

#include "otpp/dist/epmd.hpp"
#include "support/erl_peer.hpp"
#include "support/eventually.hpp"
#include "support/ports.hpp"

using namespace otpp::dist;
using namespace std::chrono_literals;
using otpp::test::child_process;

namespace {

epmd_address local(std::uint16_t port) { return epmd_address{"127.0.0.1", port, 3000ms}; }

using otpp::test::eventually;

bool names_contain(std::uint16_t epmd_port, const std::string& name) {
  auto names = epmd_names(local(epmd_port));
  if (!names) return false;
  for (auto& [n, p] : *names)
    if (n == name) return true;
  return false;
}

// Output of Debian's `epmd -port P -names` (the client mode of the real daemon), once it
// printed `expected` or gave up.
std::string real_epmd_names(std::uint16_t port, const std::string& expected) {
  child_process c({{"epmd", "-port", std::to_string(port), "-names"}, {}, true});
  (void)c.wait_for(expected, 5s);
  return c.output();
}

std::unique_ptr<epmd_server> start_embedded() {
  auto s = epmd_server::start({.bind_address = "127.0.0.1", .port = 0, .log = {}, .quiet = true});
  if (!s) ADD_FAILURE() << s.error();
  return s ? std::move(s.value()) : nullptr;
}

}  // namespace

TEST(epmd_codec, alive2_request_carries_every_field_behind_its_length) {
  epmd_node n{"kate", 4711, 77, 0, 6, 5, "x"};
  auto bytes = encode_alive2_req(n);
  ASSERT_EQ(bytes.size(), 2u + 1 + 2 + 1 + 1 + 2 + 2 + 2 + 4 + 2 + 1);
  EXPECT_EQ((bytes[0] << 8) | bytes[1], static_cast<int>(bytes.size() - 2));
  EXPECT_EQ(bytes[2], 120);
  auto back = decode_alive2_req(std::span(bytes).subspan(2));
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(*back, n);
}

TEST(epmd_codec, port2_response_with_result_code_is_a_failure) {
  auto miss = encode_port2_resp(std::nullopt);
  EXPECT_EQ(miss, (std::vector<std::uint8_t>{119, 1}));
  EXPECT_FALSE(decode_port2_resp(miss));
  epmd_node n{"alex", 1234, 77, 0, 6, 6, ""};
  auto hit = decode_port2_resp(encode_port2_resp(n));
  ASSERT_TRUE(hit);
  EXPECT_EQ(*hit, n);
}

TEST(epmd_codec, truncated_replies_are_errors_not_crashes) {
  auto full = encode_port2_resp(epmd_node{"alex", 1234, 77, 0, 6, 6, "extra"});
  for (std::size_t len = 0; len < full.size(); ++len)
    EXPECT_FALSE(decode_port2_resp(std::span(full).first(len))) << len;
}

TEST(epmd_codec, names_reply_lines_parse) {
  auto names = parse_names("name kate at port 4711\nname alex at port 1234\ngarbage\n");
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(names[0], (std::pair<std::string, std::uint16_t>{"kate", 4711}));
  EXPECT_EQ(names[1], (std::pair<std::string, std::uint16_t>{"alex", 1234}));
}

TEST(epmd_codec, erl_epmd_port_comes_from_the_environment) {
  ::setenv("ERL_EPMD_PORT", "4999", 1);
  EXPECT_EQ(epmd_port_from_env(), 4999);
  ::unsetenv("ERL_EPMD_PORT");
  EXPECT_EQ(epmd_port_from_env(), 4369);
}

TEST(embedded_epmd, registers_looks_up_and_unregisters_when_the_connection_closes) {
  auto server = start_embedded();
  ASSERT_TRUE(server);
  auto name = otpp::test::unique_name("reg");
  {
    auto reg = epmd_registration::register_node(local(server->port()), {name, 4711, 77, 0, 6, 6, ""});
    ASSERT_TRUE(reg) << reg.error();
    EXPECT_NE(reg->creation(), 0u);
    EXPECT_TRUE(names_contain(server->port(), name));
    auto found = epmd_port_please(local(server->port()), name);
    ASSERT_TRUE(found) << found.error();
    EXPECT_EQ(found->port, 4711);
    EXPECT_EQ(found->highest_version, 6);
  }
  EXPECT_TRUE(eventually([&] { return !names_contain(server->port(), name); }));
  EXPECT_FALSE(epmd_port_please(local(server->port()), name));
}

TEST(embedded_epmd, a_name_with_control_characters_is_logged_escaped) {
  std::mutex mu;
  std::string log;
  auto s = epmd_server::start({.bind_address = "127.0.0.1", .port = 0, .log = [&](std::string_view line) {
    std::lock_guard lock(mu);
    log.append(line).push_back('|');
  }});
  ASSERT_TRUE(s) << s.error();
  {
    auto reg = epmd_registration::register_node(local((*s)->port()), {"evil\n\x1b]0;x\a", 4711, 77, 0, 6, 6, ""});
    ASSERT_TRUE(reg) << reg.error();
  }
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mu);
    return log.find("unregistered") != std::string::npos;
  }));
  std::lock_guard lock(mu);
  EXPECT_NE(log.find("registered 'evil\\n\\e]0;x\\007'"), std::string::npos) << log;
  EXPECT_EQ(log.find_first_of("\n\x1b\a"), std::string::npos) << log;
}

TEST(embedded_epmd, refuses_a_name_that_is_registered_already) {
  auto server = start_embedded();
  ASSERT_TRUE(server);
  auto name = otpp::test::unique_name("dup");
  auto first = epmd_registration::register_node(local(server->port()), {name, 1000, 77, 0, 6, 6, ""});
  ASSERT_TRUE(first);
  auto second = epmd_registration::register_node(local(server->port()), {name, 1001, 77, 0, 6, 6, ""});
  EXPECT_FALSE(second);
  EXPECT_NE(second.error().find(name), std::string::npos);
}

TEST(embedded_epmd, a_new_registration_of_the_same_name_gets_a_new_creation) {
  auto server = start_embedded();
  ASSERT_TRUE(server);
  auto name = otpp::test::unique_name("cre");
  std::uint32_t first = 0;
  {
    auto reg = epmd_registration::register_node(local(server->port()), {name, 1000, 77, 0, 6, 6, ""});
    ASSERT_TRUE(reg);
    first = reg->creation();
  }
  ASSERT_TRUE(eventually([&] { return !names_contain(server->port(), name); }));
  auto again = epmd_registration::register_node(local(server->port()), {name, 1000, 77, 0, 6, 6, ""});
  ASSERT_TRUE(again);
  EXPECT_NE(again->creation(), first);
}

TEST(embedded_epmd, taken_port_is_reported_not_fatal) {
  auto server = start_embedded();
  ASSERT_TRUE(server);
  auto second = epmd_server::start({.bind_address = "127.0.0.1", .port = server->port(), .log = {}, .quiet = true});
  EXPECT_FALSE(second);
}

TEST(embedded_epmd, real_erl_registers_and_real_epmd_names_lists_it) {
  auto server = start_embedded();
  ASSERT_TRUE(server);
  otpp::test::erl_peer erl(otpp::test::unique_name("erl"), server->port());
  ASSERT_TRUE(erl.ready()) << erl.process().output();
  auto alive = erl.node().substr(0, erl.node().find('@'));
  EXPECT_TRUE(names_contain(server->port(), alive));
  auto listing = real_epmd_names(server->port(), "name " + alive + " at port");
  EXPECT_NE(listing.find("name " + alive + " at port"), std::string::npos) << listing;
  // erl looks itself up through our server, as a peer connecting to it would.
  auto looked_up = erl.eval("erl_epmd:port_please(\"" + alive + "\", \"localhost\").");
  ASSERT_TRUE(looked_up);
  auto ours = epmd_port_please(local(server->port()), alive);
  ASSERT_TRUE(ours);
  EXPECT_EQ(*looked_up, "{port," + std::to_string(ours->port) + ",6}");
  // Killing erl drops its registration.
  erl.kill();
  EXPECT_TRUE(eventually([&] { return !names_contain(server->port(), alive); }));
}

TEST(real_epmd, otpp_registers_with_debian_epmd_and_erl_finds_it) {
  auto port = otpp::test::free_port();
  otpp::test::epmd_process epmd(port);
  ASSERT_TRUE(eventually([&] { return epmd_reachable(local(port)); }));
  auto name = otpp::test::unique_name("otpp");
  auto reg = epmd_registration::register_node(local(port), {name, 4712, 77, 0, 6, 6, ""});
  ASSERT_TRUE(reg) << reg.error();
  EXPECT_NE(reg->creation(), 0u);
  auto listing = real_epmd_names(port, "name " + name + " at port 4712");
  EXPECT_NE(listing.find("name " + name + " at port 4712"), std::string::npos) << listing;
  otpp::test::erl_peer erl(otpp::test::unique_name("erl"), port);
  ASSERT_TRUE(erl.ready()) << erl.process().output();
  EXPECT_EQ(erl.eval("erl_epmd:port_please(\"" + name + "\", \"localhost\")."), "{port,4712,6}");
  auto erl_alive = erl.node().substr(0, erl.node().find('@'));
  auto found = epmd_port_please(local(port), erl_alive);
  ASSERT_TRUE(found) << found.error();
  EXPECT_GT(found->port, 0);
  EXPECT_EQ(found->node_type, 77);
}
