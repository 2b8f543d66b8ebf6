// Erlang's `re` (run, compile, replace, split, inspect, version) over PCRE2, the library Elixir's
// Regex (src/code/lib/Regex.ex) is written on. A compiled pattern is the term
// `{re_pattern, Groups, Unicode, 0, Bin}` as on BEAM, Bin holding the source and its options, so
// it travels as any term and the node that runs it compiles it again (cached per thread).
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "code/modules/support.hpp"
#include "otpp/term/unicode.hpp"

namespace otpp::code::lib {

namespace {

const atom a_re_pattern("re_pattern");
const atom a_match("match");
const atom a_nomatch("nomatch");
const atom a_capture("capture");
const atom a_index("index");
const atom a_list("list");
const atom a_binary("binary");
const atom a_iodata("iodata");
const atom a_all("all");
const atom a_all_but_first("all_but_first");
const atom a_first("first");
const atom a_none("none");
const atom a_all_names("all_names");
const atom a_offset("offset");
const atom a_match_limit("match_limit");
const atom a_match_limit_recursion("match_limit_recursion");
const atom a_return("return");
const atom a_parts("parts");
const atom a_namelist("namelist");
const atom a_infinity("infinity");

// What makes the Bin of a pattern term one of ours: then 4 bytes of options, then the source.
constexpr std::string_view magic = "otpp-pcre2:";

// BEAM's default: a pattern that backtracks catastrophically stops here, as a failed match (or
// {error, match_limit} with report_errors), instead of holding the scheduler.
constexpr std::uint32_t default_match_limit = 10'000'000;
constexpr std::uint32_t default_depth_limit = 100'000;

struct compiled {
  pcre2_code* code = nullptr;
  std::uint32_t groups = 0;
  bool utf = false;
  std::vector<std::pair<std::string, std::uint32_t>> names;  // sorted by name, as re:inspect lists them
  compiled() = default;
  compiled(const compiled&) = delete;
  compiled& operator=(const compiled&) = delete;
  ~compiled() { pcre2_code_free(code); }
};

struct compile_error {
  std::string message;
  std::size_t offset;
};

// PCRE2's words for the errors people make most, in the words of BEAM's PCRE (which Elixir's
// Regex.CompileError repeats); the rest keep PCRE2's text.
std::string beam_message(int code, const std::string& pcre2_text) {
  switch (code) {
    case PCRE2_ERROR_MISSING_CLOSING_PARENTHESIS: return "missing )";
    case PCRE2_ERROR_UNMATCHED_CLOSING_PARENTHESIS: return "unmatched parentheses";
    case PCRE2_ERROR_QUANTIFIER_INVALID: return "nothing to repeat";
    case PCRE2_ERROR_MISSING_SQUARE_BRACKET: return "missing terminating ] for character class";
    case PCRE2_ERROR_END_BACKSLASH: return "\\ at end of pattern";
    case PCRE2_ERROR_QUANTIFIER_OUT_OF_ORDER: return "numbers out of order in {} quantifier";
    case PCRE2_ERROR_CLASS_RANGE_ORDER: return "range out of order in character class";
    default: return pcre2_text;
  }
}

using compile_result = std::variant<std::shared_ptr<const compiled>, compile_error>;

compile_result compile_now(const std::string& source, std::uint32_t options) {
  int code = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* re = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(source.data()), source.size(), options, &code, &offset,
                                 nullptr);
  if (!re) {
    PCRE2_UCHAR buf[256];
    int n = pcre2_get_error_message(code, buf, sizeof buf);
    std::string text = n > 0 ? std::string(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n)) : "error";
    return compile_error{beam_message(code, text), offset};
  }
  auto c = std::make_shared<compiled>();
  c->code = re;
  c->utf = (options & PCRE2_UTF) != 0;
  pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &c->groups);
  std::uint32_t count = 0, entry_size = 0;
  PCRE2_SPTR table = nullptr;
  pcre2_pattern_info(re, PCRE2_INFO_NAMECOUNT, &count);
  pcre2_pattern_info(re, PCRE2_INFO_NAMEENTRYSIZE, &entry_size);
  pcre2_pattern_info(re, PCRE2_INFO_NAMETABLE, &table);
  for (std::uint32_t i = 0; i < count; ++i) {
    const auto* e = table + static_cast<std::size_t>(i) * entry_size;
    std::uint32_t number = (static_cast<std::uint32_t>(e[0]) << 8) | e[1];
    c->names.emplace_back(std::string(reinterpret_cast<const char*>(e + 2)), number);
  }
  std::sort(c->names.begin(), c->names.end());
  return c;
}

// Each scheduler thread keeps the patterns it ran lately: a regex used in a loop compiles once.
compile_result compile_cached(const std::string& source, std::uint32_t options) {
  thread_local std::unordered_map<std::string, std::shared_ptr<const compiled>> cache;
  std::string key(reinterpret_cast<const char*>(&options), sizeof options);
  key += source;
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  auto r = compile_now(source, options);
  if (auto* c = std::get_if<std::shared_ptr<const compiled>>(&r)) {
    if (cache.size() >= 256) cache.clear();
    cache.emplace(std::move(key), *c);
  }
  return r;
}

// ---- arguments -------------------------------------------------------------------------------

// Text of iodata/chardata as PCRE2 reads it: UTF-8 in unicode mode, bytes (code points up to
// 255) otherwise. badarg when it is neither.
std::string text_of(const term& t, bool utf) {
  if (t.is_binary()) return std::string(t.bytes_as_string());
  if (utf) {
    auto s = unicode::characters_to_utf8(t, unicode::encoding::unicode);
    if (!s) badarg();
    return std::move(*s);
  }
  auto cps = unicode::characters_to_list(t, unicode::encoding::latin1);
  if (!cps) badarg();
  std::string out;
  out.reserve(cps->size());
  for (char32_t c : *cps) out.push_back(static_cast<char>(c));
  return out;
}

// A compile option's PCRE2 flag, or 0 when `o` is not one.
std::uint32_t compile_flag(const term& o) {
  if (!o.is_atom()) return 0;
  const std::string_view n = o.atom_value().name();
  if (n == "unicode") return PCRE2_UTF;
  if (n == "caseless") return PCRE2_CASELESS;
  if (n == "multiline") return PCRE2_MULTILINE;
  if (n == "dotall") return PCRE2_DOTALL;
  if (n == "extended") return PCRE2_EXTENDED;
  if (n == "firstline") return PCRE2_FIRSTLINE;
  if (n == "ungreedy") return PCRE2_UNGREEDY;
  if (n == "dollar_endonly") return PCRE2_DOLLAR_ENDONLY;
  if (n == "no_auto_capture") return PCRE2_NO_AUTO_CAPTURE;
  if (n == "dupnames") return PCRE2_DUPNAMES;
  if (n == "ucp") return PCRE2_UCP;
  if (n == "never_utf") return PCRE2_NEVER_UTF;
  if (n == "no_start_optimize") return PCRE2_NO_START_OPTIMIZE;
  return 0;
}

struct run_options {
  std::uint32_t compile = 0;
  std::uint32_t match = 0;  // anchored, notbol, noteol, notempty, notempty_atstart
  bool global = false;
  bool report_errors = false;
  std::size_t offset = 0;
  std::uint32_t match_limit = default_match_limit;
  std::uint32_t depth_limit = default_depth_limit;
  term capture = a_all;
  atom type = a_index;
  bool capture_given = false;
  // replace and split
  atom return_type = a_iodata;
  std::int64_t parts = -1;  // -1: infinity
  bool trim = false;
  bool group = false;
};

enum class call_kind { run, compile, replace, split };

run_options parse_options(const term& options, call_kind kind) {
  run_options r;
  for (const term& o : proper_or(options, atoms::badarg)) {
    if (std::uint32_t f = compile_flag(o)) {
      r.compile |= f;
      continue;
    }
    if (o.is_atom()) {
      const std::string_view n = o.atom_value().name();
      if (n == "anchored") {
        r.compile |= PCRE2_ANCHORED;
        continue;
      }
      if (kind == call_kind::compile) badarg();
      if (n == "global" && kind != call_kind::split) r.global = true;
      else if (n == "notbol") r.match |= PCRE2_NOTBOL;
      else if (n == "noteol") r.match |= PCRE2_NOTEOL;
      else if (n == "notempty") r.match |= PCRE2_NOTEMPTY;
      else if (n == "notempty_atstart") r.match |= PCRE2_NOTEMPTY_ATSTART;
      else if (n == "report_errors" && kind == call_kind::run) r.report_errors = true;
      else if (n == "trim" && kind == call_kind::split) r.trim = true;
      else if (n == "group" && kind == call_kind::split) r.group = true;
      else badarg();
      continue;
    }
    if (!o.is_tuple() || o.tuple_size() < 2 || !o[0].is_atom() || kind == call_kind::compile) {
      if (o.is_tuple() && o.tuple_size() == 2 && o[0].is_atom(atom("newline"))) continue;
      badarg();
    }
    const atom key = o[0].atom_value();
    if (key == a_offset && o.tuple_size() == 2) {
      auto v = small(o[1]);
      if (v < 0) badarg();
      r.offset = static_cast<std::size_t>(v);
    } else if (key == a_match_limit && o.tuple_size() == 2) {
      r.match_limit = static_cast<std::uint32_t>(std::clamp<std::int64_t>(small(o[1]), 0, default_match_limit));
    } else if (key == a_match_limit_recursion && o.tuple_size() == 2) {
      r.depth_limit = static_cast<std::uint32_t>(std::clamp<std::int64_t>(small(o[1]), 0, default_depth_limit));
    } else if (key == a_capture && kind == call_kind::run && (o.tuple_size() == 2 || o.tuple_size() == 3)) {
      r.capture = o[1];
      r.capture_given = true;
      if (o.tuple_size() == 3) {
        if (!o[2].is_atom(a_index) && !o[2].is_atom(a_list) && !o[2].is_atom(a_binary)) badarg();
        r.type = o[2].atom_value();
      }
    } else if (key == a_return && kind != call_kind::run && o.tuple_size() == 2) {
      if (!o[1].is_atom(a_iodata) && !o[1].is_atom(a_list) && !o[1].is_atom(a_binary)) badarg();
      r.return_type = o[1].atom_value();
    } else if (key == a_parts && kind == call_kind::split && o.tuple_size() == 2) {
      if (o[1].is_atom(a_infinity)) r.parts = -1;
      else {
        r.parts = small(o[1]);
        if (r.parts < 0) badarg();
        if (r.parts == 0) r.trim = true, r.parts = -1;
      }
    } else if (key == atom("newline") || key == atom("bsr_anycrlf") || key == atom("bsr_unicode")) {
      // line endings: PCRE2's default (LF) is BEAM's
    } else {
      badarg();
    }
  }
  return r;
}

std::string pattern_bin(const std::string& source, std::uint32_t options) {
  std::string bin(magic);
  bin.append(reinterpret_cast<const char*>(&options), sizeof options);
  bin += source;
  return bin;
}

term pattern_term(const compiled& c, const std::string& source, std::uint32_t options) {
  return term::tuple({a_re_pattern, integer(static_cast<std::int64_t>(c.groups)), integer(std::int64_t{c.utf ? 1 : 0}),
                      integer(std::int64_t{0}), bin(pattern_bin(source, options))});
}

// The pattern `re` stands for: a compiled pattern term (ours; another node's is badarg, as a
// pattern of another PCRE version is on BEAM), or source text compiled with `extra` options.
std::shared_ptr<const compiled> pattern_of(const term& re, std::uint32_t extra) {
  if (re.is_tuple() && re.tuple_size() == 5 && re[0].is_atom(a_re_pattern)) {
    if (!re[4].is_binary()) badarg();
    std::string_view b = re[4].bytes_as_string();
    if (b.size() < magic.size() + 4 || b.substr(0, magic.size()) != magic) badarg();
    std::uint32_t options = 0;
    std::memcpy(&options, b.data() + magic.size(), sizeof options);
    std::string source(b.substr(magic.size() + 4));
    auto r = compile_cached(source, options);
    if (auto* c = std::get_if<std::shared_ptr<const compiled>>(&r)) return *c;
    badarg();
  }
  std::string source = text_of(re, (extra & PCRE2_UTF) != 0);
  auto r = compile_cached(source, extra);
  if (auto* c = std::get_if<std::shared_ptr<const compiled>>(&r)) return *c;
  badarg();
}

// ---- matching --------------------------------------------------------------------------------

struct match_data_deleter {
  void operator()(pcre2_match_data* m) const { pcre2_match_data_free(m); }
};
struct match_context_deleter {
  void operator()(pcre2_match_context* m) const { pcre2_match_context_free(m); }
};

/// One match: each group's {start, end} (start SIZE_MAX when unset), `set` of them counted as
/// PCRE's result does (the trailing unset ones left out).
struct found {
  std::vector<std::pair<std::size_t, std::size_t>> spans;
  std::size_t set = 0;
};

enum class outcome { ok, limit };

class matcher {
 public:
  matcher(std::shared_ptr<const compiled> c, const run_options& o)
      : c_(std::move(c)),
        data_(pcre2_match_data_create_from_pattern(c_->code, nullptr)),
        context_(pcre2_match_context_create(nullptr)),
        flags_(o.match) {
    pcre2_set_match_limit(context_.get(), o.match_limit);
    pcre2_set_depth_limit(context_.get(), o.depth_limit);
  }

  /// Every match from `offset` (only the first unless `global`), as Perl's global loop finds
  /// them: after an empty match the next try at the same place must not be empty.
  outcome all(const std::string& subject, std::size_t offset, bool global, std::vector<found>& out) {
    bool after_empty = false;
    while (offset <= subject.size()) {
      std::uint32_t flags = flags_ | (after_empty ? PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED : 0);
      int rc = pcre2_match(c_->code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), offset, flags,
                           data_.get(), context_.get());
      if (rc == PCRE2_ERROR_NOMATCH) {
        if (!after_empty) break;
        after_empty = false;
        offset = next_char(subject, offset);
        continue;
      }
      if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT) return outcome::limit;
      if (rc < 0) badarg();  // e.g. a subject that is not UTF-8 in unicode mode
      const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(data_.get());
      found f;
      f.set = static_cast<std::size_t>(rc);
      for (std::uint32_t g = 0; g <= c_->groups; ++g) {
        if (g < f.set && ov[2 * g] != PCRE2_UNSET) f.spans.emplace_back(ov[2 * g], ov[2 * g + 1]);
        else f.spans.emplace_back(SIZE_MAX, 0);
      }
      const std::size_t start = f.spans[0].first, end = f.spans[0].second;
      out.push_back(std::move(f));
      if (!global) break;
      after_empty = start == end;
      offset = end;
    }
    return outcome::ok;
  }

  [[nodiscard]] const compiled& pattern() const { return *c_; }

 private:
  std::size_t next_char(const std::string& s, std::size_t i) const {
    ++i;
    if (c_->utf)
      while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
    return i;
  }

  std::shared_ptr<const compiled> c_;
  std::unique_ptr<pcre2_match_data, match_data_deleter> data_;
  std::unique_ptr<pcre2_match_context, match_context_deleter> context_;
  std::uint32_t flags_;
};

// The text `bytes` as `type` asks: a binary, or a list of characters (code points in unicode mode).
term text_term(std::string_view bytes, atom type, bool utf) {
  if (type == a_binary || type == a_iodata) return bin(bytes);
  if (utf) {
    if (auto cps = unicode::from_utf8(bytes)) return char_list(*cps);
  }
  std::vector<term> out;
  out.reserve(bytes.size());
  for (unsigned char c : bytes) out.emplace_back(static_cast<long long>(c));
  return term::list(std::move(out));
}

// The group numbers a capture spec names; `all` follows the match's own count.
std::vector<std::int64_t> capture_groups(const term& spec, const compiled& c, const found& f) {
  std::vector<std::int64_t> out;
  if (spec.is_atom(a_all) || spec.is_atom(a_all_but_first)) {
    for (std::size_t g = spec.is_atom(a_all) ? 0 : 1; g < f.set; ++g) out.push_back(static_cast<std::int64_t>(g));
  } else if (spec.is_atom(a_first)) {
    out.push_back(0);
  } else if (spec.is_atom(a_none)) {
  } else if (spec.is_atom(a_all_names)) {
    for (const auto& [name, number] : c.names) out.push_back(number);
  } else if (spec.is_list()) {
    for (const term& g : proper_or(spec, atoms::badarg)) {
      if (g.is_small_integer()) {
        out.push_back(g.small_integer());
        continue;
      }
      std::string name = g.is_atom() ? std::string(g.atom_value().name()) : text_of(g, true);
      std::int64_t number = -1;
      for (const auto& [n, no] : c.names)
        if (n == name) number = no;
      out.push_back(number);
    }
  } else {
    badarg();
  }
  return out;
}

term captured(const std::vector<std::int64_t>& groups, const found& f, const std::string& subject, atom type,
              bool utf) {
  std::vector<term> out;
  out.reserve(groups.size());
  for (std::int64_t g : groups) {
    const bool set = g >= 0 && static_cast<std::size_t>(g) < f.spans.size() && f.spans[static_cast<std::size_t>(g)].first != SIZE_MAX;
    if (type == a_index) {
      if (!set) out.push_back(tuple_of(integer(std::int64_t{-1}), integer(std::int64_t{0})));
      else {
        auto [s, e] = f.spans[static_cast<std::size_t>(g)];
        out.push_back(tuple_of(integer(s), integer(e - s)));
      }
    } else if (!set) {
      out.push_back(type == a_binary ? bin("") : term());
    } else {
      auto [s, e] = f.spans[static_cast<std::size_t>(g)];
      out.push_back(text_term(std::string_view(subject).substr(s, e - s), type, utf));
    }
  }
  return term::list(std::move(out));
}

term re_run(const term& subject_in, const term& re, const term& options) {
  run_options o = parse_options(options, call_kind::run);
  auto c = pattern_of(re, o.compile);
  const bool utf = c->utf || (o.compile & PCRE2_UTF);
  std::string subject = text_of(subject_in, utf);
  if (o.offset > subject.size()) badarg();
  matcher m(c, o);
  std::vector<found> matches;
  if (m.all(subject, o.offset, o.global, matches) == outcome::limit)
    return o.report_errors ? tuple_of(atoms::error, a_match_limit) : term(a_nomatch);
  if (matches.empty()) return a_nomatch;
  if (o.capture.is_atom(a_none)) return a_match;
  if (!o.global) return tuple_of(a_match, captured(capture_groups(o.capture, *c, matches[0]), matches[0], subject, o.type, utf));
  std::vector<term> all;
  for (const found& f : matches) all.push_back(captured(capture_groups(o.capture, *c, f), f, subject, o.type, utf));
  return tuple_of(a_match, term::list(std::move(all)));
}

term re_compile(const term& source_in, const term& options) {
  run_options o = parse_options(options, call_kind::compile);
  std::string source = text_of(source_in, (o.compile & PCRE2_UTF) != 0);
  auto r = compile_cached(source, o.compile);
  if (auto* e = std::get_if<compile_error>(&r))
    return tuple_of(atoms::error, tuple_of(term::string(e->message), integer(e->offset)));
  return tuple_of(atoms::ok, pattern_term(*std::get<std::shared_ptr<const compiled>>(r), source, o.compile));
}

term result_text(const std::string& bytes, atom type, bool utf) {
  return type == a_list ? text_term(bytes, a_list, utf) : bin(bytes);
}

// The replacement of re:replace/4: `&` the match, `\N`, `\gN` and `\g{N}` group N, `\&` and `\\`
// themselves.
std::string replacement_for(const std::string& rep, const found& f, const std::string& subject) {
  auto group = [&](std::size_t g) {
    if (g >= f.spans.size() || f.spans[g].first == SIZE_MAX) return std::string_view();
    return std::string_view(subject).substr(f.spans[g].first, f.spans[g].second - f.spans[g].first);
  };
  std::string out;
  for (std::size_t i = 0; i < rep.size(); ++i) {
    const char ch = rep[i];
    if (ch == '&') {
      out += group(0);
    } else if (ch == '\\' && i + 1 < rep.size()) {
      std::size_t j = i + 1;
      bool braces = false;
      if (rep[j] == 'g') {
        ++j;
        if (j < rep.size() && rep[j] == '{') braces = true, ++j;
      }
      std::size_t k = j;
      while (k < rep.size() && rep[k] >= '0' && rep[k] <= '9') ++k;
      if (k > j && (!braces || (k < rep.size() && rep[k] == '}'))) {
        out += group(std::stoul(rep.substr(j, k - j)));
        i = braces ? k : k - 1;
      } else {
        out += rep[i + 1];
        ++i;
      }
    } else {
      out += ch;
    }
  }
  return out;
}

term re_replace(const term& subject_in, const term& re, const term& replacement, const term& options) {
  run_options o = parse_options(options, call_kind::replace);
  auto c = pattern_of(re, o.compile);
  const bool utf = c->utf || (o.compile & PCRE2_UTF);
  std::string subject = text_of(subject_in, utf);
  std::string rep = text_of(replacement, utf);
  matcher m(c, o);
  std::vector<found> matches;
  (void)m.all(subject, 0, o.global, matches);
  std::string out;
  std::size_t at = 0;
  for (const found& f : matches) {
    out.append(subject, at, f.spans[0].first - at);
    out += replacement_for(rep, f, subject);
    at = f.spans[0].second;
  }
  out.append(subject, at);
  return result_text(out, o.return_type, utf);
}

term re_split(const term& subject_in, const term& re, const term& options) {
  run_options o = parse_options(options, call_kind::split);
  auto c = pattern_of(re, o.compile);
  const bool utf = c->utf || (o.compile & PCRE2_UTF);
  std::string subject = text_of(subject_in, utf);
  matcher m(c, o);
  std::vector<found> matches;
  (void)m.all(subject, 0, true, matches);
  // Empty matches at the very start and end split nothing, as in Perl.
  std::erase_if(matches, [&](const found& f) {
    return f.spans[0].first == f.spans[0].second && (f.spans[0].first == 0 || f.spans[0].first == subject.size());
  });
  if (o.parts > 0 && matches.size() > static_cast<std::size_t>(o.parts - 1)) matches.resize(static_cast<std::size_t>(o.parts - 1));
  const atom type = o.return_type == a_list ? a_list : a_binary;
  std::vector<std::vector<term>> pieces;
  std::size_t at = 0;
  for (const found& f : matches) {
    std::vector<term> piece{text_term(std::string_view(subject).substr(at, f.spans[0].first - at), type, utf)};
    for (std::size_t g = 1; g < f.set; ++g) {
      auto [s, e] = f.spans[g];
      piece.push_back(s == SIZE_MAX ? text_term("", type, utf) : text_term(std::string_view(subject).substr(s, e - s), type, utf));
    }
    pieces.push_back(std::move(piece));
    at = f.spans[0].second;
  }
  pieces.push_back({text_term(std::string_view(subject).substr(at), type, utf)});
  auto empty = [](const term& t) { return t.is_nil() || (t.is_binary() && t.bytes_as_string().empty()); };
  if (o.trim)
    while (!pieces.empty() && std::all_of(pieces.back().begin(), pieces.back().end(), empty)) pieces.pop_back();
  std::vector<term> out;
  for (auto& piece : pieces) {
    if (o.group) out.push_back(term::list(std::move(piece)));
    else out.insert(out.end(), piece.begin(), piece.end());
  }
  return term::list(std::move(out));
}

}  // namespace

void add_re(export_table& x) {
  x.add("re", "run", [](term subject, term re) { return re_run(subject, re, term()); });
  x.add("re", "run", [](term subject, term re, term options) { return re_run(subject, re, options); });
  x.add("re", "compile", [](term source) { return re_compile(source, term()); });
  x.add("re", "compile", [](term source, term options) { return re_compile(source, options); });
  x.add("re", "replace", [](term subject, term re, term rep) { return re_replace(subject, re, rep, term()); });
  x.add("re", "replace", [](term subject, term re, term rep, term options) {
    return re_replace(subject, re, rep, options);
  });
  x.add("re", "split", [](term subject, term re) { return re_split(subject, re, term()); });
  x.add("re", "split", [](term subject, term re, term options) { return re_split(subject, re, options); });
  x.add("re", "inspect", [](term re, term what) {
    if (!what.is_atom(a_namelist)) badarg();
    auto c = pattern_of(re, 0);
    std::vector<term> names;
    for (const auto& [name, number] : c->names) names.push_back(bin(name));
    return tuple_of(a_namelist, term::list(std::move(names)));
  });
  x.add("re", "version", [] {
    char version[64] = {};
    (void)pcre2_config(PCRE2_CONFIG_VERSION, version);
    return bin(version);
  });
}

}  // namespace otpp::code::lib

namespace otpp::code::lib {

namespace {

bool is_regex(const term& t) {
  const term* s = t.is_map() ? field(t, a::struct_) : nullptr;
  return s && s->is_atom(atom("Elixir.Regex"));
}

// `module:function/arity` of the table, wrapped: a %Regex{} as argument 2 goes to
// Regex.<regex_function>(regex, string, rest...) instead.
void route_regex(export_table& x, std::string_view module, std::string_view function, int arity,
                 std::string_view regex_function) {
  auto e = x.find(atom(export_table::elixir_module(module)), atom(function), static_cast<std::size_t>(arity));
  if (!e) return;
  auto* plain = std::get_if<export_table::function_fn>(&e->fn);
  if (!plain) return;
  e->fn = export_table::function_fn(
      [plain = *plain, target = atom(regex_function)](process& self, std::vector<term> args) -> task<term> {
        if (args.size() < 2 || !is_regex(args[1])) return plain(self, std::move(args));
        std::swap(args[0], args[1]);
        return call_export(self, atom("Elixir.Regex"), target, std::move(args));
      });
  x.add_entries({std::move(*e)});
}

}  // namespace

void route_regex_patterns(export_table& x) {
  route_regex(x, "Kernel", "=~", 2, "match?");
  route_regex(x, "String", "split", 2, "split");
  route_regex(x, "String", "split", 3, "split");
  route_regex(x, "String", "replace", 3, "replace");
  route_regex(x, "String", "replace", 4, "replace");
}

}  // namespace otpp::code::lib
