// Exceptions worded and laid out as erl_error:format_exception/7 does for the erl shell (OTP 25):
// the explanation of the reason, then each stack frame, the first with the call's arguments and
// erl_erts_errors' notes on a BIF's bad argument.
#include "erl_errors.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <string_view>
#include <vector>

#include "otpp/otp/io_format.hpp"
#include "otpp/term/print.hpp"
#include "otpp/term/unicode.hpp"

namespace otpp::shell::detail {

std::string erl_printer::pp(const term& t, int column) const {
  io::print_options o;
  o.column = column;
  o.line_length = line_length;
  o.depth = 30;  // the shell's ?LINEMAX
  o.line_max_chars = 60;  // the shell's ?CHAR_MAX
  o.enc = io::encoding::unicode;
  o.numbering = numbering;
  return unicode::to_utf8(io::print(t, o));
}

namespace {

const atom a_function_clause("function_clause");

// The tag "** " is three characters: the report is indented by them.
const std::string indent = "   ";
const std::string frame_indent = indent + "  ";

std::string exited(error_class cls) {
  switch (cls) {
    case error_class::error: return "exception error: ";
    case error_class::exit: return "exception exit: ";
    case error_class::throw_: return "exception throw: ";
  }
  return {};
}

int length(std::string_view s) {
  // Characters, not bytes (string:length/1 of the text so far).
  int n = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

int count_nl(std::string_view s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

std::string spaces(int n) { return std::string(static_cast<std::size_t>(std::max(n, 0)), ' '); }

bool is_stacktrace(const term& st) {
  if (!st.is_proper_list()) return false;
  for (const term& f : st.list_elements()) {
    if (!f.is_tuple() || f.tuple_size() != 4 || !f[0].is_atom() || !f[1].is_atom() || !f[3].is_list()) return false;
    if (!f[2].is_integer() && !f[2].is_proper_list()) return false;
  }
  return true;
}

std::size_t n_args(const term& a) {
  return a.is_proper_list() ? a.list_elements().size() : static_cast<std::size_t>(a.to_int64().value_or(0));
}

// erl_internal:op_type/2 of module erlang.
bool is_op(atom m, atom f, std::size_t arity) {
  if (m != atoms::erlang) return false;
  static const std::array<std::string_view, 4> unary = {"+", "-", "bnot", "not"};
  static const std::array<std::string_view, 25> binary = {
      "+",   "-",    "*",   "/",   "div", "rem", "band", "bor", "bxor", "bsl", "bsr", "and", "or",
      "xor", "==",   "/=",  "=<",  "<",   ">=",  ">",    "=:=", "=/=",  "++",  "--",  "!"};
  const std::string_view n = f.name();
  if (arity == 1) return std::find(unary.begin(), unary.end(), n) != unary.end();
  if (arity == 2) return std::find(binary.begin(), binary.end(), n) != binary.end();
  return false;
}

// erl_internal:bif/3 for the BIFs a shell user calls: written without their module.
bool is_auto_imported(atom m, atom f) {
  if (m != atoms::erlang) return false;
  static const std::array<std::string_view, 78> names = {
      "abs", "apply", "atom_to_binary", "atom_to_list", "binary_part", "binary_to_atom",
      "binary_to_existing_atom", "binary_to_float", "binary_to_integer", "binary_to_list",
      "binary_to_term", "bit_size", "byte_size", "ceil", "demonitor", "element", "erase", "error",
      "exit", "float", "float_to_binary", "float_to_list", "floor", "get", "get_keys",
      "group_leader", "halt", "hd", "integer_to_binary", "integer_to_list", "iolist_size",
      "iolist_to_binary", "is_alive", "is_map_key", "is_process_alive", "length", "link",
      "list_to_atom", "list_to_binary", "list_to_existing_atom", "list_to_float",
      "list_to_integer", "list_to_pid", "list_to_tuple", "make_ref", "map_get", "map_size", "max",
      "min", "monitor", "node", "nodes", "pid_to_list", "process_flag", "process_info", "put",
      "register", "registered", "round", "self", "setelement", "size", "spawn", "spawn_link",
      "spawn_monitor", "spawn_opt", "split_binary", "statistics", "term_to_binary", "throw", "tl",
      "trunc", "tuple_size", "tuple_to_list", "unlink", "unregister", "whereis", "is_function"};
  return std::find(names.begin(), names.end(), f.name()) != names.end();
}

std::string write_atom(atom a) { return format_atom(a, syntax::erlang); }

std::string mf_to_string(atom m, atom f, std::size_t arity) {
  if (is_auto_imported(m, f)) return write_atom(f);
  if (is_op(m, f, arity)) return f.name() == "/" ? write_atom(f) : std::string(f.name());
  return write_atom(m) + ":" + write_atom(f);
}

std::string mfa_to_string(atom m, atom f, std::size_t arity) {
  return mf_to_string(m, f, arity) + "/" + std::to_string(arity);
}

std::string location(const term& info) {
  std::optional<std::string> file;
  std::optional<std::int64_t> line;
  if (info.is_proper_list()) {
    for (const term& kv : info.list_elements()) {
      if (!kv.is_tuple() || kv.tuple_size() != 2 || !kv[0].is_atom()) continue;
      if (kv[0].atom_value().name() == "file") file = kv[1].to_text();
      if (kv[0].atom_value().name() == "line") line = kv[1].to_int64();
    }
  }
  if (!file || !line) return {};
  return "(" + *file + ", line " + std::to_string(*line) + ")";
}

class formatter {
 public:
  formatter(error_class cls, const erl_printer& p) : cls_(cls), p_(p) {}

  // format_value/6: `what` then the value, on a line of its own when that saves lines.
  std::string value(const term& v, const std::string& what) const {
    const int pre = length(exited(cls_));
    std::string s1 = p_.pp(v, pre + length(indent) + length(what) + 1);
    if (count_nl(s1) > 1) {
      std::string s2 = p_.pp(v, length(indent) + 1 + pre);
      if (count_nl(s2) < count_nl(s1)) return what + "\n" + indent + spaces(pre) + s2;
    }
    return what + s1;
  }

  // The arguments in parentheses, starting at `column`.
  std::string arguments(const std::vector<term>& args, int column) const {
    std::string s = p_.pp(term::list(args), column + 1);
    if (s.size() >= 2 && s.front() == '[' && s.back() == ']') return "(" + s.substr(1, s.size() - 2) + ")";
    // A list that prints as a string: each argument on its own.
    std::string out = "(";
    int col = column + 1;
    for (std::size_t i = 0; i < args.size(); ++i) {
      if (i) {
        out += ",";
        ++col;
      }
      std::string a = p_.pp(args[i], col);
      col += length(a);
      out += a;
    }
    return out + ")";
  }

  // format_call/7: `M:F(Args)` or an operator, after `err` and the prefix `pre`.
  std::string call(const std::string& err, const std::string& pre, atom m, atom f, const std::vector<term>& args) const {
    if (is_op(m, f, args.size())) return err + op(err, pre, f, args);
    const std::string mfs = mf_to_string(m, f, args.size());
    const int i1 = length(pre) + length(err) + length(mfs);
    std::string s1 = arguments(args, i1);
    std::string s2 = arguments(args, length(pre) + length(mfs));
    std::string s3 = arguments({term(atom("a2345")), term(atom("b2345"))}, i1);
    if (count_nl(s3) > 0 || count_nl(s2) < count_nl(s1)) return err + "\n" + pre + mfs + s2;
    return err + mfs + s1;
  }

  std::string op(const std::string& err, const std::string& pre, atom f, const std::vector<term>& args) const {
    const std::string ops(f.name());
    if (args.size() == 1) return ops + " " + p_.pp(args[0], length(err) + length(pre) + length(ops) + 2);
    const int i1 = length(err) + length(pre);
    std::string s1 = p_.pp(args[0], i1 + 1);
    std::string s2 = p_.pp(args[1], i1 + 1);
    const std::string pre1 = "\n" + spaces(i1);
    if (count_nl(s1) > 0) return s1 + pre1 + ops + pre1 + s2;
    const int size1 = length(err) + length(pre) + length(ops) + 2;
    std::string s2b = p_.pp(args[1], size1 + length(s1) + 1);
    if (count_nl(s2) < count_nl(s2b)) return s1 + pre1 + ops + pre1 + s2;
    return s1 + " " + ops + " " + s2b;
  }

  std::string explain(const term& reason, const std::optional<term>& first) const {
    const bool err = cls_ == error_class::error;
    auto tagged = [&](std::string_view tag) { return reason.is_tuple() && reason.tuple_size() == 2 && reason[0].is_atom(atom(tag)); };
    if (err && !first) {
      if (reason.is_atom(atoms::badarg)) return "bad argument";
      if (reason.is_atom(atom("badarith"))) return "an error occurred when evaluating an arithmetic expression";
      if (reason.is_atom(atom("if_clause"))) return "no true branch found when evaluating an if expression";
      if (reason.is_atom(atoms::noproc)) return "no such process or port";
      if (reason.is_atom(atom("notalive"))) return "the node cannot be part of a distributed system";
      if (reason.is_atom(atoms::system_limit)) return "a system limit has been reached";
      if (reason.is_atom(atom("timeout_value"))) return "bad receive timeout value";
      if (tagged("badarg")) return value(reason[1], "bad argument: ");
      if (tagged("badkey")) return value(reason[1], "bad key: ");
      if (tagged("badmap")) return value(reason[1], "bad map: ");
      if (tagged("badfun")) return value(reason[1], "bad function ");
      if (tagged("badmatch")) return value(reason[1], "no match of right hand side value ");
      if (tagged("case_clause")) return value(reason[1], "no case clause matching ");
      if (tagged("else_clause")) return value(reason[1], "no else clause matching ");
      if (tagged("try_clause")) return value(reason[1], "no try clause matching ");
      if (tagged("bad_filter")) return value(reason[1], "bad filter ");
      if (tagged("bad_generator")) return value(reason[1], "bad generator ");
      if (tagged("unbound")) return "variable " + to_string(reason[1]) + " is unbound";
      if (tagged("badarity") && reason[1].is_tuple() && reason[1].tuple_size() == 2 && reason[1][0].is_fun() &&
          reason[1][1].is_proper_list()) {
        const std::size_t n = reason[1][1].list_elements().size();
        const std::string argss = n == 0   ? "no arguments"
                                  : n == 1 ? "one argument"
                                  : n == 2 ? "two arguments"
                                           : std::to_string(n) + " arguments";
        return "interpreted function with arity " + std::to_string(reason[1][0].fun_content().arity) +
               " called with " + argss;
      }
      if (reason.is_tuple() && reason.tuple_size() == 4 && reason[0].is_atom(atom("shell_undef")) && reason[1].is_atom())
        return "undefined shell command " + write_atom(reason[1].atom_value()) + "/" + std::to_string(n_args(reason[2]));
    }
    if (err && first) {
      const term& f = *first;
      if (reason.is_atom(atoms::undef)) return "undefined function " + mfa_to_string(f[0].atom_value(), f[1].atom_value(), n_args(f[2]));
      if (reason.is_atom(a_function_clause)) {
        std::vector<term> args(f[2].list_elements().begin(), f[2].list_elements().end());
        const std::string what = "no function clause matching ";
        std::string loc = location(f[3]);
        return call(what, indent + spaces(length(exited(cls_))), f[0].atom_value(), f[1].atom_value(), args) + " " + loc;
      }
    }
    return p_.pp(reason, length(indent) + 1 + length(exited(cls_)));
  }

  // format_stacktrace2/8: each frame on a line, the first with its call and its argument errors.
  std::string stack(const std::vector<term>& frames, const std::vector<std::pair<int, std::string>>& arg_errors) const {
    std::string out;
    for (std::size_t n = 0; n < frames.size(); ++n) {
      const term& f = frames[n];
      const atom m = f[0].atom_value();
      const atom fn = f[1].atom_value();
      const std::size_t arity = n_args(f[2]);
      const std::string sep = n == 0 ? frame_indent : "\n" + frame_indent;
      const std::string origin = n > 0 ? "in call from" : is_op(m, fn, arity) ? "in operator " : "in function ";
      std::string errors;
      if (n == 0) {
        for (const auto& [which, why] : arg_errors)
          errors += "\n" + sep + "   *** argument " + std::to_string(which) + ": " + why;
      }
      if (f[2].is_integer()) {
        out += sep + origin + " " + mfa_to_string(m, fn, arity) + " " + location(f[3]) + errors;
      } else {
        const std::string called_as = frame_indent + "   called as ";
        std::vector<term> args(f[2].list_elements().begin(), f[2].list_elements().end());
        out += sep + origin + " " + mfa_to_string(m, fn, arity) + "\n" + called_as + call("", called_as, m, fn, args) +
               errors;
      }
    }
    return out;
  }

 private:
  error_class cls_;
  const erl_printer& p_;
};

}  // namespace

std::string format_erl_exception(error_class cls, const term& reason, const term& stack, const erl_printer& printer) {
  formatter fmt(cls, printer);
  term shown = reason;
  std::optional<term> first;
  std::vector<term> frames;
  if (is_stacktrace(stack)) {
    frames.assign(stack.list_elements().begin(), stack.list_elements().end());
    if (cls == error_class::error && !frames.empty() &&
        ((reason.is_atom(a_function_clause) && frames.front()[2].is_proper_list()) || reason.is_atom(atoms::undef))) {
      first = frames.front();
      frames.erase(frames.begin());
    }
  } else {
    shown = tuple_of(reason, stack);
  }
  // The shell's stack filter: the evaluator's own frames at the bottom are not the user's.
  while (!frames.empty() && frames.back()[0].is_atom(atom("erl_eval"))) frames.pop_back();
  const std::string st = fmt.stack(frames, first ? std::vector<std::pair<int, std::string>>{} : bif_argument_errors(reason, stack));
  std::string out = exited(cls) + fmt.explain(shown, first);
  if (!st.empty()) out += "\n" + st;
  return out;
}

}  // namespace otpp::shell::detail
