# Elixir's Regex, written from its documented behaviour on top of Erlang's re (PCRE2 here,
# src/code/modules/regex.cpp): %Regex{} holds the source, the options and the compiled pattern
# term, which any node can carry and the node that runs it compiles again.
defmodule Regex do
  def __struct__, do: %{__struct__: Regex, re_pattern: nil, source: "", opts: "", re_version: ""}
  def __struct__(fields), do: Enum.reduce(fields, __struct__(), fn {key, value}, acc -> Map.replace!(acc, key, value) end)

  def compile(source, options \\ "")

  def compile(source, options) when is_binary(source) and is_binary(options) do
    case translate_options(options, []) do
      {:error, rest} -> {:error, {:invalid_option, rest}}
      translated -> compile(source, translated, options)
    end
  end

  def compile(source, options) when is_binary(source) and is_list(options), do: compile(source, options, options)

  defp compile(source, re_options, options) do
    case :re.compile(source, re_options) do
      {:ok, re_pattern} ->
        {:ok, %{__struct__: Regex, re_pattern: re_pattern, source: source, opts: options, re_version: version()}}

      error ->
        error
    end
  end

  def compile!(source, options \\ "") when is_binary(source) do
    case compile(source, options) do
      {:ok, regex} ->
        regex

      {:error, {:invalid_option, rest}} ->
        compile_error("invalid regex option #{inspect(rest)}")

      {:error, {reason, at}} ->
        compile_error("#{reason} at position #{at}")
    end
  end

  defp compile_error(message) do
    :erlang.error(%{__struct__: Regex.CompileError, __exception__: true, message: message})
  end

  def recompile(%{__struct__: Regex} = regex), do: {:ok, regex}
  def recompile!(%{__struct__: Regex} = regex), do: regex

  def version, do: {:re.version(), :little}

  # The compiled pattern, compiled again from the source when the regex was made by another re
  # (a BEAM node's, whose compiled form PCRE2 cannot read), as Elixir does across versions.
  defp pattern(%{re_pattern: re_pattern, re_version: re_version, source: source, opts: opts}) do
    if re_version == version() do
      re_pattern
    else
      {:ok, %{re_pattern: re_pattern}} = compile(source, opts)
      re_pattern
    end
  end

  defp translate_options(<<?u, rest::binary>>, acc), do: translate_options(rest, [:unicode, :ucp | acc])
  defp translate_options(<<?i, rest::binary>>, acc), do: translate_options(rest, [:caseless | acc])
  defp translate_options(<<?x, rest::binary>>, acc), do: translate_options(rest, [:extended | acc])
  defp translate_options(<<?f, rest::binary>>, acc), do: translate_options(rest, [:firstline | acc])
  defp translate_options(<<?U, rest::binary>>, acc), do: translate_options(rest, [:ungreedy | acc])
  defp translate_options(<<?s, rest::binary>>, acc), do: translate_options(rest, [:dotall, {:newline, :anycrlf} | acc])
  defp translate_options(<<?m, rest::binary>>, acc), do: translate_options(rest, [:multiline | acc])
  defp translate_options(<<?o, rest::binary>>, acc), do: translate_options(rest, acc)
  defp translate_options(<<>>, acc), do: acc
  defp translate_options(rest, _acc), do: {:error, rest}

  def regex?(%{__struct__: Regex}), do: true
  def regex?(_), do: false

  def source(%{__struct__: Regex, source: source}), do: source
  def opts(%{__struct__: Regex, opts: opts}), do: opts
  def re_pattern(%{__struct__: Regex, re_pattern: re_pattern}), do: re_pattern

  def names(%{__struct__: Regex} = regex) do
    {:namelist, names} = :re.inspect(pattern(regex), :namelist)
    names
  end

  def match?(%{__struct__: Regex} = regex, string) when is_binary(string) do
    :re.run(string, pattern(regex), [{:capture, :none}]) == :match
  end

  def run(regex, string, options \\ [])

  def run(%{__struct__: Regex} = regex, string, options) when is_binary(string) do
    return = Keyword.get(options, :return, :binary)
    captures = Keyword.get(options, :capture, :all)
    offset = Keyword.get(options, :offset, 0)

    case :re.run(string, pattern(regex), [{:capture, captures, return}, {:offset, offset}]) do
      :nomatch -> nil
      :match -> []
      {:match, results} -> results
    end
  end

  def scan(regex, string, options \\ [])

  def scan(%{__struct__: Regex} = regex, string, options) when is_binary(string) do
    return = Keyword.get(options, :return, :binary)
    captures = Keyword.get(options, :capture, :all)
    offset = Keyword.get(options, :offset, 0)

    case :re.run(string, pattern(regex), [:global, {:capture, captures, return}, {:offset, offset}]) do
      :nomatch -> []
      :match -> []
      {:match, results} -> results
    end
  end

  def named_captures(regex, string, options \\ []) when is_binary(string) do
    names = names(regex)

    case run(regex, string, Keyword.put(options, :capture, names)) do
      nil -> nil
      results -> :maps.from_list(Enum.zip(names, results))
    end
  end

  def replace(%{__struct__: Regex} = regex, string, replacement, options \\ [])
      when is_binary(string) and (is_binary(replacement) or is_function(replacement)) do
    global = if Keyword.get(options, :global, true), do: [:global], else: []

    case :re.run(string, pattern(regex), global ++ [{:capture, :all, :index}]) do
      :nomatch ->
        string

      {:match, [first | _] = matches} when is_list(first) ->
        IO.iodata_to_binary(replaced(string, 0, matches, parse_replacement(replacement)))

      {:match, match} ->
        IO.iodata_to_binary(replaced(string, 0, [match], parse_replacement(replacement)))
    end
  end

  defp replaced(string, offset, [], _replacement), do: [binary_part(string, offset, byte_size(string) - offset)]

  defp replaced(string, offset, [[{start, length} | _] = match | rest], replacement) do
    groups = Enum.map(match, fn
      {-1, _} -> ""
      {s, l} -> binary_part(string, s, l)
    end)

    [binary_part(string, offset, start - offset), substitute(replacement, groups) | replaced(string, start + length, rest, replacement)]
  end

  defp substitute(fun, groups) when is_function(fun) do
    {:arity, arity} = :erlang.fun_info(fun, :arity)
    args = Enum.take(groups ++ List.duplicate("", max(arity - length(groups), 0)), arity)
    to_string(apply(fun, args))
  end

  defp substitute(parts, groups) do
    Enum.map(parts, fn
      {:group, n} -> Enum.at(groups, n, "")
      text -> text
    end)
  end

  defp parse_replacement(fun) when is_function(fun), do: fun
  defp parse_replacement(text), do: parse_replacement(text, "", [])

  defp parse_replacement(<<>>, text, acc), do: :lists.reverse([text | acc])

  defp parse_replacement(<<?\\, ?g, ?{, rest::binary>>, text, acc) do
    {digits, <<?}, rest::binary>>} = take_digits(rest, "")
    parse_replacement(rest, "", [{:group, String.to_integer(digits)}, text | acc])
  end

  defp parse_replacement(<<?\\, digit, rest::binary>>, text, acc) when digit in ?0..?9 do
    {digits, rest} = take_digits(rest, <<digit>>)
    parse_replacement(rest, "", [{:group, String.to_integer(digits)}, text | acc])
  end

  defp parse_replacement(<<?\\, char, rest::binary>>, text, acc), do: parse_replacement(rest, <<text::binary, char>>, acc)
  defp parse_replacement(<<char, rest::binary>>, text, acc), do: parse_replacement(rest, <<text::binary, char>>, acc)

  defp take_digits(<<digit, rest::binary>>, acc) when digit in ?0..?9, do: take_digits(rest, <<acc::binary, digit>>)
  defp take_digits(rest, acc), do: {acc, rest}

  def split(regex, string, options \\ [])

  def split(%{__struct__: Regex}, "", options) do
    if Keyword.get(options, :trim, false), do: [], else: [""]
  end

  def split(%{__struct__: Regex} = regex, string, options) when is_binary(string) do
    parts = Keyword.get(options, :parts, :infinity)
    trim = Keyword.get(options, :trim, false)
    on = Keyword.get(options, :on, :first)
    captures = Keyword.get(options, :include_captures, false)

    matches =
      case :re.run(string, pattern(regex), [:global, {:capture, on, :index}]) do
        {:match, matches} -> matches
        _ -> []
      end

    splitting(matches, string, 0, if(parts == :infinity, do: -1, else: parts), trim, captures)
  end

  # The rest of `string` from `offset`, cut at each of `matches` (each a list of {start, length},
  # several with `on:`), while more than one part may still be made.
  defp splitting(_matches, string, offset, _parts, true, _captures) when byte_size(string) <= offset, do: []
  defp splitting(_matches, string, offset, 1, _trim, _captures), do: [binary_part(string, offset, byte_size(string) - offset)]
  defp splitting([], string, offset, _parts, _trim, _captures), do: [binary_part(string, offset, byte_size(string) - offset)]
  defp splitting([[] | rest], string, offset, parts, trim, captures), do: splitting(rest, string, offset, parts, trim, captures)

  defp splitting([[{start, _length} | more] | rest], string, offset, parts, trim, captures) when start < offset do
    splitting([more | rest], string, offset, parts, trim, captures)
  end

  defp splitting([[{start, length} | more] | rest], string, offset, parts, trim, captures) do
    part = binary_part(string, offset, start - offset)
    captured = if captures, do: [binary_part(string, start, length)], else: []

    if trim and part == "" do
      captured ++ splitting([more | rest], string, start + length, parts, trim, captures)
    else
      [part | captured ++ splitting([more | rest], string, start + length, parts - 1, trim, captures)]
    end
  end

  def escape(string) when is_binary(string), do: escaping(string, "")

  defp escaping(<<>>, acc), do: acc

  defp escaping(<<char, rest::binary>>, acc) when char in [?., ?^, ?$, ?*, ?+, ??, ?(, ?), ?[, ?], ?{, ?}, ?|, ?#, ?-, ?\\, ?\s, ?\t, ?\n, ?\v, ?\f, ?\r] do
    escaping(rest, <<acc::binary, ?\\, char>>)
  end

  defp escaping(<<char, rest::binary>>, acc), do: escaping(rest, <<acc::binary, char>>)
end
