// The engine as net_kernel: it answers other nodes' is_auth calls (so net_adm:ping/1 and
// Node.ping/1 work against otpp), and pings and connects to other nodes on request.
#include <future>

#include "engine_impl.hpp"

namespace otpp::dist {

void engine::impl::handle_net_kernel(const std::shared_ptr<peer>& p, const term& msg) {
  // {'$gen_call', {From, Tag}, {is_auth, Node}} -> {Tag, yes}, to the alias when Tag is
  // [alias|Ref] (OTP 24+), else to From.
  if (!msg.is_tagged_tuple(atoms::gen_call, 3)) return;
  const term& from_tag = msg[1];
  const term& request = msg[2];
  if (!from_tag.is_tuple() || from_tag.tuple_size() != 2 || !from_tag[0].is_pid()) return;
  if (!request.is_tagged_tuple(atoms::is_auth, 2)) return;
  pid from = from_tag[0].pid_value();
  term tag = from_tag[1];
  term reply = tuple_of(tag, atoms::yes);
  std::optional<reference> alias;
  if (tag.is_list() && !tag.is_nil() && tag.list_elements().size() == 1 && tag.list_elements()[0].is_atom(atoms::alias) &&
      tag.list_tail().is_reference())
    alias = tag.list_tail().reference_value();
  pid me = engine_pid();
  if (alias) {
    post_signal(p->name, me, [me, a = *alias, reply](bytes& out, std::uint64_t f) {
      return encode::alias_send(out, f, me, a, reply);
    });
  } else {
    post_signal(p->name, me, [me, from, reply](bytes& out, std::uint64_t f) { return encode::send(out, f, me, from, reply); });
  }
}

void engine::impl::finish_ping(const reference& ref, const term& answer) {
  auto it = pings.find(ref_key(ref));
  if (it == pings.end()) return;
  auto done = std::move(it->second.done);
  it->second.timer->cancel();
  pings.erase(it);
  done(answer.is_atom(atoms::yes) ? atoms::pong : atoms::pang);
}

bool engine::connect(atom node) {
  if (impl_->on_io_thread()) {  // blocking here would wait for ourselves
    impl_->log("connect() called from an engine callback; use connect_async()");
    return is_connected(node);
  }
  std::promise<bool> done;
  auto f = done.get_future();
  connect_async(node, [&done](bool ok) { done.set_value(ok); });
  return f.get();
}

void engine::connect_async(atom node, std::function<void(bool)> done) {
  auto& m = *impl_;
  if (node == name_) return done(true);
  if (!valid_peer_name(node) || m.stopping || !m.thread.joinable()) return done(false);
  auto p = m.get_peer(node);
  asio::post(m.io, [&m, p, done = std::move(done)]() mutable {
    if (m.stopping) return done(false);
    bool up = false, start = false;
    {
      std::lock_guard lock(p->mu);
      if (p->st == peer::state::up) {
        up = true;
      } else {
        if (p->st == peer::state::idle) p->st = peer::state::connecting;
        start = p->attempt == 0 && !p->waiting_after_nok && !p->inbound_pending;
      }
    }
    if (up) return done(true);
    p->connect_waiters.push_back(std::move(done));
    if (start) m.start_outgoing(p);
  });
}

atom engine::ping(atom node, std::chrono::milliseconds timeout) {
  if (impl_->on_io_thread()) {  // blocking here would wait for ourselves
    impl_->log("ping() called from an engine callback; use ping_async()");
    return is_connected(node) ? atoms::pong : atoms::pang;
  }
  std::promise<atom> done;
  auto f = done.get_future();
  ping_async(node, timeout, [&done](atom a) { done.set_value(a); });
  return f.get();
}

void engine::ping_async(atom node, std::chrono::milliseconds timeout, std::function<void(atom)> done) {
  auto& m = *impl_;
  if (node == name_) return done(atoms::pong);
  if (!valid_peer_name(node) || m.stopping || !m.thread.joinable()) return done(atoms::pang);
  asio::post(m.io, [this, &m, node, timeout, done = std::move(done)]() mutable {
    if (m.stopping) return done(atoms::pang);
    reference ref = m.make_ref();
    auto timer = std::make_shared<asio::steady_timer>(m.io, timeout);
    m.pings.emplace(ref_key(ref), impl::pending_ping{node, std::move(done), timer});
    timer->async_wait([&m, ref](const asio::error_code& ec) {
      if (ec) return;
      auto it = m.pings.find(ref_key(ref));
      if (it == m.pings.end()) return;
      auto d = std::move(it->second.done);
      m.pings.erase(it);
      d(atoms::pang);
    });
    pid me = m.engine_pid();
    term tag = term::list({atoms::alias}, term(ref));
    term call = tuple_of(atoms::gen_call, tuple_of(me, tag), tuple_of(atoms::is_auth, name_));
    m.post_signal(node, me, [me, call](bytes& out, std::uint64_t) { return encode::reg_send(out, me, atoms::net_kernel, call); });
  });
}

}  // namespace otpp::dist
