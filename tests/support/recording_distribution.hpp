// A stand-in for the distribution layer in runtime tests: records every call the runtime makes
// to `distribution` as one line of text (`send <0.1.0> <far.5.0> hello`, ...).
#pragma once

#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "otpp/runtime/distribution.hpp"
#include "otpp/term/print.hpp"

namespace otpp::test {

class recording_distribution final : public distribution {
 public:
  void send(const pid& from, const pid& to, term msg) override { add("send", from, to, msg); }
  void send_named(const pid& from, atom name, atom node, term msg) override {
    add("send_named", from, tuple_of(name, node), msg);
  }
  void send_alias(const pid& from, const reference& alias, term msg) override { add("send_alias", from, alias, msg); }
  void link(const pid& from, const pid& to) override { add("link", from, to); }
  void unlink(const pid& from, const pid& to, std::uint64_t) override { add("unlink", from, to); }
  void unlink_ack(const pid& from, const pid& to, std::uint64_t id) override {
    add("unlink_ack", from, to, static_cast<long long>(id));
  }
  void exit(const pid& from, const pid& to, term reason, bool is_exit2) override {
    add(is_exit2 ? "exit2" : "exit", from, to, reason);
  }
  void monitor(const pid& watcher, const term& target, atom node, const reference&) override {
    add("monitor", watcher, target, node);
  }
  void demonitor(const pid& watcher, const term& target, atom node, const reference&) override {
    add("demonitor", watcher, target, node);
  }
  void monitor_exit(const term& target, const pid& watcher, const reference&, term reason) override {
    add("monitor_exit", target, watcher, reason);
  }
  void group_leader(const pid& from, const pid& to, const pid& leader) override { add("group_leader", from, to, leader); }
  void spawn_request(atom node, const remote_spawn_request& r) override {
    add("spawn_request", node, r.from, r.module, r.function, r.args, r.opts);
  }
  void spawn_reply(const pid& to, const reference&, term result, bool link, bool monitor) override {
    add("spawn_reply", to, result, atom(link ? "link" : "nolink"), atom(monitor ? "monitor" : "nomonitor"));
  }

  std::vector<std::string> take() {
    std::lock_guard lk(m_);
    return std::exchange(calls_, {});
  }

 private:
  template <class... Ts>
  void add(const char* what, const Ts&... xs) {
    std::string s = what;
    ((s += " " + str(term(xs))), ...);
    std::lock_guard lk(m_);
    calls_.push_back(std::move(s));
  }
  std::mutex m_;
  std::vector<std::string> calls_;
};

}  // namespace otpp::test
