# Elixir's Function module, written from its documented behaviour.
defmodule Function do
  def identity(value), do: value

  def capture(module, function_name, arity) when is_atom(module) and is_atom(function_name) and is_integer(arity) do
    :erlang.make_fun(module, function_name, arity)
  end

  def info(fun) when is_function(fun), do: :erlang.fun_info(fun)
  def info(fun, item) when is_function(fun), do: :erlang.fun_info(fun, item)
end
