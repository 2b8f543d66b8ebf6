// The evaluator's public face: bindings, applying a fun, evaluating expressions, and the
// functions it installs in a node's export table.
#include "code/evaluator.hpp"
#include "otpp/code/eval_str.hpp"
#include "otpp/code/fun_wire.hpp"
#include "otpp/code/library.hpp"
#include "otpp/code/module_loader.hpp"
#include "otpp/code/stdlib.hpp"
#include "otpp/otp/node.hpp"

namespace otpp::code {

using namespace detail;

// ---- bindings ---------------------------------------------------------------------------------

const term* bindings::find(atom name) const noexcept {
  for (const auto& [k, v] : entries_)
    if (k == name) return &v;
  return nullptr;
}

void bindings::set(atom name, term value) {
  for (auto& [k, v] : entries_) {
    if (k == name) {
      v = std::move(value);
      return;
    }
  }
  auto it = std::lower_bound(entries_.begin(), entries_.end(), name,
                             [](const auto& e, atom n) { return compare(e.first, n) < 0; });
  entries_.emplace(it, name, std::move(value));
}

void bindings::erase(atom name) {
  std::erase_if(entries_, [&](const auto& e) { return e.first == name; });
}

term bindings::to_term() const {
  std::vector<term> out;
  for (const auto& [k, v] : entries_) out.push_back(tuple_of(k, v));
  return term::list(std::move(out));
}

std::optional<bindings> bindings::from_term(const term& t) {
  bindings b;
  if (t.is_map()) {
    for (const auto& [k, v] : t.map_entries()) {
      if (!k.is_atom()) return std::nullopt;
      b.set(k.atom_value(), v);
    }
    return b;
  }
  if (!t.is_proper_list()) return std::nullopt;
  for (const term& e : t.list_elements()) {
    if (!e.is_tuple() || e.tuple_size() != 2 || !e[0].is_atom()) return std::nullopt;
    b.set(e[0].atom_value(), e[1]);
  }
  return b;
}

// ---- public API --------------------------------------------------------------------------------------

task<term> apply(process& self, const term& fun, std::vector<term> args) {
  ctx c(self);
  co_return co_await deferred(apply_fun(c, fun, std::move(args)));
}

task<term> eval_exprs(process& self, const term& exprs, bindings& bs) {
  ctx c(self);
  std::vector<atom> names;
  for (const auto& [k, v] : bs.entries()) names.push_back(k);
  auto code = compile_exprs(exprs, names);
  frame f(code->nslots);
  for (const auto& [name, slot] : code->names) {
    if (const term* v = bs.find(name)) {
      f.slots[slot] = *v;
      f.bound[slot] = 1;
    }
  }
  term r = co_await evaluate(c, *code->body, f);
  if (c.has_tail) {
    c.has_tail = false;
    r = co_await deferred(run_calls(c, std::move(c.tail_fun), c.tail_module, c.tail_index, std::move(c.tail_args)));
  }
  for (const auto& [name, slot] : code->names) {
    if (f.bound[slot]) bs.set(name, f.slots[slot]);
  }
  co_return r;
}

namespace detail {

task<term> call_module_function(process& self, std::shared_ptr<const module_code> module, std::uint32_t index,
                                std::vector<term> args) {
  ctx c(self);
  co_return co_await deferred(run_calls(c, term(), module.get(), index, std::move(args)));
}

}  // namespace detail

void install(export_table& exports) {
  add_stdlib(exports);
  install_module_loader(exports);
  // After the library, so erlang:apply/2,3 are the evaluator's.
  exports.add("erlang", "apply", [](process& self, term fun, term args) -> task<term> {
    if (!args.is_proper_list()) bif_error(atoms::badarg, a_apply, std::vector<term>{fun, args});
    std::vector<term> as(args.list_elements().begin(), args.list_elements().end());
    co_return co_await apply(self, fun, std::move(as));
  });
  exports.add("erlang", "apply", [](process& self, term m, term fn, term args) -> task<term> {
    if (!m.is_atom() || !fn.is_atom() || !args.is_proper_list())
      bif_error(atoms::badarg, a_apply, std::vector<term>{m, fn, args});
    std::vector<term> as(args.list_elements().begin(), args.list_elements().end());
    ctx c(self);
    co_return co_await deferred(call_mfa(c, m.atom_value(), fn.atom_value(), std::move(as)));
  });
}

void install(otp::node& node) {
  install(node.exports());
  install_library(node.services());
  install_eval_str(node);
  install_fun_wire(node);
}

}  // namespace otpp::code
