# Kernel's nested-data functions (get_in, put_in, update_in, pop_in, get_and_update_in) and
# struct/1,2, written from their documented behaviour over Access.
defmodule Kernel do
  def get_in(data, [head]) when is_function(head, 3), do: head.(:get, data, fn x -> x end)
  def get_in(data, [head | tail]) when is_function(head, 3), do: head.(:get, data, fn x -> get_in(x, tail) end)
  def get_in(nil, [_head]), do: nil
  def get_in(nil, [_head | tail]), do: get_in(nil, tail)
  def get_in(data, [head]), do: Access.get(data, head)
  def get_in(data, [head | tail]), do: get_in(Access.get(data, head), tail)

  def get_and_update_in(data, [head], fun) when is_function(head, 3), do: head.(:get_and_update, data, fun)

  def get_and_update_in(data, [head | tail], fun) when is_function(head, 3) do
    head.(:get_and_update, data, fn x -> get_and_update_in(x, tail, fun) end)
  end

  def get_and_update_in(data, [head], fun) when is_function(fun, 1), do: Access.get_and_update(data, head, fun)

  def get_and_update_in(data, [head | tail], fun) when is_function(fun, 1) do
    Access.get_and_update(data, head, fn x -> get_and_update_in(x, tail, fun) end)
  end

  def put_in(data, [_ | _] = keys, value) do
    :erlang.element(2, get_and_update_in(data, keys, fn _ -> {nil, value} end))
  end

  def update_in(data, [_ | _] = keys, fun) when is_function(fun, 1) do
    :erlang.element(2, get_and_update_in(data, keys, fn x -> {nil, fun.(x)} end))
  end

  def pop_in(nil, [key | _]) do
    raise ArgumentError, "could not pop key #{inspect(key)} on a nil value"
  end

  def pop_in(data, [_ | _] = keys), do: pop_in_data(data, keys)

  defp pop_in_data(nil, [_ | _]), do: :pop
  defp pop_in_data(data, [fun]) when is_function(fun, 3), do: fun.(:get_and_update, data, fn _ -> :pop end)
  defp pop_in_data(data, [fun | tail]) when is_function(fun, 3), do: fun.(:get_and_update, data, fn x -> pop_in_data(x, tail) end)
  defp pop_in_data(data, [key]), do: Access.pop(data, key)
  defp pop_in_data(data, [key | tail]), do: Access.get_and_update(data, key, fn x -> pop_in_data(x, tail) end)

  def struct(struct, fields \\ []), do: build_struct(struct, fields, false)
  def struct!(struct, fields \\ []), do: build_struct(struct, fields, true)

  defp build_struct(module, fields, strict) when is_atom(module), do: build_struct(module.__struct__(), fields, strict)

  defp build_struct(%{__struct__: _} = struct, fields, strict) do
    Enum.reduce(fields, struct, fn {key, value}, acc ->
      cond do
        key != :__struct__ and Map.has_key?(acc, key) -> Map.put(acc, key, value)
        strict -> :erlang.error({:badkey, key, struct})
        true -> acc
      end
    end)
  end
end
