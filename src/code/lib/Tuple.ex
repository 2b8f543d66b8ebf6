# Tuple.sum/1 and Tuple.product/1 of Elixir, beside the C++ Tuple functions.
defmodule Tuple do
  def sum(tuple) when is_tuple(tuple), do: Enum.sum(:erlang.tuple_to_list(tuple))
  def product(tuple) when is_tuple(tuple), do: :lists.foldl(fn x, acc -> x * acc end, 1, :erlang.tuple_to_list(tuple))
end
