// List and binary comprehensions in the evaluator: generators and filters, level by level,
// with the bindings each generator's pattern makes undone before its next element.
#include "code/evaluator.hpp"
#include "otpp/term/list_builder.hpp"

namespace otpp::code::detail {

task<term> eval_comprehension(ctx& c, const node& n, frame& f) {
  list_builder out;
  bit_writer w;
  // An explicit stack of generator positions walks the nested loops without recursion.
  struct level {
    term source;          ///< list or bitstring
    std::size_t index = 0;
  };
  std::vector<level> levels(n.quals.size());
  std::size_t q = 0;
  bool entering = true;
  for (;;) {
    if (q == n.quals.size()) {
      term v = OTPP_EVAL(c, *n.a, f);
      if (n.kind == nk::lc) {
        out.push_back(std::move(v));
      } else {
        if (!v.is_bitstring()) eval_error(atoms::badarg);
        segment_spec bits;
        bits.kind = segment_spec::type::bitstring;
        if (!w.put(bits, v, std::nullopt)) eval_error(atoms::badarg);
      }
      if (stack_deep()) {
        co_await c.self.yield();
      } else {
        co_await c.self.maybe_yield();
      }
      if (q == 0) break;
      --q;
      entering = false;
      continue;
    }
    const qualifier& qu = n.quals[q];
    if (qu.what == qualifier::kind::filter) {
      if (!entering) {
        if (q == 0) break;
        --q;
        continue;
      }
      term t;
      if (!qu.e->suspends) {
        // A filter that is a guard expression is evaluated as a guard: failing is false.
        try {
          t = eval_sync(c, *qu.e, f);
        } catch (const std::exception&) {
          t = atoms::false_;
        }
        if (!t.is_atom(atoms::true_)) t = atoms::false_;
      } else {
        t = OTPP_EVAL(c, *qu.e, f);
      }
      if (t.is_atom(atoms::true_)) {
        ++q;
        continue;
      }
      if (!t.is_atom(atoms::false_)) eval_error(tuple_of(a_bad_filter, t));
      entering = false;
      if (q == 0) break;
      --q;
      continue;
    }
    level& l = levels[q];
    if (entering) {
      l.source = OTPP_EVAL(c, *qu.e, f);
      l.index = 0;
      // A hint: as many elements out as the first generator gives (one allocation, not a
      // doubling series of big ones).
      if (n.kind == nk::lc && q == 0 && l.source.is_list())
        out.reserve(l.source.list_elements().size());
      if (qu.what == qualifier::kind::list_gen && !l.source.is_list()) eval_error(tuple_of(a_bad_generator, l.source));
      if (qu.what == qualifier::kind::bin_gen && !l.source.is_bitstring()) eval_error(tuple_of(a_bad_generator, l.source));
    }
    bool advanced = false;
    if (qu.what == qualifier::kind::list_gen) {
      auto xs = l.source.list_elements();
      while (l.index < xs.size()) {
        const term& x = xs[l.index++];
        std::size_t mark = c.trail.size();
        if (match(c, *qu.p, x, f)) {
          c.trail.resize(mark);
          advanced = true;
          break;
        }
        undo(c, f, mark);
      }
      if (!advanced && !l.source.list_tail().is_nil()) eval_error(tuple_of(a_bad_generator, l.source.list_tail()));
    } else {
      // <<Pattern || Pattern <= Bits>>: segments read from what is left; the generator
      // ends where they cannot be read.
      const pat& bp = *qu.p;
      if (bp.kind != pk::bin) eval_error(tuple_of(a_bad_generator, l.source));
      if (l.source.bit_size() > 0) {
        bit_reader r(l.source);
        std::size_t mark = c.trail.size();
        bool ok = true;
        for (const auto& s : bp.segs) {
          std::optional<term> size;
          if (s.size) size = eval_sync(c, *s.size, f);
          auto got = r.get(s.spec, size);
          if (!got || !match(c, *s.p, *got, f)) {
            ok = false;
            break;
          }
        }
        segment_spec rest;
        rest.kind = segment_spec::type::bitstring;
        auto left = r.get(rest, std::nullopt);
        if (ok && left && left->bit_size() < l.source.bit_size()) {
          c.trail.resize(mark);
          l.source = *left;
          advanced = true;
        } else {
          undo(c, f, mark);
          l.source = term::binary(std::string_view());
        }
      }
    }
    if (advanced) {
      entering = true;
      ++q;
      continue;
    }
    entering = false;
    if (q == 0) break;
    --q;
  }
  if (n.kind == nk::lc) co_return out.finish();
  co_return w.finish();
}

}  // namespace otpp::code::detail
