# The functions of Elixir's List beyond those written in C++ (src/code/modules/enum.cpp),
# written from List's documented behaviour.
defmodule List do
  def keyfind(list, key, position, default \\ nil) do
    :lists.keyfind(key, position + 1, list) || default
  end

  def keyfind!(list, key, position) do
    case :lists.keyfind(key, position + 1, list) do
      false -> raise KeyError, message: "key #{inspect(key)} at position #{inspect(position)} not found in: #{inspect(list)}"
      tuple -> tuple
    end
  end

  def keymember?(list, key, position), do: :lists.keymember(key, position + 1, list)

  def keydelete(list, key, position), do: :lists.keydelete(key, position + 1, list)

  def keyreplace(list, key, position, new_tuple), do: :lists.keyreplace(key, position + 1, list, new_tuple)

  def keystore(list, key, position, new_tuple), do: :lists.keystore(key, position + 1, list, new_tuple)

  def keytake(list, key, position) do
    case :lists.keytake(key, position + 1, list) do
      {:value, element, rest} -> {element, rest}
      false -> nil
    end
  end

  def keysort(list, position, sorter \\ :asc)
  def keysort(list, position, :asc), do: :lists.keysort(position + 1, list)
  def keysort(list, position, sorter) when is_function(sorter, 2) do
    :lists.sort(fn left, right -> sorter.(elem(left, position), elem(right, position)) end, list)
  end

  def keysort(list, position, sorter), do: Enum.sort_by(list, fn tuple -> elem(tuple, position) end, sorter)

  def improper?(list) when is_list(list) and length(list) >= 0, do: false
  def improper?(list) when is_list(list), do: true

  def flatten(list, tail), do: :lists.flatten(list, tail)

  def starts_with?([head | tail], [head | prefix_tail]), do: starts_with?(tail, prefix_tail)
  def starts_with?(list, []) when is_list(list), do: true
  def starts_with?(list, [_ | _]) when is_list(list), do: false

  def to_atom(charlist), do: :erlang.list_to_atom(charlist)
  def to_existing_atom(charlist), do: :erlang.list_to_existing_atom(charlist)
  def to_float(charlist), do: :erlang.list_to_float(charlist)
  def to_integer(charlist), do: :erlang.list_to_integer(charlist)
  def to_integer(charlist, base), do: :erlang.list_to_integer(charlist, base)
  def to_string(list) when is_list(list), do: IO.chardata_to_string(list)
  def to_charlist(list) when is_list(list), do: String.to_charlist(IO.chardata_to_string(list))

  def ascii_printable?(list, limit \\ :infinity)
  def ascii_printable?(list, limit) when is_list(list), do: ascii_printable_list?(list, limit)

  defp ascii_printable_list?(_, 0), do: true
  defp ascii_printable_list?([], _), do: true
  defp ascii_printable_list?([char | rest], limit) when is_integer(char) and char >= 32 and char <= 126 do
    ascii_printable_list?(rest, decrement(limit))
  end

  defp ascii_printable_list?([char | rest], limit) when char in [?\n, ?\r, ?\t, ?\v, ?\b, ?\f, ?\e, ?\d, ?\a] do
    ascii_printable_list?(rest, decrement(limit))
  end

  defp ascii_printable_list?(_, _), do: false

  defp decrement(:infinity), do: :infinity
  defp decrement(limit), do: limit - 1

  def update_at(list, index, fun) when is_list(list) and is_integer(index) and is_function(fun, 1) do
    if index < 0 do
      size = length(list)
      if size + index < 0, do: list, else: do_update_at(list, size + index, fun)
    else
      do_update_at(list, index, fun)
    end
  end

  defp do_update_at([value | list], 0, fun), do: [fun.(value) | list]
  defp do_update_at([head | list], index, fun), do: [head | do_update_at(list, index - 1, fun)]
  defp do_update_at([], _index, _fun), do: []

  def replace_at(list, index, value) when is_list(list) and is_integer(index) do
    update_at(list, index, fn _ -> value end)
  end

  def delete_at(list, index) when is_list(list) and is_integer(index) do
    elem(pop_at(list, index), 1)
  end

  def pop_at(list, index, default \\ nil) when is_list(list) and is_integer(index) do
    if index < 0 do
      size = length(list)
      if size + index < 0, do: {default, list}, else: do_pop_at(list, size + index, default, [])
    else
      do_pop_at(list, index, default, [])
    end
  end

  defp do_pop_at([], _index, default, acc), do: {default, :lists.reverse(acc)}
  defp do_pop_at([head | list], 0, _default, acc), do: {head, :lists.reverse(acc, list)}
  defp do_pop_at([head | list], index, default, acc), do: do_pop_at(list, index - 1, default, [head | acc])

  def myers_difference(list1, list2) when is_list(list1) and is_list(list2) do
    edits(list1, list2)
  end

  # The shortest edit script by the longest common subsequence, grouped into runs of one kind.
  defp edits(list1, list2) do
    a = :erlang.list_to_tuple(list1)
    b = :erlang.list_to_tuple(list2)
    n = tuple_size(a)
    m = tuple_size(b)
    table = lcs_table(a, b, n, m)
    group(walk(a, b, table, 0, 0, n, m), [])
  end

  defp lcs_table(a, b, n, m) do
    Enum.reduce((n - 1)..0//-1, %{}, fn i, acc ->
      Enum.reduce((m - 1)..0//-1, acc, fn j, acc ->
        value =
          if elem(a, i) === elem(b, j) do
            Map.get(acc, {i + 1, j + 1}, 0) + 1
          else
            max(Map.get(acc, {i + 1, j}, 0), Map.get(acc, {i, j + 1}, 0))
          end

        Map.put(acc, {i, j}, value)
      end)
    end)
  end

  defp walk(_a, _b, _t, i, j, n, m) when i == n and j == m, do: []
  defp walk(a, b, t, i, j, n, m) when i == n, do: [{:ins, elem(b, j)} | walk(a, b, t, i, j + 1, n, m)]
  defp walk(a, b, t, i, j, n, m) when j == m, do: [{:del, elem(a, i)} | walk(a, b, t, i + 1, j, n, m)]

  defp walk(a, b, t, i, j, n, m) do
    cond do
      elem(a, i) === elem(b, j) -> [{:eq, elem(a, i)} | walk(a, b, t, i + 1, j + 1, n, m)]
      Map.get(t, {i + 1, j}, 0) >= Map.get(t, {i, j + 1}, 0) -> [{:del, elem(a, i)} | walk(a, b, t, i + 1, j, n, m)]
      true -> [{:ins, elem(b, j)} | walk(a, b, t, i, j + 1, n, m)]
    end
  end

  defp group([], acc), do: :lists.reverse(acc)
  defp group([{kind, value} | rest], [{kind, values} | acc]), do: group(rest, [{kind, values ++ [value]} | acc])
  defp group([{kind, value} | rest], acc), do: group(rest, [{kind, [value]} | acc])
end
