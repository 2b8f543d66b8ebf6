// Compiles abstract format into the evaluator's internal form (compiled.hpp): one pass that
// resolves variables to slots, tracks which are bound at each point (so a pattern variable
// either binds or compares), folds constant patterns into literals and marks tail calls.
#include <algorithm>
#include <array>
#include <string>
#include <unordered_map>

#include "code/compiled.hpp"
#include "otpp/code/eval.hpp"

namespace otpp::code::detail {

namespace {

#define OTPP_ATOM(n) const atom a_##n(#n)
OTPP_ATOM(integer);
OTPP_ATOM(float);
OTPP_ATOM(atom);
OTPP_ATOM(char);
OTPP_ATOM(string);
OTPP_ATOM(nil);
OTPP_ATOM(var);
OTPP_ATOM(match);
OTPP_ATOM(tuple);
OTPP_ATOM(cons);
OTPP_ATOM(map);
OTPP_ATOM(map_field_assoc);
OTPP_ATOM(map_field_exact);
OTPP_ATOM(bin);
OTPP_ATOM(bin_element);
OTPP_ATOM(op);
OTPP_ATOM(call);
OTPP_ATOM(remote);
OTPP_ATOM(receive);
OTPP_ATOM(block);
OTPP_ATOM(named_fun);
OTPP_ATOM(function);
OTPP_ATOM(clauses);
OTPP_ATOM(clause);
OTPP_ATOM(lc);
OTPP_ATOM(bc);
OTPP_ATOM(generate);
OTPP_ATOM(b_generate);
OTPP_ATOM(andalso);
OTPP_ATOM(orelse);
OTPP_ATOM(apply);
OTPP_ATOM(default);
#undef OTPP_ATOM
// The auto-imported functions of module erlang (erl_internal:bif/2) that are not core BIFs:
// a local call of one of these names calls erlang:F, as in erl_eval. The arity is checked
// when the call is made (an unknown one is undef there, as on BEAM).
bool auto_imported(atom fn) {
  static const std::array<atom, 43> names = {
      atom("spawn"), atom("spawn_link"), atom("spawn_monitor"), atom("spawn_opt"), atom("link"),
      atom("unlink"), atom("monitor"), atom("demonitor"), atom("exit"), atom("register"),
      atom("unregister"), atom("whereis"), atom("registered"), atom("process_flag"),
      atom("process_info"), atom("processes"), atom("put"), atom("get"), atom("erase"),
      atom("get_keys"), atom("group_leader"), atom("halt"), atom("is_process_alive"), atom("node"),
      atom("nodes"), atom("is_alive"), atom("make_ref"), atom("statistics"), atom("term_to_binary"),
      atom("binary_to_term"), atom("list_to_pid"), atom("pid_to_list"), atom("monitor_node"),
      atom("disconnect_node"), atom("garbage_collect"), atom("date"), atom("time"), atom("now"),
      atom("throw"), atom("error"), atom("integer_to_list"), atom("list_to_integer"),
      atom("atom_to_list")};
  return std::find(names.begin(), names.end(), fn) != names.end();
}

const atom a_case("case"), a_if("if"), a_try("try"), a_catch("catch"), a_fun("fun"), a_wild("_");
const atom a_illegal_expr("illegal_expr"), a_illegal_pattern("illegal_pattern"),
    a_illegal_guard("illegal_guard");

[[noreturn]] void malformed(atom what, const term& form) { eval_error(tuple_of(what, form)); }

}  // namespace

std::uint32_t anno_line(const term& anno) {
  const term* at = &anno;
  if (anno.is_proper_list()) {
    at = nullptr;
    for (const term& kv : anno.list_elements())
      if (kv.is_tuple() && kv.tuple_size() == 2 && kv[0].is_atom(atom("location"))) at = &kv[1];
    if (!at) return 0;
  }
  if (at->is_tuple() && at->tuple_size() == 2) at = &(*at)[0];
  auto n = at->to_int64();
  if (!n) return 0;
  std::int64_t v = *n < 0 ? -*n : *n;
  return v > 0xFFFFFFFF ? 0 : static_cast<std::uint32_t>(v);
}

namespace {

/// Variable scopes: one per fun (frames are per fun); `bound` is what may be bound here.
struct scope {
  scope* parent = nullptr;
  std::uint32_t parent_slot_base = 0;
  std::unordered_map<std::uint32_t, std::uint32_t> slots;  ///< atom index -> slot
  std::vector<bool> bound;                                   ///< by slot
  std::vector<std::pair<atom, std::uint32_t>> captures;      ///< name, outer slot
  std::vector<std::pair<atom, std::uint32_t>> captured_inner;  ///< name, inner slot
  std::uint32_t nslots = 0;
  std::optional<std::uint32_t> self_slot;  ///< a named fun's own name
  bool self_read = false;                  ///< its name read other than to call itself

  void note_read(std::uint32_t slot) {
    if (self_slot && *self_slot == slot) self_read = true;
  }

  std::uint32_t slot_of(atom name) {
    auto [it, fresh] = slots.emplace(name.index(), nslots);
    if (fresh) {
      ++nslots;
      bound.push_back(false);
    }
    return it->second;
  }
  bool is_bound(atom name) const {
    auto it = slots.find(name.index());
    return it != slots.end() && bound[it->second];
  }
};

class compiler {
 public:
  compiler(std::vector<std::unique_ptr<node>>& nodes, std::vector<std::unique_ptr<pat>>& pats)
      : nodes_(nodes), pats_(pats) {}

  scope* sc = nullptr;

  node* mk(nk k) {
    nodes_.push_back(std::make_unique<node>());
    nodes_.back()->kind = k;
    return nodes_.back().get();
  }
  pat* mkp(pk k) {
    pats_.push_back(std::make_unique<pat>());
    pats_.back()->kind = k;
    return pats_.back().get();
  }

  // A variable used in an expression: this scope's slot, or captured from an enclosing fun
  // when bound there.
  std::optional<std::uint32_t> lookup(atom name) {
    if (sc->is_bound(name)) return sc->slots[name.index()];
    if (capture(sc, name)) return sc->slots[name.index()];
    return std::nullopt;
  }
  bool capture(scope* s, atom name) {
    if (!s->parent) return false;
    scope* p = s->parent;
    if (!p->is_bound(name) && !capture(p, name)) return false;
    std::uint32_t outer = p->slots[name.index()];
    p->note_read(outer);
    std::uint32_t inner = s->slot_of(name);
    s->bound[inner] = true;
    s->captures.emplace_back(name, outer);
    s->captured_inner.emplace_back(name, inner);
    return true;
  }

  static bool is(const term& t, atom tag, std::size_t min_size) {
    return t.is_tuple() && t.tuple_size() >= min_size && t[0].is_atom(tag);
  }

  // ---- expressions ------------------------------------------------------------------------

  node* lit(term v) {
    node* n = mk(nk::lit);
    n->lit = std::move(v);
    return n;
  }

  node* body(const term& exprs, bool tail) {
    if (!exprs.is_proper_list() || exprs.is_nil()) malformed(a_illegal_expr, exprs);
    auto es = exprs.list_elements();
    if (es.size() == 1) return expr(es[0], tail);
    node* n = mk(nk::block);
    for (std::size_t i = 0; i < es.size(); ++i) {
      node* k = expr(es[i], tail && i + 1 == es.size());
      n->suspends |= k->suspends;
      n->kids.push_back(k);
    }
    return n;
  }

  node* bif_node(bif_fn fn, atom name, std::vector<node*> args) {
    node* n = mk(nk::bif);
    n->fn = fn;
    n->name = name;
    for (auto* k : args) n->suspends |= k->suspends;
    n->kids = std::move(args);
    return n;
  }

  std::vector<node*> expr_list(const term& es) {
    if (!es.is_proper_list()) malformed(a_illegal_expr, es);
    std::vector<node*> out;
    for (const term& e : es.list_elements()) out.push_back(expr(e, false));
    return out;
  }

  node* expr(const term& e, bool tail) {
    if (++depth_ > 2000) eval_error(atom("system_limit"));
    node* n = expr1(e, tail);
    if (n->line == 0) n->line = anno_line(e[1]);
    --depth_;
    return n;
  }


  node* expr1(const term& e, bool tail) {
    if (!e.is_tuple() || e.tuple_size() < 2 || !e[0].is_atom()) malformed(a_illegal_expr, e);
    atom tag = e[0].atom_value();
    std::size_t n = e.tuple_size();
    if ((tag == a_integer || tag == a_float || tag == a_atom || tag == a_char) && n == 3) return lit(e[2]);
    if (tag == a_string && n == 3) {
      if (!e[2].is_proper_list()) malformed(a_illegal_expr, e);
      return lit(e[2]);
    }
    if (tag == a_nil && n == 2) return lit(term());
    if (tag == a_var && n == 3 && e[2].is_atom()) {
      atom name = e[2].atom_value();
      node* v = mk(nk::var);
      v->name = name;
      if (name == a_wild) malformed(a_illegal_expr, e);
      auto s = lookup(name);
      // An unknown variable still gets a slot: reading it raises {unbound_var, Name}.
      v->slot = s ? *s : sc->slot_of(name);
      sc->note_read(v->slot);
      return v;
    }
    if (tag == a_match && n == 4) {
      node* rhs = expr(e[3], false);
      node* m = mk(nk::match);
      m->a = rhs;
      m->p = pattern(e[2], false);
      m->suspends = rhs->suspends;
      return m;
    }
    if (tag == a_tuple && n == 3) {
      auto kids = expr_list(e[2]);
      bool all_lit = std::all_of(kids.begin(), kids.end(), [](node* k) { return k->kind == nk::lit; });
      if (all_lit) {
        std::vector<term> vs;
        for (auto* k : kids) vs.push_back(k->lit);
        return lit(term::tuple(std::move(vs)));
      }
      node* t = mk(nk::tuple);
      for (auto* k : kids) t->suspends |= k->suspends;
      t->kids = std::move(kids);
      return t;
    }
    if (tag == a_cons && n == 4) {
      // Flatten [a, b | T] into heads and a tail.
      node* c = mk(nk::cons);
      term cur = e;
      while (is(cur, a_cons, 4) && cur.tuple_size() == 4) {
        node* h = expr(cur[2], false);
        c->kids.push_back(h);
        cur = cur[3];
      }
      node* t = expr(cur, false);
      c->kids.push_back(t);
      bool all_lit = true;
      for (auto* k : c->kids) {
        c->suspends |= k->suspends;
        all_lit &= k->kind == nk::lit;
      }
      if (all_lit && (t->lit.is_list())) {
        std::vector<term> vs;
        for (std::size_t i = 0; i + 1 < c->kids.size(); ++i) vs.push_back(c->kids[i]->lit);
        return lit(term::list(std::move(vs), t->lit));
      }
      return c;
    }
    if (tag == a_map && (n == 3 || n == 4)) {
      node* m = mk(n == 3 ? nk::map_new : nk::map_upd);
      if (n == 4) {
        m->a = expr(e[2], false);
        m->suspends = m->a->suspends;
      }
      const term& assocs = e[n - 1];
      if (!assocs.is_proper_list()) malformed(a_illegal_expr, e);
      for (const term& as : assocs.list_elements()) {
        if (!as.is_tuple() || as.tuple_size() != 4) malformed(a_illegal_expr, as);
        bool exact = as[0].is_atom(a_map_field_exact);
        if (!exact && !as[0].is_atom(a_map_field_assoc)) malformed(a_illegal_expr, as);
        if (exact && n == 3) malformed(a_illegal_expr, as);
        map_assoc x{expr(as[2], false), expr(as[3], false), exact};
        m->suspends |= x.key->suspends || x.value->suspends;
        m->assocs.push_back(x);
      }
      return m;
    }
    if (tag == a_bin && n == 3) {
      node* b = mk(nk::bin);
      if (!e[2].is_proper_list()) malformed(a_illegal_expr, e);
      for (const term& s : e[2].list_elements()) {
        if (!is(s, a_bin_element, 5) || s.tuple_size() != 5) malformed(a_illegal_expr, s);
        auto spec = parse_segment_spec(s[4]);
        if (!spec) malformed(a_illegal_expr, s);
        bin_seg seg;
        seg.spec = *spec;
        // A string segment <<"abc">> is its characters, each an 8-bit integer (or utf).
        if (is(s[2], a_string, 3)) {
          if (!s[2][2].is_proper_list()) malformed(a_illegal_expr, s);
          for (const term& ch : s[2][2].list_elements()) {
            bin_seg one;
            one.spec = *spec;
            one.value = lit(ch);
            if (!s[3].is_atom(a_default)) one.size = expr(s[3], false);
            b->segs.push_back(one);
          }
          continue;
        }
        seg.value = expr(s[2], false);
        if (!s[3].is_atom(a_default)) seg.size = expr(s[3], false);
        b->suspends |= seg.value->suspends || (seg.size && seg.size->suspends);
        b->segs.push_back(seg);
      }
      return b;
    }
    if (tag == a_op && n == 5) {
      if (!e[2].is_atom()) malformed(a_illegal_expr, e);
      atom op = e[2].atom_value();
      if (op == a_andalso || op == a_orelse) {
        node* x = mk(op == a_andalso ? nk::andalso : nk::orelse);
        x->a = expr(e[3], false);
        x->b = expr(e[4], false);
        x->suspends = x->a->suspends || x->b->suspends;
        return x;
      }
      bif_info bi = find_bif(op, 2);
      if (!bi.fn) malformed(a_illegal_expr, e);
      return bif_node(bi.fn, op, {expr(e[3], false), expr(e[4], false)});
    }
    if (tag == a_op && n == 4) {
      if (!e[2].is_atom()) malformed(a_illegal_expr, e);
      atom op = e[2].atom_value();
      bif_info bi = find_bif(op, 1);
      if (!bi.fn) malformed(a_illegal_expr, e);
      node* arg = expr(e[3], false);
      if (arg->kind == nk::lit && (op == atom("-") || op == atom("+")) && arg->lit.is_number()) {
        try {
          return lit(bi.fn(nullptr, std::span<const term>(&arg->lit, 1)));
        } catch (...) {
        }
      }
      return bif_node(bi.fn, op, {arg});
    }
    if (tag == a_call && n == 4) return call(e, tail);
    if (tag == a_case && n == 4) {
      node* c = mk(nk::case_);
      c->a = expr(e[2], false);
      c->clauses = clauses(e[3], tail, 1);
      c->suspends = c->a->suspends || bodies_suspend(c->clauses);
      return c;
    }
    if (tag == a_if && n == 3) {
      node* c = mk(nk::if_);
      c->clauses = clauses(e[2], tail, 0);
      c->suspends = bodies_suspend(c->clauses);
      return c;
    }
    if (tag == a_receive && (n == 3 || n == 5)) {
      node* r = mk(nk::receive_);
      r->suspends = true;
      std::vector<bool> before = sc->bound;
      r->clauses = e[2].is_nil() ? std::vector<clause_c>{} : clauses(e[2], tail, 1);
      if (n == 5) {
        std::vector<bool> after_clauses = sc->bound;
        restore(before);
        r->a = expr(e[3], false);
        r->b = body(e[4], tail);
        after_clauses.resize(sc->nslots, false);
        for (std::size_t i = 0; i < after_clauses.size(); ++i) sc->bound[i] = sc->bound[i] || after_clauses[i];
      }
      return r;
    }
    if (tag == a_try && n == 6) {
      node* t = mk(nk::try_);
      t->a = body(e[2], false);
      t->suspends = t->a->suspends;
      // With an `after`, nothing inside the try is a tail call (the after runs last).
      bool t2 = tail && e[5].is_nil();
      if (!e[3].is_nil()) t->clauses = clauses(e[3], t2, 1);
      if (!e[4].is_nil()) t->catches = clauses(e[4], t2, 1);
      if (!e[5].is_nil()) {
        t->b = body(e[5], false);
        t->suspends |= t->b->suspends;
      }
      mark(t);
      return t;
    }
    if (tag == a_catch && n == 3) {
      node* c = mk(nk::catch_);
      c->a = expr(e[2], false);
      c->suspends = c->a->suspends;
      return c;
    }
    if (tag == a_block && n == 3) return body(e[2], tail);
    if (tag == a_fun && n == 3) return fun_expr(e);
    if (tag == a_named_fun && n == 4) return fun_expr(e);
    if ((tag == a_lc || tag == a_bc) && n == 4) return comprehension(e, tag == a_bc);
    malformed(a_illegal_expr, e);
  }

  // A try runs as a coroutine (the synchronous evaluator has no `after`); case and if
  // suspend only when a body does (guards never do).
  static void mark(node* c) { c->suspends = true; }
  static bool bodies_suspend(const std::vector<clause_c>& cs) {
    return std::any_of(cs.begin(), cs.end(), [](const clause_c& c) { return c.body->suspends; });
  }

  node* call(const term& e, bool tail) {
    const term& f = e[2];
    if (!e[3].is_proper_list()) malformed(a_illegal_expr, e);
    std::size_t arity = e[3].list_elements().size();
    if (is(f, a_remote, 4) && f.tuple_size() == 4) {
      if (f[2].is_tuple() && f[2].tuple_size() == 3 && f[2][0].is_atom(a_atom) && f[2][2].is_atom() &&
          f[3].is_tuple() && f[3].tuple_size() == 3 && f[3][0].is_atom(a_atom) && f[3][2].is_atom()) {
        atom m = f[2][2].atom_value();
        atom fn = f[3][2].atom_value();
        return named_call(m, fn, arity, e[3], tail);
      }
      node* c = mk(nk::call_dyn);
      c->a = expr(f[2], false);
      c->b = expr(f[3], false);
      c->kids = expr_list(e[3]);
      c->suspends = true;
      c->tail = tail;
      return c;
    }
    if (f.is_tuple() && f.tuple_size() == 3 && f[0].is_atom(a_atom) && f[2].is_atom()) {
      atom fn = f[2].atom_value();
      // A local call: a function of the module being compiled (which hides an auto-imported
      // BIF of the same name, as no_auto_import does), an auto-imported BIF (erlang:F), else a
      // shell-local function.
      std::optional<std::uint32_t> local = module_ ? module_->find(fn, arity) : std::nullopt;
      if (!local && (find_bif(fn, arity).fn || fn == a_apply || auto_imported(fn)))
        return named_call(atoms::erlang, fn, arity, e[3], tail);
      node* c = mk(nk::call_local);
      c->name = fn;
      c->kids = expr_list(e[3]);
      c->suspends = true;
      if (local) {
        c->local_module = module_.get();
        c->slot = *local;
        c->tail = tail;
      }
      return c;
    }
    node* c = mk(nk::call_fun);
    if (is(f, a_var, 3) && f.tuple_size() == 3 && f[2].is_atom() && sc->self_slot &&
        lookup(f[2].atom_value()) == sc->self_slot) {
      // The fun calling itself: its name is read by the call, not as a value.
      c->a = mk(nk::var);
      c->a->name = f[2].atom_value();
      c->a->slot = *sc->self_slot;
      c->self_call = true;
    } else {
      c->a = expr(f, false);
    }
    c->kids = expr_list(e[3]);
    c->suspends = true;
    c->tail = tail;
    return c;
  }

  node* named_call(atom m, atom fn, std::size_t arity, const term& args, bool tail) {
    if (m == atoms::erlang) {
      if (fn == a_apply && (arity == 2 || arity == 3)) {
        node* c = mk(arity == 2 ? nk::apply2 : nk::apply3);
        c->kids = expr_list(args);
        c->suspends = true;
        c->tail = tail;
        return c;
      }
      bif_info bi = find_bif(fn, arity);
      if (bi.fn) return bif_node(bi.fn, fn, expr_list(args));
    }
    node* c = mk(nk::call_remote);
    c->mod = m;
    c->name = fn;
    c->kids = expr_list(args);
    c->suspends = true;
    return c;
  }

  // Clauses of case/receive/try (one pattern each), if (no pattern) or a fun (`npats` = -1:
  // any). Each clause starts from the bindings before it; afterwards a variable counts as
  // bound if any clause bound it (Erlang's rules reject using it unless all did).
  std::vector<clause_c> clauses(const term& cs, bool tail, int npats, bool fresh_heads = false) {
    if (!cs.is_proper_list() || cs.is_nil()) malformed(a_illegal_expr, cs);
    std::vector<bool> before = sc->bound;
    std::vector<bool> joined = before;
    std::vector<clause_c> out;
    for (const term& c : cs.list_elements()) {
      if (!is(c, a_clause, 5) || c.tuple_size() != 5 || !c[2].is_proper_list() || !c[3].is_proper_list())
        malformed(a_illegal_expr, c);
      if (npats >= 0 && c[2].list_elements().size() != static_cast<std::size_t>(npats)) malformed(a_illegal_expr, c);
      restore(before);
      std::size_t mark = shadows_.size();
      in_head_.clear();
      clause_c cl;
      for (const term& p : c[2].list_elements()) cl.pats.push_back(pattern(p, fresh_heads));
      in_head_.clear();
      for (const term& g : c[3].list_elements()) {
        if (!g.is_proper_list()) malformed(a_illegal_guard, g);
        std::vector<node*> conj;
        for (const term& t : g.list_elements()) {
          node* x = expr(t, false);
          if (x->suspends) malformed(a_illegal_guard, t);
          conj.push_back(x);
        }
        cl.guards.push_back(std::move(conj));
      }
      cl.body = body(c[4], tail);
      unshadow(mark);
      out.push_back(std::move(cl));
      joined.resize(sc->bound.size(), false);
      for (std::size_t i = 0; i < sc->bound.size(); ++i) joined[i] = joined[i] || sc->bound[i];
    }
    restore(joined);
    return out;
  }

  node* fun_expr(const term& e) {
    if (e[0].is_atom(a_fun)) {
      const term& f = e[2];
      if (is(f, a_function, 4) && f.tuple_size() == 4) {
        // fun M:F/A (atoms in old forms, abstract expressions in new ones).
        auto part = [&](const term& x) -> node* { return x.is_tuple() ? expr(x, false) : lit(x); };
        node* m = part(f[1]);
        node* fn = part(f[2]);
        node* a = part(f[3]);
        if (m->kind == nk::lit && fn->kind == nk::lit && a->kind == nk::lit && m->lit.is_atom() &&
            fn->lit.is_atom() && a->lit.is_small_integer() && a->lit.small_integer() >= 0 &&
            a->lit.small_integer() <= 255) {
          return lit(term::export_fun(m->lit.atom_value(), fn->lit.atom_value(),
                                      static_cast<std::uint32_t>(a->lit.small_integer())));
        }
        node* c = mk(nk::bif);
        c->fn = [](process*, std::span<const term> a) -> term {
          if (!a[0].is_atom() || !a[1].is_atom() || !a[2].is_small_integer() || a[2].small_integer() < 0 ||
              a[2].small_integer() > 255)
            eval_error(atoms::badarg);
          return term::export_fun(a[0].atom_value(), a[1].atom_value(),
                                  static_cast<std::uint32_t>(a[2].small_integer()));
        };
        c->name = atom("make_fun");
        c->kids = {m, fn, a};
        c->suspends = m->suspends || fn->suspends || a->suspends;
        return c;
      }
      if (is(f, a_function, 3) && f.tuple_size() == 3 && module_ && f[1].is_atom() && f[2].is_small_integer() &&
          module_->find(f[1].atom_value(), static_cast<std::size_t>(f[2].small_integer()))) {
        // fun F/A of a function of the module: a fun that makes the local call.
        return make_fun(e, local_fun_clauses(e[1], f[1].atom_value(), static_cast<std::size_t>(f[2].small_integer())),
                        std::nullopt);
      }
      if (is(f, a_function, 3) && f.tuple_size() == 3) {
        // fun F/A of a shell-local function: there is no local function handler here.
        node* c = mk(nk::bif);
        c->fn = [](process*, std::span<const term>) -> term { eval_error(atoms::undef); };
        c->name = atom("fun");
        return c;
      }
      if (!(is(f, a_clauses, 2) && f.tuple_size() == 2)) malformed(a_illegal_expr, e);
      return make_fun(e, f[1], std::nullopt);
    }
    if (!e[2].is_atom()) malformed(a_illegal_expr, e);
    return make_fun(e, e[3], e[2].atom_value());
  }

  // `fun F/A` as the clauses of `fun(V1, ..., VA) -> F(V1, ..., VA) end`.
  static term local_fun_clauses(const term& anno, atom fn, std::size_t arity) {
    std::vector<term> vars;
    for (std::size_t i = 0; i < arity; ++i)
      vars.push_back(term::tuple({a_var, anno, atom("_@A" + std::to_string(i + 1))}));
    term call = term::tuple({a_call, anno, term::tuple({a_atom, anno, fn}), term::list(vars)});
    return list_of(term::tuple({a_clause, anno, term::list(vars), term(), list_of(call)}));
  }

  node* make_fun(const term& e, const term& cs, std::optional<atom> name) {
    if (!cs.is_proper_list() || cs.is_nil()) malformed(a_illegal_expr, e);
    auto fun = std::make_shared<compiled_fun>();
    scope inner;
    inner.parent = sc;
    compiler sub(fun->nodes, fun->pats);
    sub.sc = &inner;
    sub.module_ = module_;
    sub.depth_ = depth_;
    sub.fill(*fun, cs, name);
    node* n = mk(nk::make_fun);
    n->fun = fun;
    n->captures = inner.captures;
    n->lit = e[1];
    return n;
  }

  // Compiles the clauses of a fun into `f` in the current (fresh) scope.
  void fill(compiled_fun& f, const term& cs, std::optional<atom> name) {
    const term& first = cs.list_elements()[0];
    if (!is(first, a_clause, 5) || !first[2].is_proper_list()) malformed(a_illegal_expr, first);
    f.arity = static_cast<std::uint32_t>(first[2].list_elements().size());
    if (f.arity > max_erl_eval_arity_) eval_error(tuple_of(atom("argument_limit"), cs));
    if (name) {
      f.self_slot = sc->slot_of(*name);
      sc->bound[*f.self_slot] = true;
      sc->self_slot = f.self_slot;
      f.fun_name = name;
    }
    f.clauses = clauses(cs, true, static_cast<int>(f.arity), true);
    f.self_read = sc->self_read;
    if (f.self_slot) f.sync_calls = sync_capable(f);
    f.nslots = sc->nslots;
    f.captured = sc->captured_inner;
    f.clauses_term = cs;
    if (module_) {
      f.in_module = true;
      f.module = module_;
      f.local_handler = module_->local_handler;
    }
  }

  // ---- synchronous self-calls ---------------------------------------------------------------

  // Marks `n->sync`: evaluable by eval_sync once self-calls run synchronously.
  static bool mark_sync(node* n) {
    if (!n->suspends) return n->sync = true;
    auto all = [](const std::vector<node*>& ks) { return std::all_of(ks.begin(), ks.end(), mark_sync); };
    auto bodies = [](std::vector<clause_c>& cs) {
      return std::all_of(cs.begin(), cs.end(), [](const clause_c& c) { return mark_sync(c.body); });
    };
    bool ok = false;
    switch (n->kind) {
      case nk::call_fun: ok = n->self_call && all(n->kids); break;
      case nk::match:
      case nk::catch_: ok = mark_sync(n->a); break;
      case nk::tuple:
      case nk::cons:
      case nk::bif:
      case nk::block: ok = all(n->kids); break;
      case nk::andalso:
      case nk::orelse: ok = mark_sync(n->a) && mark_sync(n->b); break;
      case nk::map_new:
      case nk::map_upd:
        ok = (!n->a || mark_sync(n->a)) &&
             std::all_of(n->assocs.begin(), n->assocs.end(),
                         [](const map_assoc& x) { return mark_sync(x.key) && mark_sync(x.value); });
        break;
      case nk::bin:
        ok = std::all_of(n->segs.begin(), n->segs.end(),
                         [](const bin_seg& s) { return mark_sync(s.value) && (!s.size || mark_sync(s.size)); });
        break;
      case nk::case_: ok = mark_sync(n->a) && bodies(n->clauses); break;
      case nk::if_: ok = bodies(n->clauses); break;
      default: break;
    }
    return n->sync = ok;
  }

  // Whether a named fun's self-calls may run synchronously: every body suspends only through
  // them, and nothing sends (a run cut short is run again, which must not be seen).
  bool sync_capable(compiled_fun& f) {
    for (const auto& n : nodes_)
      // Sends and exit signals are seen by other processes: code that makes them cannot be run
      // again from its start after a cut.
      if (n->kind == nk::bif && (n->name == atom("!") || n->name == atom("send") ||
                                 (n->name == atom("exit") && n->kids.size() == 2)))
        return false;
    return std::all_of(f.clauses.begin(), f.clauses.end(), [](const clause_c& c) { return mark_sync(c.body); });
  }

  // ---- patterns ---------------------------------------------------------------------------

  // `fresh`: variables in a fun head are new even when bound outside (they shadow).
  pat* pattern(const term& p, bool fresh) {
    if (++depth_ > 2000) eval_error(atom("system_limit"));
    pat* r = pattern1(p, fresh);
    --depth_;
    return r;
  }

  pat* plit(term v) {
    pat* r = mkp(pk::lit);
    r->lit = std::move(v);
    return r;
  }

  pat* pattern1(const term& p, bool fresh) {
    if (!p.is_tuple() || p.tuple_size() < 2 || !p[0].is_atom()) malformed(a_illegal_pattern, p);
    atom tag = p[0].atom_value();
    std::size_t n = p.tuple_size();
    if ((tag == a_integer || tag == a_float || tag == a_atom || tag == a_char) && n == 3) return plit(p[2]);
    if (tag == a_string && n == 3) return plit(p[2]);
    if (tag == a_nil && n == 2) return plit(term());
    if (tag == a_var && n == 3 && p[2].is_atom()) {
      atom name = p[2].atom_value();
      if (name == a_wild) return mkp(pk::wild);
      // Underscore-prefixed names still bind (erl_eval does), only `_` is a wildcard.
      pat* v = mkp(pk::bind);
      v->lit = name;
      if (fresh) {
        if (in_head_.count(name.index())) {
          v->kind = pk::check;
          v->slot = sc->slots[name.index()];
        } else if (sc->is_bound(name)) {
          // Shadows a variable of the enclosing scope: a new slot until the scope ends.
          std::uint32_t ns = sc->nslots++;
          sc->bound.push_back(true);
          shadows_.emplace_back(name.index(), sc->slots[name.index()]);
          sc->slots[name.index()] = ns;
          v->slot = ns;
          in_head_.insert(name.index());
        } else {
          v->slot = sc->slot_of(name);
          in_head_.insert(name.index());
        }
      } else {
        bool bound_here = sc->is_bound(name) || capture(sc, name);
        v->kind = bound_here ? pk::check : pk::bind;
        v->slot = sc->slot_of(name);
        if (bound_here) sc->note_read(v->slot);
      }
      sc->bound[v->slot] = true;
      return v;
    }
    if (tag == a_match && n == 4) {
      pat* a = mkp(pk::alias);
      a->kids = {pattern(p[2], fresh), pattern(p[3], fresh)};
      return a;
    }
    if (tag == a_tuple && n == 3 && p[2].is_proper_list()) {
      pat* t = mkp(pk::tuple);
      bool all_lit = true;
      for (const term& x : p[2].list_elements()) {
        t->kids.push_back(pattern(x, fresh));
        all_lit &= t->kids.back()->kind == pk::lit;
      }
      if (all_lit) {
        std::vector<term> vs;
        for (auto* k : t->kids) vs.push_back(k->lit);
        return plit(term::tuple(std::move(vs)));
      }
      return t;
    }
    if (tag == a_cons && n == 4) {
      pat* c = mkp(pk::cons);
      term cur = p;
      while (is(cur, a_cons, 4) && cur.tuple_size() == 4) {
        c->kids.push_back(pattern(cur[2], fresh));
        cur = cur[3];
      }
      c->tail = pattern(cur, fresh);
      bool all_lit = c->tail->kind == pk::lit && c->tail->lit.is_list();
      for (auto* k : c->kids) all_lit &= k->kind == pk::lit;
      if (all_lit) {
        std::vector<term> vs;
        for (auto* k : c->kids) vs.push_back(k->lit);
        return plit(term::list(std::move(vs), c->tail->lit));
      }
      return c;
    }
    if (tag == a_map && n == 3 && p[2].is_proper_list()) {
      pat* m = mkp(pk::map);
      for (const term& as : p[2].list_elements()) {
        if (!as.is_tuple() || as.tuple_size() != 4 || !as[0].is_atom(a_map_field_exact)) malformed(a_illegal_pattern, as);
        node* k = expr(as[2], false);
        if (k->suspends) malformed(a_illegal_pattern, as);
        m->map.emplace_back(k, pattern(as[3], fresh));
      }
      return m;
    }
    if (tag == a_bin && n == 3 && p[2].is_proper_list()) {
      pat* b = mkp(pk::bin);
      for (const term& s : p[2].list_elements()) {
        if (!is(s, a_bin_element, 5) || s.tuple_size() != 5) malformed(a_illegal_pattern, s);
        auto spec = parse_segment_spec(s[4]);
        if (!spec) malformed(a_illegal_pattern, s);
        if (is(s[2], a_string, 3)) {
          for (const term& ch : s[2][2].list_elements()) b->segs.push_back(bin_pseg{plit(ch), nullptr, *spec});
          continue;
        }
        bin_pseg seg;
        seg.spec = *spec;
        seg.p = pattern(s[2], fresh);
        if (!s[3].is_atom(a_default)) {
          seg.size = expr(s[3], false);
          if (seg.size->suspends) malformed(a_illegal_pattern, s);
        }
        b->segs.push_back(seg);
      }
      return b;
    }
    if (tag == a_op && (n == 4 || n == 5)) {
      // A constant expression (`-1`, `1 bsl 4`, `"a" ++ T`).
      if (n == 5 && p[2].is_atom(atom("++"))) {
        // "abc" ++ Rest: the string's characters, then Rest.
        node* l = expr(p[3], false);
        if (l->kind != nk::lit || !l->lit.is_proper_list()) malformed(a_illegal_pattern, p);
        pat* c = mkp(pk::cons);
        for (const term& ch : l->lit.list_elements()) c->kids.push_back(plit(ch));
        c->tail = pattern(p[4], fresh);
        if (c->kids.empty()) return c->tail;
        return c;
      }
      node* x = expr(p, false);
      if (x->kind == nk::lit) return plit(x->lit);
      if (x->kind == nk::bif && !x->suspends) {
        bool all_lit = std::all_of(x->kids.begin(), x->kids.end(), [](node* k) { return k->kind == nk::lit; });
        if (all_lit) {
          std::vector<term> args;
          for (auto* k : x->kids) args.push_back(k->lit);
          try {
            return plit(x->fn(nullptr, args));
          } catch (...) {
          }
        }
      }
      malformed(a_illegal_pattern, p);
    }
    malformed(a_illegal_pattern, p);
  }

  // ---- comprehensions -----------------------------------------------------------------------

  node* comprehension(const term& e, bool binary) {
    node* c = mk(binary ? nk::bc : nk::lc);
    c->suspends = true;  // evaluated as a loop that yields
    if (!e[3].is_proper_list()) malformed(a_illegal_expr, e);
    std::vector<bool> before = sc->bound;
    std::size_t mark = shadows_.size();
    for (const term& q : e[3].list_elements()) {
      qualifier x;
      if ((is(q, a_generate, 4) || is(q, a_b_generate, 4)) && q.tuple_size() == 4) {
        x.what = q[0].is_atom(a_generate) ? qualifier::kind::list_gen : qualifier::kind::bin_gen;
        x.e = expr(q[3], false);
        in_head_.clear();
        x.p = pattern(q[2], true);
        in_head_.clear();
      } else {
        x.what = qualifier::kind::filter;
        x.e = expr(q, false);
      }
      c->quals.push_back(x);
    }
    c->a = expr(e[2], false);
    // Variables bound inside the comprehension do not leak out of it.
    unshadow(mark);
    restore(before);
    return c;
  }

  void restore(std::vector<bool> b) {
    sc->bound = std::move(b);
    sc->bound.resize(sc->nslots, false);
  }
  void unshadow(std::size_t mark) {
    while (shadows_.size() > mark) {
      sc->slots[shadows_.back().first] = shadows_.back().second;
      shadows_.pop_back();
    }
  }

  int depth_ = 0;
  std::shared_ptr<const module_code> module_;  ///< the module whose functions local calls reach
  std::uint32_t max_erl_eval_arity_ = 255;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> shadows_;
  struct index_set {
    std::vector<std::uint32_t> v;
    std::size_t count(std::uint32_t x) const { return std::find(v.begin(), v.end(), x) != v.end() ? 1 : 0; }
    void insert(std::uint32_t x) { v.push_back(x); }
    void clear() { v.clear(); }
  } in_head_;

 private:
  std::vector<std::unique_ptr<node>>& nodes_;
  std::vector<std::unique_ptr<pat>>& pats_;
};

}  // namespace

std::shared_ptr<compiled_fun> compile_fun(const term& clauses, const std::vector<atom>& bound,
                                          std::optional<atom> name,
                                          const std::shared_ptr<const module_code>& module) {
  if (!clauses.is_proper_list() || clauses.is_nil()) eval_error(tuple_of(atom("illegal_expr"), clauses));
  auto fun = std::make_shared<compiled_fun>();
  scope s;
  for (atom b : bound) s.bound[s.slot_of(b)] = true;
  compiler c(fun->nodes, fun->pats);
  c.sc = &s;
  c.module_ = module;
  c.fill(*fun, clauses, name);
  fun->captured.clear();
  for (atom b : bound) fun->captured.emplace_back(b, s.slots[b.index()]);
  std::sort(fun->captured.begin(), fun->captured.end(),
            [](const auto& x, const auto& y) { return x.first.index() < y.first.index(); });
  return fun;
}

std::unique_ptr<compiled_exprs> compile_exprs(const term& exprs, const std::vector<atom>& bound) {
  auto out = std::make_unique<compiled_exprs>();
  scope s;
  for (atom b : bound) s.bound[s.slot_of(b)] = true;
  compiler c(out->nodes, out->pats);
  c.sc = &s;
  out->body = c.body(exprs, false);
  out->nslots = s.nslots;
  for (const auto& [idx, slot] : s.slots) out->names.emplace_back(atom::from_index(idx), slot);
  return out;
}

}  // namespace otpp::code::detail
