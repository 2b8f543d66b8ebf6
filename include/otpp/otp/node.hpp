// A whole node in one object: runtime, distribution engine, export table and services, wired
// in the order they need (the engine hands incoming signals to the runtime, the runtime hands
// outgoing ones to the engine), exactly as a node wired by hand.
//
//   auto kate = otpp::otp::node::start({.dist = {.name = "kate@localhost"}});
//   kate->exports().add_elixir("Kate", "say_name", say_name);
//   otpp::scoped_process me(kate->rt());
#pragma once

#include <memory>

#include "otpp/dist/engine.hpp"
#include "otpp/dist/result.hpp"
#include "otpp/otp/exports.hpp"
#include "otpp/otp/services.hpp"
#include "otpp/runtime/runtime.hpp"

namespace otpp::otp {

struct node_options {
  /// The node's name and distribution settings; an empty name makes a node that is not
  /// distributed (`nonode@nohost`), as `iex` without `--sname`.
  dist::engine_options dist;
  runtime_options runtime;
  services_options services;
};

/// A running node. Destroying it stops the services, the distribution (unregistering from
/// the port mapper) and the runtime, in that order. Every scoped_process of it must be
/// destroyed first.
class node {
 public:
  /// Starts a node; fails (with the engine's reason: a taken name, no port mapper, ...)
  /// without leaving anything running.
  [[nodiscard]] static dist::result<std::unique_ptr<node>> start(node_options options);
  ~node();
  node(const node&) = delete;
  node& operator=(const node&) = delete;

  [[nodiscard]] atom name() const noexcept { return rt_->node(); }
  [[nodiscard]] runtime& rt() noexcept { return *rt_; }
  /// nullptr when not distributed.
  [[nodiscard]] dist::engine* engine() noexcept { return engine_.get(); }
  [[nodiscard]] export_table& exports() noexcept { return *exports_; }
  [[nodiscard]] node_services& services() noexcept { return *services_; }

 private:
  node() = default;
  std::unique_ptr<export_table> exports_;
  std::unique_ptr<dist::engine> engine_;
  std::unique_ptr<runtime> rt_;
  std::unique_ptr<node_services> services_;
};

}  // namespace otpp::otp
