# Elixir's MapSet, written from its documented behaviour: a set is `%MapSet{map: %{member => []}}`
# as in Elixir 1.14, so it prints as `MapSet.new([...])` and Enum reads its members.
defmodule MapSet do
  def __struct__, do: %{__struct__: MapSet, map: %{}, version: 2}
  def __struct__(fields), do: Enum.reduce(fields, __struct__(), fn {key, value}, acc -> Map.replace!(acc, key, value) end)

  defp set(map), do: %{__struct__: MapSet, map: map, version: 2}

  def new, do: set(%{})
  def new(%{__struct__: MapSet} = map_set), do: map_set
  def new(enumerable), do: set(:maps.from_list(for member <- Enum.to_list(enumerable), do: {member, []}))

  def new(enumerable, transform) when is_function(transform, 1) do
    set(:maps.from_list(for member <- Enum.to_list(enumerable), do: {transform.(member), []}))
  end

  def put(%{__struct__: MapSet, map: map}, value), do: set(:maps.put(value, [], map))
  def delete(%{__struct__: MapSet, map: map}, value), do: set(:maps.remove(value, map))
  def member?(%{__struct__: MapSet, map: map}, value), do: :erlang.is_map_key(value, map)
  def size(%{__struct__: MapSet, map: map}), do: map_size(map)
  def to_list(%{__struct__: MapSet, map: map}), do: :maps.keys(map)

  def union(%{__struct__: MapSet, map: map1}, %{__struct__: MapSet, map: map2}), do: set(:maps.merge(map1, map2))

  def intersection(%{__struct__: MapSet, map: map1}, %{__struct__: MapSet, map: map2}) do
    set(:maps.with(:maps.keys(map2), map1))
  end

  def difference(%{__struct__: MapSet, map: map1}, %{__struct__: MapSet, map: map2}) do
    set(:maps.without(:maps.keys(map2), map1))
  end

  def symmetric_difference(%{__struct__: MapSet, map: map1}, %{__struct__: MapSet, map: map2}) do
    set(:maps.merge(:maps.without(:maps.keys(map2), map1), :maps.without(:maps.keys(map1), map2)))
  end

  def subset?(%{__struct__: MapSet, map: map1}, %{__struct__: MapSet, map: map2}) do
    map_size(map1) <= map_size(map2) and Enum.all?(:maps.keys(map1), fn key -> :erlang.is_map_key(key, map2) end)
  end

  def disjoint?(%{__struct__: MapSet, map: map1}, %{__struct__: MapSet, map: map2}) do
    not Enum.any?(:maps.keys(map1), fn key -> :erlang.is_map_key(key, map2) end)
  end

  def equal?(%{__struct__: MapSet, map: map1}, %{__struct__: MapSet, map: map2}), do: map1 === map2

  def filter(%{__struct__: MapSet, map: map}, fun) when is_function(fun, 1) do
    set(:maps.from_list(for {key, _} = pair <- :maps.to_list(map), fun.(key), do: pair))
  end

  def reject(%{__struct__: MapSet, map: map}, fun) when is_function(fun, 1) do
    set(:maps.from_list(for {key, _} = pair <- :maps.to_list(map), not fun.(key), do: pair))
  end
end
