# Evaluates each case of the file named on the command line twice in one real Elixir: the
# source with Code.eval_string, and otpp's lowering of it with :erl_eval, and says whether the
# two gave the same value (or the same error class and reason). Lines: index, source and the
# lowered forms in term_to_binary format, both in hex, separated by tabs; in place of the forms,
# `!Kind` says otpp refused the source with that exception (SyntaxError, CompileError...),
# and real Elixir must refuse it with the same one.
[path] = System.argv()

# What a defmodule lowers to calls: here the real compiler loads the forms, as otpp's loader
# of interpreted modules will.
defmodule :otpp_module do
  def define(name, forms, last) do
    {:ok, ^name, binary} = :compile.forms(forms, [:return_errors])
    {:module, ^name} = :code.load_binary(name, ~c"nofile", binary)
    {:module, name, binary, last}
  end
end

run = fn f ->
  try do
    {:value, f.()}
  catch
    kind, reason -> {kind, reason}
  end
end

# Funs compare by arity (compiled and interpreted funs of the same code differ as terms),
# wherever they are in the value or the error.
defmodule Shape do
  def of(f) when is_function(f), do: {:fun, :erlang.fun_info(f, :arity)}
  def of(t) when is_tuple(t), do: t |> Tuple.to_list() |> Enum.map(&of/1) |> List.to_tuple()
  def of([h | t]), do: [of(h) | of(t)]
  def of(m) when is_map(m), do: :maps.from_list(for {k, v} <- :maps.to_list(m), do: {of(k), of(v)})
  def of(other), do: other
end

shape = &Shape.of/1

path
|> File.read!()
|> String.split("\n", trim: true)
|> Enum.each(fn line ->
  [index, source_hex, forms_hex] = String.split(line, "\t")
  source = Base.decode16!(source_hex, case: :mixed)

  {expected, got} =
    case forms_hex do
      "!" <> kind ->
        refused =
          try do
            Code.eval_string(source)
            :accepted
          rescue
            e -> e.__struct__
          end

        {refused, Module.concat([kind])}

      _ ->
        forms = :erlang.binary_to_term(Base.decode16!(forms_hex, case: :mixed))
        expected = shape.(run.(fn -> elem(Code.eval_string(source), 0) end))
        got = shape.(run.(fn -> elem(:erl_eval.exprs(forms, :erl_eval.new_bindings()), 1) end))
        {expected, got}
    end

  if expected == got do
    # The value itself follows, for checking otpp's own evaluator against it.
    IO.puts("CASE #{index} OK #{Base.encode16(:erlang.term_to_binary(expected))}")
  else
    IO.puts("CASE #{index} DIFF\t#{inspect(expected, limit: :infinity)}\t#{inspect(got, limit: :infinity)}")
  end
end)

IO.puts("DONE")
