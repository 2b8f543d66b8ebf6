# The functions of Elixir's Keyword beyond those written in C++ (src/code/modules/elixir_data.cpp),
# written from Keyword's documented behaviour.
defmodule Keyword do
  def new(pairs), do: new(pairs, fn pair -> pair end)

  def new(pairs, transform) when is_function(transform, 1) do
    # The last of duplicated keys prevails.
    :lists.foldl(fn {key, value}, acc -> put_new(acc, key, value) end, [], :lists.reverse(Enum.map(pairs, transform)))
  end

  def from_keys(keys, value) when is_list(keys) do
    for key <- keys, is_atom(key) or raise(ArgumentError, "expected a keyword list key, got: #{inspect(key)}"), do: {key, value}
  end

  def keyword?([{key, _value} | rest]) when is_atom(key), do: keyword?(rest)
  def keyword?([]), do: true
  def keyword?(_other), do: false

  def to_list(keywords) when is_list(keywords), do: keywords

  def size(keywords), do: length(keywords)

  def equal?(left, right) when is_list(left) and is_list(right) do
    :lists.sort(left) == :lists.sort(right)
  end

  def fetch!(keywords, key) when is_list(keywords) and is_atom(key) do
    case :lists.keyfind(key, 1, keywords) do
      {^key, value} -> value
      false -> :erlang.error({:badkey, key, keywords})
    end
  end

  def get_lazy(keywords, key, fun) when is_list(keywords) and is_atom(key) and is_function(fun, 0) do
    case :lists.keyfind(key, 1, keywords) do
      {^key, value} -> value
      false -> fun.()
    end
  end

  def get_values(keywords, key) when is_list(keywords) and is_atom(key) do
    for {^key, value} <- keywords, do: value
  end

  def delete(keywords, key, value) when is_list(keywords) and is_atom(key) do
    for {k, v} = pair <- keywords, not (k == key and v === value), do: pair
  end

  def delete_first(keywords, key) when is_list(keywords) and is_atom(key) do
    case :lists.keymember(key, 1, keywords) do
      true -> :lists.keydelete(key, 1, keywords)
      false -> keywords
    end
  end

  def drop(keywords, keys) when is_list(keywords) and is_list(keys) do
    for {key, _} = pair <- keywords, not :lists.member(key, keys), do: pair
  end

  def take(keywords, keys) when is_list(keywords) and is_list(keys) do
    for {key, _} = pair <- keywords, :lists.member(key, keys), do: pair
  end

  def split(keywords, keys) when is_list(keywords) and is_list(keys) do
    {taken, dropped} = :lists.partition(fn {key, _} -> :lists.member(key, keys) end, keywords)
    {taken, dropped}
  end

  def filter(keywords, fun) when is_list(keywords) and is_function(fun, 1) do
    for pair <- keywords, fun.(pair), do: pair
  end

  def reject(keywords, fun) when is_list(keywords) and is_function(fun, 1) do
    for pair <- keywords, not fun.(pair), do: pair
  end

  def map(keywords, fun) when is_list(keywords) and is_function(fun, 1) do
    for {key, _} = pair <- keywords, do: {key, fun.(pair)}
  end

  def pop(keywords, key, default \\ nil) when is_list(keywords) and is_atom(key) do
    case :lists.keyfind(key, 1, keywords) do
      {^key, value} -> {value, Keyword.delete(keywords, key)}
      false -> {default, keywords}
    end
  end

  def pop!(keywords, key) when is_list(keywords) and is_atom(key) do
    case :lists.keyfind(key, 1, keywords) do
      {^key, value} -> {value, Keyword.delete(keywords, key)}
      false -> :erlang.error({:badkey, key, keywords})
    end
  end

  def pop_lazy(keywords, key, fun) when is_list(keywords) and is_atom(key) and is_function(fun, 0) do
    case :lists.keyfind(key, 1, keywords) do
      {^key, value} -> {value, Keyword.delete(keywords, key)}
      false -> {fun.(), keywords}
    end
  end

  def pop_first(keywords, key, default \\ nil) when is_list(keywords) and is_atom(key) do
    case :lists.keytake(key, 1, keywords) do
      {:value, {^key, value}, rest} -> {value, rest}
      false -> {default, keywords}
    end
  end

  def pop_values(keywords, key) when is_list(keywords) and is_atom(key) do
    {get_values(keywords, key), Keyword.delete(keywords, key)}
  end

  def put_new(keywords, key, value) when is_list(keywords) and is_atom(key) do
    case :lists.keymember(key, 1, keywords) do
      true -> keywords
      false -> [{key, value} | keywords]
    end
  end

  def put_new_lazy(keywords, key, fun) when is_list(keywords) and is_atom(key) and is_function(fun, 0) do
    case :lists.keymember(key, 1, keywords) do
      true -> keywords
      false -> [{key, fun.()} | keywords]
    end
  end

  def replace(keywords, key, value) when is_list(keywords) and is_atom(key) do
    case :lists.keymember(key, 1, keywords) do
      true -> replace_first(keywords, key, value)
      false -> keywords
    end
  end

  def replace!(keywords, key, value) when is_list(keywords) and is_atom(key) do
    case :lists.keymember(key, 1, keywords) do
      true -> replace_first(keywords, key, value)
      false -> :erlang.error({:badkey, key, keywords})
    end
  end

  def replace_lazy(keywords, key, fun) when is_list(keywords) and is_atom(key) and is_function(fun, 1) do
    case :lists.keyfind(key, 1, keywords) do
      {^key, value} -> replace_first(keywords, key, fun.(value))
      false -> keywords
    end
  end

  # The first entry of `key` takes `value`; later entries of it go.
  defp replace_first([{key, _} | rest], key, value), do: [{key, value} | Keyword.delete(rest, key)]
  defp replace_first([pair | rest], key, value), do: [pair | replace_first(rest, key, value)]

  def update(keywords, key, default, fun) when is_list(keywords) and is_atom(key) and is_function(fun, 1) do
    case :lists.keyfind(key, 1, keywords) do
      {^key, value} -> replace_first(keywords, key, fun.(value))
      false -> keywords ++ [{key, default}]
    end
  end

  def update!(keywords, key, fun) when is_list(keywords) and is_atom(key) and is_function(fun, 1) do
    case :lists.keyfind(key, 1, keywords) do
      {^key, value} -> replace_first(keywords, key, fun.(value))
      false -> :erlang.error({:badkey, key, keywords})
    end
  end

  def merge(keywords1, keywords2) when is_list(keywords1) and is_list(keywords2) do
    keys = for {key, _} <- keywords2, do: key
    (for {key, _} = pair <- keywords1, not :lists.member(key, keys), do: pair) ++ keywords2
  end

  def merge(keywords1, keywords2, fun) when is_list(keywords1) and is_list(keywords2) and is_function(fun, 3) do
    keys = for {key, _} <- keywords2, do: key
    kept = for {key, _} = pair <- keywords1, not :lists.member(key, keys), do: pair
    kept ++ merge_with(keywords2, keywords1, fun)
  end

  # Each entry of the second list meets the first unmatched entry of its key in the first.
  defp merge_with([], _keywords1, _fun), do: []

  defp merge_with([{key, value2} | rest], keywords1, fun) do
    case :lists.keytake(key, 1, keywords1) do
      {:value, {^key, value1}, others} -> [{key, fun.(key, value1, value2)} | merge_with(rest, others, fun)]
      false -> [{key, value2} | merge_with(rest, keywords1, fun)]
    end
  end

  def get_and_update(keywords, key, fun) when is_list(keywords) and is_atom(key) and is_function(fun, 1) do
    current = Keyword.get(keywords, key)

    case fun.(current) do
      {get, value} -> {get, Keyword.put(keywords, key, value)}
      :pop -> {current, Keyword.delete(keywords, key)}
      other -> raise "the given function must return a two-element tuple or :pop, got: #{inspect(other)}"
    end
  end

  def get_and_update!(keywords, key, fun) when is_list(keywords) and is_atom(key) and is_function(fun, 1) do
    case :lists.keyfind(key, 1, keywords) do
      {^key, current} ->
        case fun.(current) do
          {get, value} -> {get, replace_first(keywords, key, value)}
          :pop -> {current, Keyword.delete(keywords, key)}
          other -> raise "the given function must return a two-element tuple or :pop, got: #{inspect(other)}"
        end

      false ->
        :erlang.error({:badkey, key, keywords})
    end
  end

  def validate(keywords, values) when is_list(keywords) and is_list(values) do
    allowed = for value <- values, do: (case value do
      {key, _} -> key
      key -> key
    end)

    case for({key, _} <- keywords, not :lists.member(key, allowed), do: key) do
      [] ->
        defaults = for {key, default} <- values, not :lists.keymember(key, 1, keywords), do: {key, default}
        {:ok, :lists.reverse(defaults) ++ keywords}

      unknown ->
        {:error, :lists.reverse(Enum.uniq(unknown))}
    end
  end

  def validate!(keywords, values) do
    case validate(keywords, values) do
      {:ok, validated} ->
        validated

      {:error, unknown} ->
        allowed = for value <- values, do: (case value do
          {key, _} -> key
          key -> key
        end)
        raise ArgumentError,
              "unknown keys #{inspect(unknown)} in #{inspect(keywords)}, the allowed keys are: #{inspect(allowed)}"
    end
  end
end
