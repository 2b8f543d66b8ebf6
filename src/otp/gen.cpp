// gen_server call/cast/reply on the wire, as OTP 25's gen.erl does them.
#include "otpp/otp/gen.hpp"

#include "otpp/runtime/distribution.hpp"
#include "otpp/runtime/runtime.hpp"
#include "receive_timeout.hpp"

namespace otpp::gen {

namespace {

// [alias|Ref] is an improper list with the alias as its tail.
std::optional<reference> alias_of(const term& tag) {
  if (!tag.is_list() || tag.is_nil()) return std::nullopt;
  auto head = tag.list_elements();
  const term& tail = tag.list_tail();
  if (head.size() == 1 && head[0].is_atom(atoms::alias) && tail.is_reference())
    return tail.reference_value();
  // [[alias|Alias] | _]: a tag made by send_request/4 with a label.
  if (!head.empty() && head[0].is_list() && !head[0].is_nil()) return alias_of(head[0]);
  return std::nullopt;
}

term alias_tag(const reference& alias) {
  term head[1] = {term(atoms::alias)};
  return term::list_from(head, term(alias));
}

std::optional<atom> node_of(const destination& d, atom local) {
  if (auto p = std::get_if<pid>(&d.where)) return p->node;
  if (std::holds_alternative<atom>(d.where)) return local;
  return std::get<std::pair<atom, atom>>(d.where).second;
}

reference monitor_destination(basic_process& self, const destination& d) {
  if (auto p = std::get_if<pid>(&d.where)) return self.monitor(*p);
  if (auto n = std::get_if<atom>(&d.where)) return self.monitor(*n);
  auto& [name, node] = std::get<std::pair<atom, atom>>(d.where);
  return self.monitor(name, node);
}

// The call's monitor, then its request; to another node both leave in one write.
reference monitor_and_send(basic_process& self, const destination& to, term msg) {
  distribution* d = nullptr;
  if (node_of(to, self.rt().node()) != self.rt().node()) d = self.rt().get_distribution();
  if (d) d->hold_writes();
  reference mref = monitor_destination(self, to);
  (void)send(self, to, std::move(msg));
  if (d) d->release_writes();
  return mref;
}

term down_reason_to_exit(const term& reason, const destination& d, atom local) {
  if (reason.is_atom(atoms::noconnection)) return tuple_of(atom("nodedown"), *node_of(d, local));
  return reason;
}

}  // namespace

term destination::to_term() const {
  if (auto p = std::get_if<pid>(&where)) return *p;
  if (auto n = std::get_if<atom>(&where)) return *n;
  auto& [name, node] = std::get<std::pair<atom, atom>>(where);
  return tuple_of(name, node);
}

std::optional<call_request> parse_call(const term& msg) {
  if (!msg.is_tagged_tuple(atoms::gen_call, 3)) return std::nullopt;
  const term& f = msg[1];
  if (!f.is_tuple() || f.tuple_size() != 2 || !f[0].is_pid()) return std::nullopt;
  return call_request{{f[0].pid_value(), f[1]}, msg[2]};
}

std::optional<term> parse_cast(const term& msg) {
  if (!msg.is_tagged_tuple(atoms::gen_cast, 2)) return std::nullopt;
  return msg[1];
}

void reply(basic_process& self, const from& to, term r) {
  term msg = tuple_of(to.tag, std::move(r));
  if (auto a = alias_of(to.tag))
    self.send(*a, std::move(msg));
  else
    self.send(to.caller, std::move(msg));
}

void reply(runtime& rt, const from& to, term r) {
  term msg = tuple_of(to.tag, std::move(r));
  if (auto a = alias_of(to.tag))
    rt.send(*a, std::move(msg));
  else
    rt.send(to.caller, std::move(msg));
}

bool send(basic_process& self, const destination& to, term msg) {
  if (auto p = std::get_if<pid>(&to.where)) {
    self.send(*p, std::move(msg));
    return true;
  }
  if (auto n = std::get_if<atom>(&to.where)) return self.send(*n, std::move(msg));
  auto& [name, node] = std::get<std::pair<atom, atom>>(to.where);
  self.send(name, node, std::move(msg));
  return true;
}

void cast(basic_process& self, const destination& to, term request) {
  (void)send(self, to, tuple_of(atoms::gen_cast, std::move(request)));
}

task<call_result> call(process& self, destination to, term request,
                       std::chrono::milliseconds timeout, atom label) {
  atom local = self.rt().node();
  reference al = self.alias();
  term tag = alias_tag(al);
  reference mref = monitor_and_send(self, to, tuple_of(label, tuple_of(self.self_term(), tag), std::move(request)));
  auto wait = otp::detail::receive_timeout(timeout);
  call_result r = co_await self.receive(
      on(tag, _) >>
          [](term reply) {
            return call_result{std::move(reply), {}};
          },
      on(atoms::DOWN, mref, ignore, ignore, _) >>
          [&](term reason) {
            return call_result{std::nullopt, down_reason_to_exit(reason, to, local)};
          },
      after(wait, [] {
        return call_result{std::nullopt, atoms::timeout};
      }));
  self.unalias(al);
  self.demonitor(mref, true);
  if (!r.ok() && r.exit_reason.is_atom(atoms::timeout)) {
    // A reply that raced the timeout is taken, as gen.erl's `after 0` does.
    auto late = co_await self.receive(
        on(tag, _) >> [](term reply) { return std::optional<term>(reply); },
        after(std::chrono::milliseconds(0), [] { return std::optional<term>(); }));
    if (late) r = call_result{std::move(*late), {}};
  }
  co_return r;
}

call_result call(scoped_process& self, const destination& to, const term& request,
                 std::chrono::milliseconds timeout, atom label) {
  atom local = self.rt().node();
  reference al = self.alias();
  term tag = alias_tag(al);
  reference mref = monitor_and_send(self, to, tuple_of(label, tuple_of(self.self_term(), tag), request));
  auto wait = otp::detail::receive_timeout(timeout);
  call_result r = self.receive(
      on(tag, _) >>
          [](term reply) {
            return call_result{std::move(reply), {}};
          },
      on(atoms::DOWN, mref, ignore, ignore, _) >>
          [&](term reason) {
            return call_result{std::nullopt, down_reason_to_exit(reason, to, local)};
          },
      after(wait, [] {
        return call_result{std::nullopt, atoms::timeout};
      }));
  self.unalias(al);
  self.demonitor(mref, true);
  if (!r.ok() && r.exit_reason.is_atom(atoms::timeout)) {
    auto late = self.receive(
        on(tag, _) >> [](term reply) { return std::optional<term>(reply); },
        after(std::chrono::milliseconds(0), [] { return std::optional<term>(); }));
    if (late) r = call_result{std::move(*late), {}};
  }
  return r;
}

}  // namespace otpp::gen
