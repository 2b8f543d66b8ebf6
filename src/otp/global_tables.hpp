// What the global name server, its locker and its registrar share: the protocol's atoms and
// the node's copy of the cluster's name and lock tables.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "otpp/otp/services.hpp"
#include "otpp/runtime/process.hpp"

namespace otpp::otp::global::detail {

const atom a_gns("global_name_server");
const atom a_global("global");
const atom a_init_connect("init_connect");
const atom a_init_connect_ack("init_connect_ack");
const atom a_cancel_connect("cancel_connect");
const atom a_locker("locker");
const atom a_lock_set("lock_set");
const atom a_lock_is_set("lock_is_set");
const atom a_exchange("exchange");
const atom a_resolved("resolved");
const atom a_new_nodes("new_nodes");
const atom a_in_sync("in_sync");
const atom a_set_lock("set_lock");
const atom a_del_lock("del_lock");
const atom a_register("register");
const atom a_register_ext("register_ext");
const atom a_unregister("unregister");
const atom a_get_known("get_known");
const atom a_get_synced("get_synced");
const atom a_get_protocol_version("get_protocol_version");
const atom a_sync("sync");
const atom a_synced("synced");
const atom a_whereis("whereis");
const atom a_his_the_locker("his_the_locker");
const atom a_cancel("cancel");
const atom a_no_fun("no_fun");
const atom a_insert("insert");
const atom a_delete("delete");
const atom a_vsn("vsn");
const atom a_lock("lock");
const atom a_unused("unused");
const atom a_add_to_known("add_to_known");
const atom a_remove_from_known("remove_from_known");
const atom a_no_longer_a_pid("no_longer_a_pid");
const atom a_random_exit_name("random_exit_name");
const atom a_random_notify_name("random_notify_name");
const atom a_notify_all_name("notify_all_name");
const atom a_global_name_conflict("global_name_conflict");
const atom a_prepare_shutdown("prepare_shutdown");
// otpp's own requests to its local server (C++ callers have no funs to hand the registrar).
const atom a_otpp_registrar("$otpp_registrar");
const atom a_otpp_new_nodes("$otpp_new_nodes");
const atom a_trans("trans");

constexpr int protocol_version = 8;
constexpr std::chrono::milliseconds call_timeout = std::chrono::seconds(10);

// ---- the node's copy of the cluster's tables -----------------------------------------------

struct name_entry {
  pid p;
  term method;
  reference mon;
};

struct lock_entry {
  term requester;
  std::vector<std::pair<pid, reference>> holders;
};

// Written by the server process only; read by the locker, the registrar and C++ callers.
struct registry {
  mutable std::mutex mu;
  std::unordered_map<term, name_entry> names;
  std::unordered_map<term, lock_entry> locks;  // by resource id
  std::vector<std::pair<atom, int>> known;     // node, global protocol version
  std::vector<atom> synced;

  std::vector<atom> known_nodes() const {
    std::lock_guard lock(mu);
    std::vector<atom> out;
    for (auto& [n, v] : known) out.push_back(n);
    return out;
  }
  bool global_lock_set() const {
    std::lock_guard lock(mu);
    return locks.contains(term(a_global));
  }
  // can_set_lock/1: free, or held for the same requester.
  bool can_set_lock(const term& id) const {
    std::lock_guard lock(mu);
    auto it = locks.find(id[0]);
    return it == locks.end() || exact_equal(it->second.requester, id[1]);
  }
};

std::shared_ptr<registry> registry_of(runtime& rt);
atom boss_of(std::vector<atom> nodes);
bool valid_lock_id(const term& id);
term node_list_term(const std::vector<atom>& nodes);
std::vector<atom> atoms_of(const term& list);

// Register/unregister under the lock {global, Registrar} on every node (the registrar process).
process_task registrar(process& self, std::shared_ptr<registry> reg);
// Takes the global lock for one pair of nodes at a time (the locker process).
process_task locker(process& self, std::shared_ptr<registry> reg);

}  // namespace otpp::otp::global::detail
