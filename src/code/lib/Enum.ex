# The functions of Elixir's Enum beyond those written in C++ (src/code/modules/enum.cpp),
# written from Enum's documented behaviour. Each reads its enumerable with Enum.to_list/1, so
# what is not enumerable raises Protocol.UndefinedError as Elixir does.
defmodule Enum do
  def chunk_by(enumerable, fun) when is_function(fun, 1) do
    chunk_by_list(Enum.to_list(enumerable), fun, [], nil, [])
  end

  defp chunk_by_list([], _fun, [], _key, acc), do: :lists.reverse(acc)
  defp chunk_by_list([], _fun, chunk, _key, acc), do: :lists.reverse([:lists.reverse(chunk) | acc])

  defp chunk_by_list([x | rest], fun, [], _key, acc), do: chunk_by_list(rest, fun, [x], fun.(x), acc)

  defp chunk_by_list([x | rest], fun, chunk, key, acc) do
    case fun.(x) do
      ^key -> chunk_by_list(rest, fun, [x | chunk], key, acc)
      other -> chunk_by_list(rest, fun, [x], other, [:lists.reverse(chunk) | acc])
    end
  end

  def chunk_every(enumerable, count, step, leftover)
      when is_integer(count) and count > 0 and is_integer(step) and step > 0 do
    list = Enum.to_list(enumerable)
    chunks_from(list, length(list), count, step, leftover)
  end

  # A chunk starts at each step; the one that reaches the end of the list is the last.
  defp chunks_from([], _len, _count, _step, _leftover), do: []

  defp chunks_from(list, len, count, step, leftover) do
    cond do
      len >= count ->
        [Enum.take(list, count) | chunks_from(Enum.drop(list, step), max(len - step, 0), count, step, leftover)]

      leftover == :discard ->
        []

      true ->
        [list ++ Enum.take(leftover, count - len)]
    end
  end

  def chunk_while(enumerable, acc, chunk_fun, after_fun) when is_function(chunk_fun, 2) and is_function(after_fun, 1) do
    chunk_while_list(Enum.to_list(enumerable), acc, chunk_fun, after_fun, [])
  end

  defp chunk_while_list([], acc, _chunk_fun, after_fun, chunks) do
    case after_fun.(acc) do
      {:cont, chunk, _acc} -> :lists.reverse([chunk | chunks])
      {:cont, _acc} -> :lists.reverse(chunks)
    end
  end

  defp chunk_while_list([x | rest], acc, chunk_fun, after_fun, chunks) do
    case chunk_fun.(x, acc) do
      {:cont, chunk, acc} -> chunk_while_list(rest, acc, chunk_fun, after_fun, [chunk | chunks])
      {:cont, acc} -> chunk_while_list(rest, acc, chunk_fun, after_fun, chunks)
      {:halt, acc} -> chunk_while_list([], acc, chunk_fun, after_fun, chunks)
    end
  end

  def count_until(enumerable, limit) when is_integer(limit) and limit > 0 do
    min(Enum.count(enumerable), limit)
  end

  def count_until(enumerable, fun, limit) when is_function(fun, 1) and is_integer(limit) and limit > 0 do
    min(Enum.count(enumerable, fun), limit)
  end

  def dedup_by(enumerable, fun) when is_function(fun, 1) do
    dedup_by_list(Enum.to_list(enumerable), fun, [], make_ref())
  end

  defp dedup_by_list([], _fun, acc, _last), do: :lists.reverse(acc)

  defp dedup_by_list([x | rest], fun, acc, last) do
    case fun.(x) do
      ^last -> dedup_by_list(rest, fun, acc, last)
      key -> dedup_by_list(rest, fun, [x | acc], key)
    end
  end

  def drop_every(enumerable, nth) when is_integer(nth) and nth >= 0 do
    list = Enum.to_list(enumerable)
    if nth == 0, do: list, else: for({x, i} <- Enum.with_index(list), rem(i, nth) != 0, do: x)
  end

  def take_every(enumerable, nth) when is_integer(nth) and nth >= 0 do
    if nth == 0, do: [], else: for({x, i} <- Enum.with_index(Enum.to_list(enumerable)), rem(i, nth) == 0, do: x)
  end

  def map_every(enumerable, nth, fun) when is_integer(nth) and nth >= 0 and is_function(fun, 1) do
    list = Enum.to_list(enumerable)

    if nth == 0,
      do: list,
      else: for({x, i} <- Enum.with_index(list), do: if(rem(i, nth) == 0, do: fun.(x), else: x))
  end

  def fetch!(enumerable, index) when is_integer(index) do
    case Enum.fetch(enumerable, index) do
      {:ok, value} -> value
      :error -> raise Enum.OutOfBoundsError
    end
  end

  def find_value(enumerable, default, fun) when is_function(fun, 1) do
    find_value_list(Enum.to_list(enumerable), default, fun)
  end

  defp find_value_list([], default, _fun), do: default

  defp find_value_list([x | rest], default, fun) do
    case fun.(x) do
      result when result in [nil, false] -> find_value_list(rest, default, fun)
      result -> result
    end
  end

  def flat_map_reduce(enumerable, acc, fun) when is_function(fun, 2) do
    flat_map_reduce_list(Enum.to_list(enumerable), acc, fun, [])
  end

  defp flat_map_reduce_list([], acc, _fun, out), do: {:lists.append(:lists.reverse(out)), acc}

  defp flat_map_reduce_list([x | rest], acc, fun, out) do
    case fun.(x, acc) do
      {:halt, acc} -> flat_map_reduce_list([], acc, fun, out)
      {list, acc} -> flat_map_reduce_list(rest, acc, fun, [Enum.to_list(list) | out])
    end
  end

  def frequencies_by(enumerable, key_fun) when is_function(key_fun, 1) do
    Enum.reduce(enumerable, %{}, fn x, acc ->
      key = key_fun.(x)

      case acc do
        %{^key => n} -> %{acc | key => n + 1}
        %{} -> Map.put(acc, key, 1)
      end
    end)
  end

  def group_by(enumerable, key_fun, value_fun) when is_function(key_fun, 1) and is_function(value_fun, 1) do
    grouped =
      Enum.reduce(Enum.reverse(enumerable), %{}, fn x, acc ->
        key = key_fun.(x)
        value = value_fun.(x)

        case acc do
          %{^key => values} -> %{acc | key => [value | values]}
          %{} -> Map.put(acc, key, [value])
        end
      end)

    grouped
  end

  def intersperse(enumerable, separator) do
    case Enum.to_list(enumerable) do
      [] -> []
      [first | rest] -> [first | Enum.flat_map(rest, fn x -> [separator, x] end)]
    end
  end

  def map_intersperse(enumerable, separator, fun) when is_function(fun, 1) do
    intersperse(Enum.map(enumerable, fun), separator)
  end

  def into(enumerable, collectable, transform) when is_function(transform, 1) do
    Enum.into(Enum.map(enumerable, transform), collectable)
  end

  def map_reduce(enumerable, acc, fun) when is_function(fun, 2) do
    {list, acc} =
      Enum.reduce(enumerable, {[], acc}, fn x, {list, acc} ->
        {value, acc} = fun.(x, acc)
        {[value | list], acc}
      end)

    {:lists.reverse(list), acc}
  end

  def max(enumerable, empty_fallback) when is_function(empty_fallback, 0), do: max(enumerable, &>=/2, empty_fallback)
  def max(enumerable, sorter), do: max(enumerable, sorter, fn -> raise Enum.EmptyError end)
  def max(enumerable, sorter, empty_fallback) when is_function(empty_fallback, 0) do
    best_by(Enum.to_list(enumerable), fn x -> x end, to_sorter(sorter, :max), empty_fallback)
  end

  def min(enumerable, empty_fallback) when is_function(empty_fallback, 0), do: min(enumerable, &<=/2, empty_fallback)
  def min(enumerable, sorter), do: min(enumerable, sorter, fn -> raise Enum.EmptyError end)
  def min(enumerable, sorter, empty_fallback) when is_function(empty_fallback, 0) do
    best_by(Enum.to_list(enumerable), fn x -> x end, to_sorter(sorter, :min), empty_fallback)
  end

  def max_by(enumerable, fun, empty_fallback) when is_function(fun, 1) and is_function(empty_fallback, 0) do
    max_by(enumerable, fun, &>=/2, empty_fallback)
  end

  def max_by(enumerable, fun, sorter) when is_function(fun, 1) do
    max_by(enumerable, fun, sorter, fn -> raise Enum.EmptyError end)
  end

  def max_by(enumerable, fun, sorter, empty_fallback) when is_function(fun, 1) and is_function(empty_fallback, 0) do
    best_by(Enum.to_list(enumerable), fun, to_sorter(sorter, :max), empty_fallback)
  end

  def min_by(enumerable, fun, empty_fallback) when is_function(fun, 1) and is_function(empty_fallback, 0) do
    min_by(enumerable, fun, &<=/2, empty_fallback)
  end

  def min_by(enumerable, fun, sorter) when is_function(fun, 1) do
    min_by(enumerable, fun, sorter, fn -> raise Enum.EmptyError end)
  end

  def min_by(enumerable, fun, sorter, empty_fallback) when is_function(fun, 1) and is_function(empty_fallback, 0) do
    best_by(Enum.to_list(enumerable), fun, to_sorter(sorter, :min), empty_fallback)
  end

  # The first element whose key `sorter` keeps against every later one.
  defp best_by([], _fun, _sorter, empty_fallback), do: empty_fallback.()

  defp best_by([first | rest], fun, sorter, _empty_fallback) do
    {best, _} =
      :lists.foldl(
        fn x, {best, best_key} ->
          key = fun.(x)
          if sorter.(best_key, key), do: {best, best_key}, else: {x, key}
        end,
        {first, fun.(first)},
        rest
      )

    best
  end

  defp to_sorter(sorter, _) when is_function(sorter, 2), do: sorter
  defp to_sorter(module, :max) when is_atom(module), do: fn a, b -> module.compare(a, b) != :lt end
  defp to_sorter(module, :min) when is_atom(module), do: fn a, b -> module.compare(a, b) != :gt end

  def min_max(enumerable, empty_fallback \\ fn -> raise Enum.EmptyError end) when is_function(empty_fallback, 0) do
    case Enum.to_list(enumerable) do
      [] -> empty_fallback.()
      list -> {Enum.min(list), Enum.max(list)}
    end
  end

  def min_max_by(enumerable, fun, sorter_or_empty_fallback \\ &</2, empty_fallback \\ fn -> raise Enum.EmptyError end)
      when is_function(fun, 1) do
    {sorter, empty_fallback} =
      if is_function(sorter_or_empty_fallback, 0),
        do: {&</2, sorter_or_empty_fallback},
        else: {sorter_or_empty_fallback, empty_fallback}

    less = to_sorter(sorter, :min)

    case Enum.to_list(enumerable) do
      [] ->
        empty_fallback.()

      [first | rest] ->
        key = fun.(first)

        {{min, _}, {max, _}} =
          :lists.foldl(
            fn x, {{_, min_key} = min, {_, max_key} = max} ->
              k = fun.(x)
              min = if less.(k, min_key), do: {x, k}, else: min
              max = if less.(max_key, k), do: {x, k}, else: max
              {min, max}
            end,
            {{first, key}, {first, key}},
            rest
          )

        {min, max}
    end
  end

  def random(enumerable) do
    case Enum.to_list(enumerable) do
      [] -> raise Enum.EmptyError
      list -> :lists.nth(:rand.uniform(length(list)), list)
    end
  end

  def shuffle(enumerable) do
    for {_, x} <- :lists.sort(for(x <- Enum.to_list(enumerable), do: {:rand.uniform(), x})), do: x
  end

  def take_random(enumerable, count) when is_integer(count) and count >= 0 do
    Enum.take(shuffle(enumerable), count)
  end

  def reverse(enumerable, tail), do: :lists.reverse(Enum.to_list(enumerable), Enum.to_list(tail))

  def reverse_slice(enumerable, start_index, count)
      when is_integer(start_index) and start_index >= 0 and is_integer(count) and count >= 0 do
    list = Enum.to_list(enumerable)
    {before, rest} = Enum.split(list, start_index)
    {middle, after_} = Enum.split(rest, count)
    before ++ :lists.reverse(middle) ++ after_
  end

  def slice(enumerable, %{__struct__: Range, first: first, last: last, step: step}) do
    list = Enum.to_list(enumerable)
    len = length(list)
    first = if first < 0, do: first + len, else: first
    last = if last < 0, do: last + len, else: last

    cond do
      step < 0 or first < 0 or first >= len or last < first ->
        []

      true ->
        count = min(last, len - 1) - first + 1
        take_every(Enum.take(Enum.drop(list, first), count), step)
    end
  end

  def slice(enumerable, index_range_or_start) when is_integer(index_range_or_start) do
    raise ArgumentError, "Enum.slice/2 expects a range, got: #{inspect(index_range_or_start)}"
  end

  def slide(enumerable, %{__struct__: Range, first: first, last: last}, insertion_index) when is_integer(insertion_index) do
    list = Enum.to_list(enumerable)
    len = length(list)
    first = if first < 0, do: first + len, else: first
    last = if last < 0, do: last + len, else: last
    insertion_index = if insertion_index < 0, do: insertion_index + len, else: insertion_index

    cond do
      last < first or insertion_index == first ->
        list

      insertion_index > first and insertion_index <= last ->
        raise ArgumentError,
              "insertion index for slide must be outside the range being moved (tried to insert #{first}..#{last} at #{insertion_index})"

      insertion_index < first ->
        {head, rest} = Enum.split(list, insertion_index)
        {between, rest} = Enum.split(rest, first - insertion_index)
        {moved, tail} = Enum.split(rest, last - first + 1)
        head ++ moved ++ between ++ tail

      true ->
        {head, rest} = Enum.split(list, first)
        {moved, rest} = Enum.split(rest, last - first + 1)
        {between, tail} = Enum.split(rest, insertion_index - last)
        head ++ between ++ moved ++ tail
    end
  end

  def slide(enumerable, index, insertion_index) when is_integer(index) do
    slide(enumerable, index..index, insertion_index)
  end

  def split_while(enumerable, fun) when is_function(fun, 1) do
    list = Enum.to_list(enumerable)
    taken = Enum.take_while(list, fun)
    {taken, Enum.drop(list, length(taken))}
  end

  # Through Enum.reduce/3, as Elixir's: a map of over 32 keys is walked in maps:fold/3's order.
  def split_with(enumerable, fun) when is_function(fun, 1) do
    {left, right} =
      Enum.reduce(enumerable, {[], []}, fn x, {left, right} ->
        if fun.(x), do: {[x | left], right}, else: {left, [x | right]}
      end)

    {:lists.reverse(left), :lists.reverse(right)}
  end

  def uniq(enumerable, fun) when is_function(fun, 1), do: Enum.uniq_by(enumerable, fun)

  def unzip(enumerable) do
    {lefts, rights} =
      Enum.reduce(enumerable, {[], []}, fn {left, right}, {lefts, rights} -> {[left | lefts], [right | rights]} end)

    {:lists.reverse(lefts), :lists.reverse(rights)}
  end

  def zip([]), do: []
  def zip(enumerables), do: zip_with(enumerables, &List.to_tuple/1)

  def zip_with(enumerables, zip_fun) when is_function(zip_fun, 1) do
    lists = Enum.map(enumerables, &Enum.to_list/1)
    if lists == [], do: [], else: zip_lists(lists, zip_fun)
  end

  def zip_with(enumerable1, enumerable2, zip_fun) when is_function(zip_fun, 2) do
    zip_with([enumerable1, enumerable2], fn [a, b] -> zip_fun.(a, b) end)
  end

  defp zip_lists(lists, zip_fun) do
    if Enum.any?(lists, &(&1 == [])) do
      []
    else
      [zip_fun.(Enum.map(lists, &hd/1)) | zip_lists(Enum.map(lists, &tl/1), zip_fun)]
    end
  end

  def zip_reduce(enumerables, acc, reducer) when is_function(reducer, 2) do
    Enum.reduce(zip_with(enumerables, fn xs -> xs end), acc, reducer)
  end

  def zip_reduce(left, right, acc, reducer) when is_function(reducer, 3) do
    Enum.reduce(zip_with([left, right], fn xs -> xs end), acc, fn [l, r], acc -> reducer.(l, r, acc) end)
  end
end
