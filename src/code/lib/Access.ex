# The functions of Elixir's Access beyond Access.get (src/code/modules/elixir_data.cpp): the
# container functions get_in/put_in/update_in go through, and the accessors (key, elem, at,
# all, filter) they take, written from Access's documented behaviour.
defmodule Access do
  def fetch(%{__struct__: struct} = container, key) do
    raise UndefinedFunctionError,
      module: struct,
      function: :fetch,
      arity: 2,
      message: "function #{inspect(struct)}.fetch/2 is undefined (#{inspect(struct)} does not implement the Access behaviour)"

    {container, key}
  end

  def fetch(map, key) when is_map(map) do
    case map do
      %{^key => value} -> {:ok, value}
      _ -> :error
    end
  end

  def fetch(list, key) when is_list(list) and is_atom(key) do
    case :lists.keyfind(key, 1, list) do
      {_, value} -> {:ok, value}
      false -> :error
    end
  end

  def fetch(list, key) when is_list(list) do
    raise ArgumentError, "the Access calls for keywords expect the key to be an atom, got: " <> inspect(key)
  end

  def fetch(nil, _key), do: :error

  def fetch!(container, key) do
    case fetch(container, key) do
      {:ok, value} -> value
      :error -> :erlang.error({:badkey, key, container})
    end
  end

  def get_and_update(map, key, fun) when is_map(map), do: Map.get_and_update(map, key, fun)
  def get_and_update(list, key, fun) when is_list(list), do: Keyword.get_and_update(list, key, fun)

  def get_and_update(nil, key, _fun) do
    raise ArgumentError, "could not put/update key #{inspect(key)} on a nil value"
  end

  def pop(map, key) when is_map(map), do: Map.pop(map, key)
  def pop(list, key) when is_list(list), do: Keyword.pop(list, key)
  def pop(nil, key), do: raise(ArgumentError, "could not pop key #{inspect(key)} on a nil value")

  def key(key, default \\ nil) do
    fn
      :get, data, next ->
        next.(Map.get(key_container!(data, key), key, default))

      :get_and_update, data, next ->
        value = Map.get(key_container!(data, key), key, default)

        case next.(value) do
          {get, update} -> {get, Map.put(data, key, update)}
          :pop -> {value, Map.delete(data, key)}
        end
    end
  end

  def key!(key) do
    fn
      :get, data, next ->
        next.(fetch!(key_container!(data, key), key))

      :get_and_update, data, next ->
        value = fetch!(key_container!(data, key), key)

        case next.(value) do
          {get, update} -> {get, Map.put(data, key, update)}
          :pop -> {value, Map.delete(data, key)}
        end
    end
  end

  defp key_container!(data, _key) when is_map(data), do: data
  defp key_container!(nil, _key), do: %{}

  defp key_container!(data, key) do
    raise "Access.key/1 expected a map/struct, got: #{inspect(data)} (for key #{inspect(key)})"
  end

  def elem(index) when is_integer(index) and index >= 0 do
    position = index + 1

    fn
      :get, data, next when is_tuple(data) ->
        next.(:erlang.element(position, data))

      :get_and_update, data, next when is_tuple(data) ->
        value = :erlang.element(position, data)

        case next.(value) do
          {get, update} -> {get, :erlang.setelement(position, data, update)}
          :pop -> raise ArgumentError, "cannot pop data from a tuple"
        end

      _op, data, _next ->
        raise "Access.elem/1 expected a tuple, got: #{inspect(data)}"
    end
  end

  def at(index) when is_integer(index) do
    fn
      :get, data, next when is_list(data) ->
        next.(Enum.at(data, index))

      :get_and_update, data, next when is_list(data) ->
        at_update(data, index, next)

      _op, data, _next ->
        raise "Access.at/1 expected a list, got: #{inspect(data)}"
    end
  end

  def at!(index) when is_integer(index) do
    fn
      :get, data, next when is_list(data) ->
        case Enum.fetch(data, index) do
          {:ok, value} -> next.(value)
          :error -> raise Enum.OutOfBoundsError
        end

      :get_and_update, data, next when is_list(data) ->
        case Enum.fetch(data, index) do
          {:ok, _} -> at_update(data, index, next)
          :error -> raise Enum.OutOfBoundsError
        end

      _op, data, _next ->
        raise "Access.at!/1 expected a list, got: #{inspect(data)}"
    end
  end

  defp at_update(list, index, next) when index < 0 do
    size = length(list)
    if size + index < 0, do: {nil, list}, else: at_update(list, size + index, next)
  end

  defp at_update(list, index, next) do
    case Enum.split(list, index) do
      {before, [value | rest]} ->
        case next.(value) do
          {get, update} -> {get, before ++ [update | rest]}
          :pop -> {value, before ++ rest}
        end

      {_, []} ->
        {nil, list}
    end
  end

  def all do
    fn
      :get, data, next when is_list(data) ->
        Enum.map(data, next)

      :get_and_update, data, next when is_list(data) ->
        {gets, updates} =
          Enum.reduce(data, {[], []}, fn value, {gets, updates} ->
            case next.(value) do
              {get, update} -> {[get | gets], [update | updates]}
              :pop -> {[value | gets], updates}
            end
          end)

        {:lists.reverse(gets), :lists.reverse(updates)}

      _op, data, _next ->
        raise "Access.all/0 expected a list, got: #{inspect(data)}"
    end
  end

  def filter(func) when is_function(func, 1) do
    fn
      :get, data, next when is_list(data) ->
        Enum.map(Enum.filter(data, func), next)

      :get_and_update, data, next when is_list(data) ->
        {gets, updates} =
          Enum.reduce(data, {[], []}, fn value, {gets, updates} ->
            if func.(value) do
              case next.(value) do
                {get, update} -> {[get | gets], [update | updates]}
                :pop -> {[value | gets], updates}
              end
            else
              {gets, [value | updates]}
            end
          end)

        {:lists.reverse(gets), :lists.reverse(updates)}

      _op, data, _next ->
        raise "Access.filter/1 expected a list, got: #{inspect(data)}"
    end
  end
end
