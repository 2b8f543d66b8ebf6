#!/bin/sh
# Regenerates print_golden.tsv: how a real erl (~tw, ~tp on one line) and elixir (inspect) print
# each term of print_terms.txt, plus term_to_binary of it, so print_test.cpp can compare otpp's
# printer byte for byte. Columns: source, ~tw, ~tp, Elixir inspect, term_to_binary in hex.
# Also writes print_floats.tsv: random doubles (fixed seed) as bits in hex, as ~w prints them and
# as Elixir's inspect does.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat > "$tmp/gen.escript" <<'ERL'
#!/usr/bin/env escript
%%! -noshell
main([In, Out, Floats]) ->
  {ok, Bin} = file:read_file(In),
  Lines = [L || L <- string:split(unicode:characters_to_list(Bin), "\n", all),
                L =/= "", hd(L) =/= $%],
  ok = file:write_file(Out, [row(L) || L <- Lines]),
  rand:seed(exsss, {7, 11, 13}),
  ok = file:write_file(Floats, [float_row(random_float()) || _ <- lists:seq(1, 2000)]).
row(Src) ->
  {ok, Toks, _} = erl_scan:string(Src ++ "."),
  {ok, [Expr]} = erl_parse:parse_exprs(Toks),
  {value, T, _} = erl_eval:expr(Expr, []),
  W = io_lib:format("~tw", [T]),
  P = io_lib_pretty:print(T, [{encoding, unicode}, {line_length, 1000000}, {column, 1}]),
  Hex = binary:encode_hex(term_to_binary(T)),
  unicode:characters_to_binary([Src, $\t, W, $\t, P, $\t, Hex, $\n]).
%% Uniformly random bit patterns, "human" decimals of varying magnitude, and integral values.
random_float() ->
  case rand:uniform(3) of
    3 ->
      float((rand:uniform(2) * 2 - 3) * rand:uniform(1 bsl rand:uniform(60)));
    1 ->
      <<F:64/float>> = random_finite_bits(),
      F;
    2 ->
      Digits = rand:uniform(1 bsl rand:uniform(40)),
      Digits * math:pow(10, rand:uniform(40) - 25)
  end.
random_finite_bits() ->
  B = <<(rand:uniform(1 bsl 64) - 1):64>>,
  case B of
    <<_:1, 2047:11, _:52>> -> random_finite_bits();
    _ -> B
  end.
float_row(F) ->
  [binary:encode_hex(<<F:64/float>>), $\t, io_lib:format("~w", [F]), $\n].
ERL

cat > "$tmp/gen.exs" <<'EXS'
[input, output, floats] = System.argv()
rows =
  for line <- File.read!(input) |> String.split("\n", trim: true) do
    fields = String.split(line, "\t")
    t = :erlang.binary_to_term(Base.decode16!(List.last(fields)))
    ex = inspect(t, limit: :infinity, printable_limit: :infinity)
    Enum.join(List.insert_at(fields, 3, ex), "\t") <> "\n"
  end
File.write!(output, rows)

float_rows =
  for line <- File.read!(floats) |> String.split("\n", trim: true) do
    [hex, _] = String.split(line, "\t")
    <<f::float-64>> = Base.decode16!(hex)
    line <> "\t" <> inspect(f) <> "\n"
  end
File.write!(floats, float_rows)
EXS

escript "$tmp/gen.escript" "$here/print_terms.txt" "$tmp/erl.tsv" "$here/print_floats.tsv"
elixir "$tmp/gen.exs" "$tmp/erl.tsv" "$here/print_golden.tsv" "$here/print_floats.tsv"
echo "wrote $here/print_golden.tsv and $here/print_floats.tsv"
