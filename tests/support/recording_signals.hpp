// A stand-in for the runtime in distribution tests: records every signal the distribution
// layer hands to `remote_signals` as a term (`{deliver, To, Msg}`, `{link, From, To}`, ...)
// and lets a test wait, bounded, for one that matches.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "otpp/runtime/distribution.hpp"
#include "otpp/term/term.hpp"

namespace otpp::test {

class recording_signals final : public remote_signals {
 public:
  void deliver(const pid& to, term msg) override { add(tuple_of(atom("deliver"), to, std::move(msg))); }
  void deliver_named(atom name, term msg) override { add(tuple_of(atom("deliver_named"), name, std::move(msg))); }
  void deliver_alias(const reference& alias, term msg) override {
    add(tuple_of(atom("deliver_alias"), alias, std::move(msg)));
  }
  void link(const pid& from, const pid& to) override { add(tuple_of(atom("link"), from, to)); }
  void unlink(const pid& from, const pid& to, std::uint64_t id) override {
    add(tuple_of(atom("unlink"), from, to, static_cast<unsigned long long>(id)));
  }
  void unlink_ack(const pid& from, const pid& to, std::uint64_t id) override {
    add(tuple_of(atom("unlink_ack"), from, to, static_cast<unsigned long long>(id)));
  }
  void exit(const pid& from, const pid& to, term reason, bool is_exit2) override {
    add(tuple_of(atom(is_exit2 ? "exit2" : "exit"), from, to, std::move(reason)));
  }
  void exit_via(const pid& from, const term& target, term reason) override {
    add(tuple_of(atom("exit_via"), from, target, std::move(reason)));
  }
  void monitor(const pid& watcher, const term& target, const reference& ref) override {
    add(tuple_of(atom("monitor"), watcher, target, ref));
  }
  void demonitor(const pid& watcher, const term& target, const reference& ref) override {
    add(tuple_of(atom("demonitor"), watcher, target, ref));
  }
  void monitor_down(const pid& watcher, const term& target, const reference& ref, term reason) override {
    add(tuple_of(atom("monitor_down"), watcher, target, ref, std::move(reason)));
  }
  void group_leader(const pid& from, const pid& to, const pid& leader) override {
    add(tuple_of(atom("group_leader"), from, to, leader));
  }
  void spawn_request(remote_spawn_request r) override {
    add(term::tuple({atom("spawn_request"), r.req_id, r.from, r.group_leader, r.module, r.function,
                     r.args, term::boolean(r.link), term::boolean(r.monitor)}));
  }
  void spawn_reply(const pid& to, const reference& req_id, term result, bool link, bool monitor) override {
    add(term::tuple({atom("spawn_reply"), to, req_id, std::move(result), term::boolean(link),
                     term::boolean(monitor)}));
  }
  void node_down(atom node) override { add(tuple_of(atom("node_down"), node)); }

  /// Waits for (and removes) the first recorded signal `match` accepts.
  std::optional<term> wait_for(const std::function<bool(const term&)>& match,
                               std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mu_);
    std::optional<term> found;
    cv_.wait_for(lock, timeout, [&] {
      for (auto it = events_.begin(); it != events_.end(); ++it) {
        if (match(*it)) {
          found = *it;
          events_.erase(it);
          return true;
        }
      }
      return false;
    });
    return found;
  }

  /// Waits for a signal of kind `tag` (its first element) that `match` accepts.
  std::optional<term> wait_for_kind(const char* tag, const std::function<bool(const term&)>& match = {},
                                    std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    atom a(tag);
    return wait_for([&](const term& t) { return t[0].is_atom(a) && (!match || match(t)); }, timeout);
  }

  /// How many signals are recorded (not yet taken).
  std::size_t size() const {
    std::lock_guard lock(mu_);
    return events_.size();
  }

  /// Counts `deliver` signals without keeping them (for volume tests).
  void count_only_deliveries(bool on) {
    std::lock_guard lock(mu_);
    count_only_ = on;
  }
  std::size_t delivered() const {
    std::lock_guard lock(mu_);
    return delivered_;
  }

 private:
  void add(term t) {
    std::lock_guard lock(mu_);
    if (t[0].is_atom(atom("deliver"))) {
      ++delivered_;
      if (count_only_) {
        cv_.notify_all();
        return;
      }
    }
    events_.push_back(std::move(t));
    cv_.notify_all();
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<term> events_;
  bool count_only_ = false;
  std::size_t delivered_ = 0;
};

}  // namespace otpp::test
