# Elixir's Enumerable protocol for the enumerables a node knows (lists, maps, ranges, MapSets,
# streams and two-argument funs), written from the protocol's documented contract: reduce/3 takes
# {:cont, acc}, {:halt, acc} or {:suspend, acc} and answers {:done, acc}, {:halted, acc} or
# {:suspended, acc, continuation}. Enum's functions read streams through it (src/code/lib/Enum.Lazy.ex).
defmodule Enumerable do
  def reduce(_enumerable, {:halt, acc}, _fun), do: {:halted, acc}

  def reduce(enumerable, {:suspend, acc}, fun) do
    {:suspended, acc, fn command -> reduce(enumerable, command, fun) end}
  end

  def reduce(list, {:cont, acc}, fun) when is_list(list), do: reduce_list(list, {:cont, acc}, fun)

  def reduce(fun_enum, command, fun) when is_function(fun_enum, 2), do: fun_enum.(command, fun)

  def reduce(%{__struct__: Stream} = stream, command, fun), do: Stream.__reduce__(stream, command, fun)

  def reduce(%{__struct__: Range, first: first, last: last, step: step}, command, fun) do
    if (step > 0 and first <= last) or (step < 0 and first >= last) do
      reduce_range(first, last, step, command, fun)
    else
      reduce_list([], command, fun)
    end
  end

  def reduce(%{__struct__: MapSet, map: map}, command, fun), do: reduce_list(:maps.keys(map), command, fun)

  def reduce(%{__struct__: _} = other, _command, _fun), do: undefined(other)
  def reduce(map, command, fun) when is_map(map), do: reduce_list(:maps.to_list(map), command, fun)
  def reduce(other, _command, _fun), do: undefined(other)

  defp reduce_list(_list, {:halt, acc}, _fun), do: {:halted, acc}
  defp reduce_list(list, {:suspend, acc}, fun), do: {:suspended, acc, fn command -> reduce_list(list, command, fun) end}
  defp reduce_list([], {:cont, acc}, _fun), do: {:done, acc}
  defp reduce_list([x | rest], {:cont, acc}, fun), do: reduce_list(rest, fun.(x, acc), fun)

  defp reduce_range(_first, _last, _step, {:halt, acc}, _fun), do: {:halted, acc}

  defp reduce_range(first, last, step, {:suspend, acc}, fun) do
    {:suspended, acc, fn command -> reduce_range(first, last, step, command, fun) end}
  end

  defp reduce_range(first, last, step, {:cont, acc}, fun) do
    next = first + step

    if (step > 0 and next > last) or (step < 0 and next < last) do
      case fun.(first, acc) do
        {:suspend, acc} -> {:suspended, acc, fn command -> reduce_list([], command, fun) end}
        command -> reduce_list([], command, fun)
      end
    else
      reduce_range(next, last, step, fun.(first, acc), fun)
    end
  end

  def count(list) when is_list(list), do: {:ok, length(list)}
  def count(%{__struct__: Range} = range), do: {:ok, Range.size(range)}
  def count(%{__struct__: MapSet, map: map}), do: {:ok, map_size(map)}
  def count(%{__struct__: Stream}), do: {:error, Stream}
  def count(%{__struct__: _} = other), do: undefined(other)
  def count(map) when is_map(map), do: {:ok, map_size(map)}
  def count(fun) when is_function(fun, 2), do: {:error, Function}
  def count(other), do: undefined(other)

  def member?(list, value) when is_list(list), do: {:ok, :lists.member(value, list)}
  def member?(%{__struct__: Range} = range, value), do: {:ok, Enum.member?(range, value)}
  def member?(%{__struct__: MapSet, map: map}, value), do: {:ok, :erlang.is_map_key(value, map)}
  def member?(%{__struct__: Stream}, _value), do: {:error, Stream}
  def member?(%{__struct__: _} = other, _value), do: undefined(other)
  def member?(map, {key, value}) when is_map(map), do: {:ok, match?({:ok, ^value}, :maps.find(key, map))}
  def member?(map, _other) when is_map(map), do: {:ok, false}
  def member?(fun, _value) when is_function(fun, 2), do: {:error, Function}
  def member?(other, _value), do: undefined(other)

  defp undefined(value) do
    :erlang.error(%{
      __struct__: Protocol.UndefinedError,
      __exception__: true,
      protocol: Enumerable,
      value: value,
      description: ""
    })
  end
end
