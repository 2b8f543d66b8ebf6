# The functions of Elixir's Range beyond Range.new (src/code/modules/elixir_data.cpp), written
# from Range's documented behaviour.
defmodule Range do
  def __struct__, do: %{__struct__: Range, first: nil, last: nil, step: nil}
  def __struct__(fields), do: Enum.reduce(fields, __struct__(), fn {key, value}, acc -> Map.replace!(acc, key, value) end)

  def range?(%{__struct__: Range, first: first, last: last, step: step})
      when is_integer(first) and is_integer(last) and is_integer(step),
      do: true

  def range?(_), do: false

  def size(%{__struct__: Range, first: first, last: last, step: step}) when step > 0 and first > last, do: 0
  def size(%{__struct__: Range, first: first, last: last, step: step}) when step < 0 and first < last, do: 0
  def size(%{__struct__: Range, first: first, last: last, step: step}), do: abs(div(last - first, step)) + 1

  def shift(%{__struct__: Range, first: first, last: last, step: step}, steps_to_shift) when is_integer(steps_to_shift) do
    Range.new(first + steps_to_shift * step, last + steps_to_shift * step, step)
  end

  def disjoint?(%{__struct__: Range} = range1, %{__struct__: Range} = range2) do
    if size(range1) == 0 or size(range2) == 0 do
      true
    else
      {first1, last1, step1} = ascending(range1)
      {first2, last2, step2} = ascending(range2)

      cond do
        last1 < first2 or last2 < first1 -> true
        step1 == 1 and step2 == 1 -> false
        size(range1) <= size(range2) -> not Enum.any?(first1..last1//step1, &member?(&1, first2, last2, step2))
        true -> not Enum.any?(first2..last2//step2, &member?(&1, first1, last1, step1))
      end
    end
  end

  # The range's elements as first..last//step with a positive step and last an element.
  defp ascending(%{first: first, last: last, step: step} = range) when step < 0 do
    {first + (size(range) - 1) * step, first, -step}
  end

  defp ascending(%{first: first, step: step} = range), do: {first, first + (size(range) - 1) * step, step}

  defp member?(x, first, last, step), do: x >= first and x <= last and rem(x - first, step) == 0
end
