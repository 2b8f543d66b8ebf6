// External Term Format encoding: a two-pass encoder (size, then bytes) that writes what
// OTP 25's term_to_binary/1 writes, with its compression.
#include "otpp/term/etf.hpp"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <vector>

#include "otpp/term/map_order.hpp"
#include "term/atom_table.hpp"
#include "term/etf_tag.hpp"
#include "term/heap.hpp"
#include "term/walk.hpp"

namespace otpp::etf {

using detail::as;
using detail::atom_info;
using detail::heap_object;

std::string_view to_string(tag t) noexcept {
  switch (t) {
    case tag::version: return "VERSION_MAGIC";
    case tag::compressed: return "COMPRESSED";
    case tag::atom_cache_ref: return "ATOM_CACHE_REF";
    case tag::small_integer: return "SMALL_INTEGER_EXT";
    case tag::integer: return "INTEGER_EXT";
    case tag::small_big: return "SMALL_BIG_EXT";
    case tag::large_big: return "LARGE_BIG_EXT";
    case tag::new_float: return "NEW_FLOAT_EXT";
    case tag::float_old: return "FLOAT_EXT";
    case tag::small_atom_utf8: return "SMALL_ATOM_UTF8_EXT";
    case tag::atom_utf8: return "ATOM_UTF8_EXT";
    case tag::atom_latin1: return "ATOM_EXT";
    case tag::small_atom_latin1: return "SMALL_ATOM_EXT";
    case tag::pid_old: return "PID_EXT";
    case tag::new_pid: return "NEW_PID_EXT";
    case tag::port_old: return "PORT_EXT";
    case tag::new_port: return "NEW_PORT_EXT";
    case tag::v4_port: return "V4_PORT_EXT";
    case tag::reference_old: return "REFERENCE_EXT";
    case tag::new_reference: return "NEW_REFERENCE_EXT";
    case tag::newer_reference: return "NEWER_REFERENCE_EXT";
    case tag::small_tuple: return "SMALL_TUPLE_EXT";
    case tag::large_tuple: return "LARGE_TUPLE_EXT";
    case tag::map: return "MAP_EXT";
    case tag::nil: return "NIL_EXT";
    case tag::string: return "STRING_EXT";
    case tag::list: return "LIST_EXT";
    case tag::binary: return "BINARY_EXT";
    case tag::bit_binary: return "BIT_BINARY_EXT";
    case tag::new_fun: return "NEW_FUN_EXT";
    case tag::export_fun: return "EXPORT_EXT";
    case tag::fun_old: return "FUN_EXT";
    case tag::local: return "LOCAL_EXT";
  }
  return "unknown";
}

// =============================================================================================
// Encoding
// =============================================================================================
namespace {

inline void put8(std::uint8_t*& p, std::uint32_t v) noexcept { *p++ = static_cast<std::uint8_t>(v); }
inline void put16(std::uint8_t*& p, std::uint32_t v) noexcept {
  auto x = __builtin_bswap16(static_cast<std::uint16_t>(v));
  std::memcpy(p, &x, 2);
  p += 2;
}
inline void put32(std::uint8_t*& p, std::uint32_t v) noexcept {
  auto x = __builtin_bswap32(v);
  std::memcpy(p, &x, 4);
  p += 4;
}
inline void put64(std::uint8_t*& p, std::uint64_t v) noexcept {
  auto x = __builtin_bswap64(v);
  std::memcpy(p, &x, 8);
  p += 8;
}

// Bytes needed for the magnitude of a small integer outside int32.
inline std::size_t magnitude_bytes(std::uint64_t m) noexcept {
  return static_cast<std::size_t>((64 - __builtin_clzll(m) + 7) / 8);
}

inline std::uint64_t magnitude(std::int64_t v) noexcept {
  return v < 0 ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
}

inline bool fits_int32(std::int64_t v) noexcept {
  return v >= std::numeric_limits<std::int32_t>::min() && v <= std::numeric_limits<std::int32_t>::max();
}

inline std::size_t small_int_size(std::int64_t v) noexcept {
  if (static_cast<std::uint64_t>(v) <= 255) return 2;
  if (fits_int32(v)) return 5;
  return 3 + magnitude_bytes(magnitude(v));
}

constexpr std::size_t max_small_int_size = 11;

inline void write_small_int(std::uint8_t*& p, std::int64_t v) noexcept {
  if (static_cast<std::uint64_t>(v) <= 255) {
    p[0] = tag_byte(tag::small_integer);
    p[1] = static_cast<std::uint8_t>(v);
    p += 2;
  } else if (fits_int32(v)) {
    put8(p, tag_byte(tag::integer));
    put32(p, static_cast<std::uint32_t>(static_cast<std::int32_t>(v)));
  } else {
    std::uint64_t m = magnitude(v);
    std::size_t n = magnitude_bytes(m);
    put8(p, tag_byte(tag::small_big));
    put8(p, static_cast<std::uint32_t>(n));
    put8(p, v < 0 ? 1 : 0);
    for (std::size_t i = 0; i < n; ++i) {
      *p++ = static_cast<std::uint8_t>(m);
      m >>= 8;
    }
  }
}

// A proper list of at most 65535 bytes is written as STRING_EXT, as OTP does.
bool is_external_string(std::span<const term> elems, const term& tail) noexcept {
  if (elems.size() > 0xFFFF || !tail.is_nil()) return false;
  for (const auto& e : elems) {
    if (!e.is_small_integer() || static_cast<std::uint64_t>(e.small_integer()) > 255) return false;
  }
  return true;
}

// OTP writes V4_PORT_EXT for port numbers above the 28 bits older nodes know.
constexpr std::uint64_t max_v3_port = (std::uint64_t{1} << 28) - 1;

// Output into a buffer already known to be large enough (the two-pass API).
struct exact_output {
  std::uint8_t* p;
  void need(std::size_t) noexcept {}
};

// Output appended to a vector that grows as needed (one pass).
struct vector_output {
  std::vector<std::uint8_t>& v;
  std::uint8_t* p;
  std::uint8_t* end;

  vector_output(std::vector<std::uint8_t>& out, std::size_t initial) : v(out) {
    std::size_t used = v.size();
    v.resize(used + initial);
    p = v.data() + used;
    end = v.data() + v.size();
  }
  void need(std::size_t n) {
    if (static_cast<std::size_t>(end - p) < n) [[unlikely]] grow(n);
  }
  void grow(std::size_t n) {
    std::size_t used = static_cast<std::size_t>(p - v.data());
    v.resize(std::max(v.size() * 2, used + n + 64));
    p = v.data() + used;
    end = v.data() + v.size();
  }
  void finish() { v.resize(static_cast<std::size_t>(p - v.data())); }
};

class encoder {
 public:
  explicit encoder(const encode_options& o) noexcept
      : utf8_atoms_(o.minor_version >= 2), rewrite_(o.rewrite_closure) {}

  // ---- first pass: sizes (for encoded_size) ----

  std::size_t atom_size(atom a) const noexcept {
    const auto& e = atom_info(a);
    if (!utf8_atoms_ && e.latin1) return 3 + e.chars;
    return e.size <= 255 ? 2 + e.size : 3 + e.size;
  }

  std::size_t pid_size(const pid& v) const noexcept { return 1 + atom_size(v.node) + 12; }

  // NEW_FUN_EXT's bytes for `f` as it is, without its free variables.
  std::size_t closure_head_size(const fun_value& f) const noexcept {
    return 1 + 4 + 1 + 16 + 4 + 4 + atom_size(f.module) + small_int_size(f.old_index) +
           small_int_size(f.old_uniq) + pid_size(f.creator);
  }

  // NEW_FUN_EXT's bytes for `f` as it is.
  std::size_t closure_size(const fun_value& f, std::size_t depth) const {
    std::size_t n = closure_head_size(f);
    if (depth > detail::recursion_limit) return n + children_size_deep(f.free_vars);
    for (const auto& v : f.free_vars) n += size(v, depth + 1);
    return n;
  }

  static std::size_t big_bytes(const term& t) noexcept {
    return (mpz_sizeinbase(as<detail::big_object>(t)->value, 2) + 7) / 8;
  }

  // The closure `t` is written as, when the rewriter replaces it; nullopt otherwise.
  std::optional<term> rewritten(const term& t) const {
    if (rewrite_ == nullptr || !t.is_fun() || t.fun_content().is_export) [[likely]] return std::nullopt;
    return (*rewrite_)(t.fun_content());
  }

  // Whether `t` is written as a header followed by its subterms (child_cursor's order).
  static bool writes_children(const term& t) noexcept {
    switch (t.type()) {
      case term::kind::tuple:
      case term::kind::map:
        return true;
      case term::kind::list:
        return !is_external_string(t.list_elements(), t.list_tail());
      case term::kind::fun:
        return !t.fun_content().is_export;
      default:
        return false;
    }
  }

  // Bytes of `t` without the subterms writes_children() says follow it.
  std::size_t head_size(const term& t) const {
    switch (t.type()) {
      case term::kind::tuple:
        return t.tuple_size() <= 255 ? 2 : 5;
      case term::kind::map:
        return 5;
      case term::kind::list:
        return writes_children(t) ? 5 : 3 + t.list_elements().size();
      case term::kind::fun:
        if (!t.fun_content().is_export) return closure_head_size(t.fun_content());
        [[fallthrough]];
      default:
        return size(t, 0);
    }
  }

  // The bytes of subterms nested too deep for recursion, counted on an explicit stack.
  template <class Children>
  std::size_t children_size_deep(const Children& first) const {
    std::size_t n = 0;
    std::vector<std::unique_ptr<term>> keep;  // rewritten closures, alive while walked
    detail::work_stack<detail::child_cursor> open;
    auto visit = [&](const term& x) {
      const term* t = &x;
      while (auto other = rewritten(*t)) {
        keep.push_back(std::make_unique<term>(std::move(*other)));
        t = keep.back().get();
      }
      n += head_size(*t);
      if (writes_children(*t)) open.push_back(detail::child_cursor(*t));
    };
    for (const term& x : first) {
      visit(x);
      while (!open.empty()) {
        if (const term* c = open.back().next()) visit(*c);
        else open.pop_back();
      }
    }
    return n;
  }

  std::size_t size(const term& t, std::size_t depth = 0) const {
    switch (t.type()) {
      case term::kind::integer: {
        if (t.is_small_integer()) return small_int_size(t.small_integer());
        std::size_t n = big_bytes(t);
        return n <= 255 ? 3 + n : 6 + n;
      }
      case term::kind::float_:
        return 9;
      case term::kind::atom:
        return atom_size(t.atom_value());
      case term::kind::reference: {
        const auto& r = t.reference_value();
        return 1 + 2 + atom_size(r.node) + 4 + 4 * std::size_t{r.length};
      }
      case term::kind::fun: {
        const auto& f = t.fun_content();
        if (f.is_export) return 1 + atom_size(f.module) + atom_size(f.function) + 2;
        if (rewrite_) [[unlikely]] {
          if (auto other = (*rewrite_)(f)) return size(*other, depth);
        }
        return closure_size(f, depth);
      }
      case term::kind::port: {
        const auto& v = t.port_value();
        return 1 + atom_size(v.node) + (v.id > max_v3_port ? 12 : 8);
      }
      case term::kind::pid:
        return pid_size(t.pid_value());
      case term::kind::tuple: {
        auto e = t.elements();
        std::size_t n = e.size() <= 255 ? 2 : 5;
        if (depth > detail::recursion_limit) return children_size_deep(std::span(&t, 1));
        for (const auto& x : e) n += x.is_small_integer() ? small_int_size(x.small_integer()) : size(x, depth + 1);
        return n;
      }
      case term::kind::map: {
        std::size_t n = 5;
        if (depth > detail::recursion_limit) return children_size_deep(std::span(&t, 1));
        for (const auto& [k, v] : t.map_entries()) n += size(k, depth + 1) + size(v, depth + 1);
        return n;
      }
      case term::kind::nil:
        return 1;
      case term::kind::list: {
        auto elems = t.list_elements();
        const term& tail = t.list_tail();
        if (is_external_string(elems, tail)) return 3 + elems.size();
        if (depth > detail::recursion_limit) return children_size_deep(std::span(&t, 1));
        std::size_t n = 5;
        for (const auto& x : elems) n += x.is_small_integer() ? small_int_size(x.small_integer()) : size(x, depth + 1);
        return n + size(tail, depth + 1);
      }
      case term::kind::bitstring: {
        const auto* b = as<detail::bits_object>(t);
        return (b->bits == 8 ? 5 : 6) + b->size;
      }
    }
    return 0;
  }

  // ---- second pass (or only pass): bytes ----

  template <class Out>
  void write_atom(Out& o, atom a) const {
    const auto& e = atom_info(a);
    o.need(3 + e.size);
    std::uint8_t*& p = o.p;
    if (!utf8_atoms_ && e.latin1) {
      put8(p, tag_byte(tag::atom_latin1));
      put16(p, e.chars);
      if (e.chars == e.size) {
        std::memcpy(p, e.data, e.size);
        p += e.size;
      } else {
        const auto* s = reinterpret_cast<const std::uint8_t*>(e.data);
        for (std::uint32_t i = 0; i < e.size; ++i) {
          if (s[i] < 0x80) {
            *p++ = s[i];
          } else {
            *p++ = static_cast<std::uint8_t>(((s[i] & 0x03) << 6) | (s[i + 1] & 0x3F));
            ++i;
          }
        }
      }
      return;
    }
    if (e.size <= 255) {
      put8(p, tag_byte(tag::small_atom_utf8));
      put8(p, e.size);
    } else {
      put8(p, tag_byte(tag::atom_utf8));
      put16(p, e.size);
    }
    if (e.size != 0) std::memcpy(p, e.data, e.size);
    p += e.size;
  }

  template <class Out>
  void write_pid(Out& o, const pid& v) const {
    o.need(1);
    put8(o.p, tag_byte(tag::new_pid));
    write_atom(o, v.node);
    o.need(12);
    put32(o.p, v.id);
    put32(o.p, v.serial);
    put32(o.p, v.creation);
  }

  template <class Out>
  void write_int(Out& o, std::int64_t v) const {
    o.need(max_small_int_size);
    write_small_int(o.p, v);
  }

  // Writes `t`, nested `depth` levels inside the term being encoded.
  template <class Out>
  void write(Out& o, const term& t, std::size_t depth = 0) const {
    if (rewrite_ && t.is_fun()) [[unlikely]] {
      if (auto other = rewritten(t)) return write(o, *other, depth);
    }
    if (!write_head(o, t, depth)) return;
    if (depth > detail::recursion_limit) return write_children_deep(o, t);
    detail::child_cursor children = cursor(t);
    while (const term* c = children.next()) write_element(o, *c, depth + 1);
  }

  // The subterms of `t` in the order term_to_binary/1 writes them: a map of over 32 keys in
  // the order maps:to_list/1 gives.
  static detail::child_cursor cursor(const term& t) {
    if (t.is_map() && t.map_entries().size() > beam_flatmap_limit) return {t, map_to_list_order(t)};
    return detail::child_cursor(t);
  }

  // Writes the subterms of `t`, nested too deep for recursion, from an explicit stack.
  template <class Out>
  void write_children_deep(Out& o, const term& t) const {
    std::vector<std::unique_ptr<term>> keep;  // rewritten closures, alive while walked
    detail::work_stack<detail::child_cursor> open;
    open.push_back(cursor(t));
    while (!open.empty()) {
      const term* c = open.back().next();
      if (c == nullptr) {
        open.pop_back();
        continue;
      }
      while (auto other = rewritten(*c)) {
        keep.push_back(std::make_unique<term>(std::move(*other)));
        c = keep.back().get();
      }
      if (write_head(o, *c, detail::recursion_limit + 1)) open.push_back(cursor(*c));
    }
  }

  // Writes `t` without the subterms that follow it (true when some do: writes_children()).
  // A closure is written as it is (the rewriter was asked before).
  template <class Out>
  bool write_head(Out& o, const term& t, std::size_t depth) const {
    switch (t.type()) {
      case term::kind::integer:
        if (t.is_small_integer()) {
          write_int(o, t.small_integer());
        } else {
          const auto* z = as<detail::big_object>(t)->value;
          std::size_t n = big_bytes(t);
          o.need(6 + n);
          std::uint8_t*& p = o.p;
          if (n <= 255) {
            put8(p, tag_byte(tag::small_big));
            put8(p, static_cast<std::uint32_t>(n));
          } else {
            put8(p, tag_byte(tag::large_big));
            put32(p, static_cast<std::uint32_t>(n));
          }
          put8(p, mpz_sgn(z) < 0 ? 1 : 0);
          std::size_t count = 0;
          mpz_export(p, &count, -1, 1, 0, 0, z);
          p += n;
        }
        return false;
      case term::kind::float_:
        o.need(9);
        put8(o.p, tag_byte(tag::new_float));
        put64(o.p, std::bit_cast<std::uint64_t>(t.float_value()));
        return false;
      case term::kind::atom:
        write_atom(o, t.atom_value());
        return false;
      case term::kind::reference: {
        const auto& r = t.reference_value();
        o.need(3);
        put8(o.p, tag_byte(tag::newer_reference));
        put16(o.p, r.length);
        write_atom(o, r.node);
        o.need(4 + 4 * std::size_t{r.length});
        put32(o.p, r.creation);
        for (std::size_t i = 0; i < r.length; ++i) put32(o.p, r.words[i]);
        return false;
      }
      case term::kind::fun: {
        const auto& f = t.fun_content();
        if (f.is_export) {
          o.need(1);
          put8(o.p, tag_byte(tag::export_fun));
          write_atom(o, f.module);
          write_atom(o, f.function);
          o.need(2);
          put8(o.p, tag_byte(tag::small_integer));
          put8(o.p, f.arity);
          return false;
        }
        o.need(30);
        put8(o.p, tag_byte(tag::new_fun));
        put32(o.p, static_cast<std::uint32_t>(closure_size(f, depth) - 1));
        put8(o.p, f.arity);
        std::memcpy(o.p, f.uniq.data(), 16);
        o.p += 16;
        put32(o.p, f.index);
        put32(o.p, static_cast<std::uint32_t>(f.free_vars.size()));
        write_atom(o, f.module);
        write_int(o, f.old_index);
        write_int(o, f.old_uniq);
        write_pid(o, f.creator);
        return !f.free_vars.empty();
      }
      case term::kind::port: {
        const auto& v = t.port_value();
        o.need(1);
        bool v4 = v.id > max_v3_port;
        put8(o.p, tag_byte(v4 ? tag::v4_port : tag::new_port));
        write_atom(o, v.node);
        o.need(12);
        if (v4) {
          put64(o.p, v.id);
        } else {
          put32(o.p, static_cast<std::uint32_t>(v.id));
        }
        put32(o.p, v.creation);
        return false;
      }
      case term::kind::pid:
        write_pid(o, t.pid_value());
        return false;
      case term::kind::tuple: {
        auto e = t.elements();
        o.need(5);
        if (e.size() <= 255) {
          put8(o.p, tag_byte(tag::small_tuple));
          put8(o.p, static_cast<std::uint32_t>(e.size()));
        } else {
          put8(o.p, tag_byte(tag::large_tuple));
          put32(o.p, static_cast<std::uint32_t>(e.size()));
        }
        return !e.empty();
      }
      case term::kind::map: {
        auto e = t.map_entries();
        o.need(5);
        put8(o.p, tag_byte(tag::map));
        put32(o.p, static_cast<std::uint32_t>(e.size()));
        return !e.empty();
      }
      case term::kind::nil:
        o.need(1);
        put8(o.p, tag_byte(tag::nil));
        return false;
      case term::kind::list: {
        auto elems = t.list_elements();
        const term& tail = t.list_tail();
        if (is_external_string(elems, tail)) {
          o.need(3 + elems.size());
          put8(o.p, tag_byte(tag::string));
          put16(o.p, static_cast<std::uint32_t>(elems.size()));
          std::uint8_t* p = o.p;
          for (const auto& x : elems) *p++ = static_cast<std::uint8_t>(x.small_integer());
          o.p = p;
          return false;
        }
        o.need(5);
        put8(o.p, tag_byte(tag::list));
        put32(o.p, static_cast<std::uint32_t>(elems.size()));
        return true;
      }
      case term::kind::bitstring: {
        const auto* b = as<detail::bits_object>(t);
        o.need(6 + b->size);
        if (b->bits == 8) {
          put8(o.p, tag_byte(tag::binary));
          put32(o.p, static_cast<std::uint32_t>(b->size));
        } else {
          put8(o.p, tag_byte(tag::bit_binary));
          put32(o.p, static_cast<std::uint32_t>(b->size));
          put8(o.p, b->bits);
        }
        if (b->size != 0) {
          std::memcpy(o.p, b->data, b->size);
          if (b->bits != 8) o.p[b->size - 1] &= static_cast<std::uint8_t>(0xFF << (8 - b->bits));
        }
        o.p += b->size;
        return false;
      }
    }
    return false;
  }

  // Elements are mostly small integers and atoms: handle those without the full switch.
  template <class Out>
  void write_element(Out& o, const term& x, std::size_t depth) const {
    if (x.is_small_integer()) {
      write_int(o, x.small_integer());
    } else if (x.is_atom()) {
      write_atom(o, x.atom_value());
    } else {
      write(o, x, depth);
    }
  }

 private:
  bool utf8_atoms_;
  const closure_rewriter* rewrite_;
};

}  // namespace

std::size_t encoded_size(const term& t, const encode_options& options, bool with_version) {
  return encoder(options).size(t) + (with_version ? 1 : 0);
}

std::uint8_t* encode_into(const term& t, std::uint8_t* out, const encode_options& options, bool with_version) {
  if (with_version) *out++ = tag_byte(tag::version);
  exact_output o{out};
  encoder(options).write(o, t);
  return o.p;
}

void encode_append(const term& t, std::vector<std::uint8_t>& out, const encode_options& options) {
  encoder enc(options);
  if (!options.compressed) {
    vector_output o(out, 64);
    put8(o.p, tag_byte(tag::version));
    enc.write(o, t);
    o.finish();
    return;
  }
  std::vector<std::uint8_t> plain;
  {
    vector_output o(plain, 256);
    enc.write(o, t);
    o.finish();
  }
  std::size_t body = plain.size();
  std::size_t start = out.size();
  // As OTP: zlib gets an output buffer 5 bytes smaller than the plain encoding, so the
  // compressed form is used only when it is no larger; any zlib error means "stay plain".
  uLongf dest_len = body < 5 ? 0 : body - 5;
  int rc = Z_BUF_ERROR;
  if (body >= 5 && body <= 0xFFFFFFFFu) {
    out.resize(start + 6 + dest_len);
    rc = compress2(out.data() + start + 6, &dest_len, plain.data(), body, options.compression_level);
  }
  if (rc != Z_OK) {
    out.resize(start + 1 + body);
    out[start] = tag_byte(tag::version);
    std::memcpy(out.data() + start + 1, plain.data(), body);
    return;
  }
  std::uint8_t* p = out.data() + start;
  put8(p, tag_byte(tag::version));
  put8(p, tag_byte(tag::compressed));
  put32(p, static_cast<std::uint32_t>(body));
  out.resize(start + 6 + dest_len);
}

std::vector<std::uint8_t> encode(const term& t, const encode_options& options) {
  std::vector<std::uint8_t> out;
  encode_append(t, out, options);
  return out;
}

}  // namespace otpp::etf
