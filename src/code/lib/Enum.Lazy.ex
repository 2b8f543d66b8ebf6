# Enum's functions for enumerables only Enumerable.reduce/3 can read (streams and two-argument
# funs): Enum's C++ functions (src/code/modules/enum.cpp) hand such an argument here, so an
# infinite stream is read only as far as the function needs and side effects interleave as in
# Elixir. Functions not here read the whole stream with to_list/1 first.
defmodule Enum.Lazy do
  def to_list(enum), do: :lists.reverse(reduce(enum, [], fn x, acc -> [x | acc] end))

  def reduce(enum, acc, fun), do: result(Enumerable.reduce(enum, {:cont, acc}, fn x, acc -> {:cont, fun.(x, acc)} end))

  def reduce(enum, fun) do
    case reduce(enum, :none, fn
           x, :none -> {:some, x}
           x, {:some, acc} -> {:some, fun.(x, acc)}
         end) do
      :none -> :erlang.error(%{__struct__: Enum.EmptyError, __exception__: true, message: "empty error"})
      {:some, acc} -> acc
    end
  end

  def reduce_while(enum, acc, fun), do: result(Enumerable.reduce(enum, {:cont, acc}, fun))

  def each(enum, fun) do
    reduce(enum, nil, fn x, nil ->
      fun.(x)
      nil
    end)

    :ok
  end

  def map(enum, fun), do: :lists.reverse(reduce(enum, [], fn x, acc -> [fun.(x) | acc] end))

  def filter(enum, fun), do: :lists.reverse(reduce(enum, [], fn x, acc -> if fun.(x), do: [x | acc], else: acc end))
  def reject(enum, fun), do: :lists.reverse(reduce(enum, [], fn x, acc -> if fun.(x), do: acc, else: [x | acc] end))

  def flat_map(enum, fun) do
    :lists.reverse(reduce(enum, [], fn x, acc -> :lists.reverse(Enum.to_list(fun.(x)), acc) end))
  end

  def map_join(enum, joiner \\ "", fun), do: Enum.join(map(enum, fun), joiner)

  def count(enum, fun), do: reduce(enum, 0, fn x, n -> if fun.(x), do: n + 1, else: n end)

  def take(_enum, 0), do: []

  def take(enum, count) when is_integer(count) and count > 0 do
    {_, taken} =
      reduce_while(enum, {count, []}, fn
        x, {1, acc} -> {:halt, {0, [x | acc]}}
        x, {n, acc} -> {:cont, {n - 1, [x | acc]}}
      end)

    :lists.reverse(taken)
  end

  def take(enum, count) when is_integer(count), do: Enum.take(to_list(enum), count)

  def take_while(enum, fun) do
    :lists.reverse(reduce_while(enum, [], fn x, acc -> if fun.(x), do: {:cont, [x | acc]}, else: {:halt, acc} end))
  end

  def find(enum, default \\ nil, fun) do
    reduce_while(enum, default, fn x, default -> if fun.(x), do: {:halt, x}, else: {:cont, default} end)
  end

  def find_value(enum, default \\ nil, fun) do
    reduce_while(enum, default, fn x, default ->
      value = fun.(x)
      if value, do: {:halt, value}, else: {:cont, default}
    end)
  end

  def find_index(enum, fun) do
    found =
      reduce_while(enum, 0, fn x, i ->
        if fun.(x), do: {:halt, {:found, i}}, else: {:cont, i + 1}
      end)

    case found do
      {:found, i} -> i
      _ -> nil
    end
  end

  def any?(enum), do: any?(enum, fn x -> x end)
  def any?(enum, fun), do: reduce_while(enum, false, fn x, false -> if fun.(x), do: {:halt, true}, else: {:cont, false} end)

  def all?(enum), do: all?(enum, fn x -> x end)
  def all?(enum, fun), do: reduce_while(enum, true, fn x, true -> if fun.(x), do: {:cont, true}, else: {:halt, false} end)

  def member?(enum, value) do
    reduce_while(enum, false, fn
      ^value, _ -> {:halt, true}
      _, _ -> {:cont, false}
    end)
  end

  def empty?(enum), do: reduce_while(enum, true, fn _, _ -> {:halt, false} end)

  def fetch(enum, index) when is_integer(index) and index >= 0 do
    found =
      reduce_while(enum, index, fn
        x, 0 -> {:halt, {:ok, x}}
        _, i -> {:cont, i - 1}
      end)

    case found do
      {:ok, _} -> found
      _ -> :error
    end
  end

  def fetch(enum, index) when is_integer(index), do: Enum.fetch(to_list(enum), index)

  def at(enum, index, default \\ nil) when is_integer(index) do
    case fetch(enum, index) do
      {:ok, x} -> x
      :error -> default
    end
  end

  def zip(left, right), do: to_list(Stream.zip(left, right))

  def with_index(enum, offset \\ 0)
  def with_index(enum, offset) when is_integer(offset), do: to_list(Stream.with_index(enum, offset))
  def with_index(enum, fun) when is_function(fun, 2), do: to_list(Stream.map(Stream.with_index(enum), fn {x, i} -> fun.(x, i) end))

  def concat(left, right), do: to_list(Stream.concat(left, right))

  defp result({:done, acc}), do: acc
  defp result({:halted, acc}), do: acc
end
