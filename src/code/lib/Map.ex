# The functions of Elixir's Map beyond those written in C++ (src/code/modules/elixir.cpp),
# written from Map's documented behaviour.
defmodule Map do
  def new(enumerable, transform) when is_function(transform, 1) do
    :maps.from_list(Enum.map(enumerable, transform))
  end

  def from_keys(keys, value) when is_list(keys) do
    :maps.from_list(for key <- keys, do: {key, value})
  end

  def from_struct(module) when is_atom(module), do: from_struct(module.__struct__())
  def from_struct(%{__struct__: _} = struct), do: :maps.remove(:__struct__, struct)

  def size(map), do: map_size(map)

  def equal?(map1, map2) when is_map(map1) and is_map(map2), do: map1 === map2
  def equal?(map1, map2) when is_map(map1), do: :erlang.error({:badmap, map2})
  def equal?(map1, _map2), do: :erlang.error({:badmap, map1})

  def drop(map, keys) when is_map(map), do: :maps.without(Enum.to_list(keys), map)
  def drop(non_map, _keys), do: :erlang.error({:badmap, non_map})

  def take(map, keys) when is_map(map), do: :maps.with(Enum.to_list(keys), map)
  def take(non_map, _keys), do: :erlang.error({:badmap, non_map})

  def split(map, keys) when is_map(map) do
    keys = Enum.to_list(keys)
    {:maps.with(keys, map), :maps.without(keys, map)}
  end

  def split(non_map, _keys), do: :erlang.error({:badmap, non_map})

  def pop(map, key, default \\ nil) do
    case :maps.take(key, map) do
      {value, rest} -> {value, rest}
      :error -> {default, map}
    end
  end

  def pop!(map, key) do
    case :maps.take(key, map) do
      {value, rest} -> {value, rest}
      :error -> :erlang.error({:badkey, key, map})
    end
  end

  def pop_lazy(map, key, fun) when is_function(fun, 0) do
    case :maps.take(key, map) do
      {value, rest} -> {value, rest}
      :error -> {fun.(), map}
    end
  end

  def get_lazy(map, key, fun) when is_function(fun, 0) do
    case map do
      %{^key => value} -> value
      %{} -> fun.()
      other -> :erlang.error({:badmap, other})
    end
  end

  def put_new(map, key, value) do
    case map do
      %{^key => _} -> map
      %{} -> :maps.put(key, value, map)
      other -> :erlang.error({:badmap, other})
    end
  end

  def put_new_lazy(map, key, fun) when is_function(fun, 0) do
    case map do
      %{^key => _} -> map
      %{} -> :maps.put(key, fun.(), map)
      other -> :erlang.error({:badmap, other})
    end
  end

  def replace(map, key, value) do
    case map do
      %{^key => _} -> :maps.put(key, value, map)
      %{} -> map
      other -> :erlang.error({:badmap, other})
    end
  end

  def replace!(map, key, value) do
    case map do
      %{^key => _} -> :maps.put(key, value, map)
      %{} -> :erlang.error({:badkey, key, map})
      other -> :erlang.error({:badmap, other})
    end
  end

  def replace_lazy(map, key, fun) when is_map(map) and is_function(fun, 1) do
    case map do
      %{^key => value} -> :maps.put(key, fun.(value), map)
      %{} -> map
    end
  end

  def update(map, key, default, fun) when is_function(fun, 1) do
    case map do
      %{^key => value} -> :maps.put(key, fun.(value), map)
      %{} -> :maps.put(key, default, map)
      other -> :erlang.error({:badmap, other})
    end
  end

  def merge(map1, map2, fun) when is_function(fun, 3) do
    if map_size(map1) > map_size(map2) do
      :maps.fold(
        fn key, value2, acc ->
          case acc do
            %{^key => value1} -> :maps.put(key, fun.(key, value1, value2), acc)
            %{} -> :maps.put(key, value2, acc)
          end
        end,
        map1,
        map2
      )
    else
      :maps.fold(
        fn key, value1, acc ->
          case acc do
            %{^key => value2} -> :maps.put(key, fun.(key, value1, value2), acc)
            %{} -> :maps.put(key, value1, acc)
          end
        end,
        map2,
        map1
      )
    end
  end

  def filter(map, fun) when is_map(map) and is_function(fun, 1) do
    :maps.from_list(for pair <- :maps.to_list(map), fun.(pair), do: pair)
  end

  def reject(map, fun) when is_map(map) and is_function(fun, 1) do
    :maps.from_list(for pair <- :maps.to_list(map), not fun.(pair), do: pair)
  end

  def map(map, fun) when is_map(map) and is_function(fun, 1) do
    :maps.from_list(for {key, _} = pair <- :maps.to_list(map), do: {key, fun.(pair)})
  end

  def get_and_update(map, key, fun) when is_function(fun, 1) do
    current = Map.get(map, key)

    case fun.(current) do
      {get, update} -> {get, :maps.put(key, update, map)}
      :pop -> {current, :maps.remove(key, map)}
      other -> raise "the given function must return a two-element tuple or :pop, got: #{inspect(other)}"
    end
  end

  def get_and_update!(map, key, fun) when is_function(fun, 1) do
    case map do
      %{^key => current} ->
        case fun.(current) do
          {get, update} -> {get, :maps.put(key, update, map)}
          :pop -> {current, :maps.remove(key, map)}
          other -> raise "the given function must return a two-element tuple or :pop, got: #{inspect(other)}"
        end

      %{} ->
        :erlang.error({:badkey, key, map})

      other ->
        :erlang.error({:badmap, other})
    end
  end
end
