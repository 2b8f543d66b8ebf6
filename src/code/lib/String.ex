# The functions of Elixir's String beyond those written in C++ (src/code/modules/elixir.cpp),
# written from String's documented behaviour; graphemes come from String.graphemes/1.
defmodule String do
  def match?(string, regex) when is_binary(string), do: Regex.match?(regex, string)

  def pad_leading(string, count, padding) when is_binary(string) and is_integer(count) and count >= 0 do
    pad(string, count, padding, :leading)
  end

  def pad_trailing(string, count, padding) when is_binary(string) and is_integer(count) and count >= 0 do
    pad(string, count, padding, :trailing)
  end

  defp pad(string, count, padding, side) do
    padding = if is_binary(padding), do: String.graphemes(padding), else: padding

    if padding == [] do
      raise ArgumentError, "expected a string padding element, got: \"\""
    end

    missing = count - String.length(string)

    if missing <= 0 do
      string
    else
      fill = IO.iodata_to_binary(cycle_take(padding, padding, missing))
      if side == :leading, do: fill <> string, else: string <> fill
    end
  end

  defp cycle_take(_all, _rest, 0), do: []
  defp cycle_take(all, [], n), do: cycle_take(all, all, n)
  defp cycle_take(all, [x | rest], n), do: [x | cycle_take(all, rest, n - 1)]

  def upcase(string, :default), do: String.upcase(string)
  def upcase(string, :greek), do: String.upcase(string)
  def upcase(string, :ascii) when is_binary(string), do: for(<<c <- string>>, into: "", do: <<ascii_upcase(c)>>)

  def downcase(string, :default), do: String.downcase(string)
  def downcase(string, :greek), do: String.downcase(string)
  def downcase(string, :ascii) when is_binary(string), do: for(<<c <- string>>, into: "", do: <<ascii_downcase(c)>>)

  def capitalize(string, :default), do: String.capitalize(string)
  def capitalize(string, :greek), do: String.capitalize(string)
  def capitalize(<<c, rest::binary>>, :ascii), do: <<ascii_upcase(c)>> <> downcase(rest, :ascii)
  def capitalize("", :ascii), do: ""

  defp ascii_upcase(c) when c >= ?a and c <= ?z, do: c - 32
  defp ascii_upcase(c), do: c
  defp ascii_downcase(c) when c >= ?A and c <= ?Z, do: c + 32
  defp ascii_downcase(c), do: c

  def trim(string, to_trim) when is_binary(string) and is_binary(to_trim) do
    trim_trailing(trim_leading(string, to_trim), to_trim)
  end

  def trim_leading(_string, ""), do: raise(ArgumentError, "cannot use an empty string as the match to replace")

  def trim_leading(string, to_trim) when is_binary(string) and is_binary(to_trim) do
    size = byte_size(to_trim)

    case string do
      <<^to_trim::binary-size(size), rest::binary>> -> trim_leading(rest, to_trim)
      _ -> string
    end
  end

  def trim_trailing(_string, ""), do: raise(ArgumentError, "cannot use an empty string as the match to replace")

  def trim_trailing(string, to_trim) when is_binary(string) and is_binary(to_trim) do
    size = byte_size(string) - byte_size(to_trim)

    if size >= 0 and binary_part(string, size, byte_size(to_trim)) == to_trim,
      do: trim_trailing(binary_part(string, 0, size), to_trim),
      else: string
  end

  def replace_prefix(string, match, replacement) when is_binary(string) and is_binary(match) and is_binary(replacement) do
    size = byte_size(match)

    case string do
      <<^match::binary-size(size), rest::binary>> -> replacement <> rest
      _ -> string
    end
  end

  def replace_suffix(string, match, replacement) when is_binary(string) and is_binary(match) and is_binary(replacement) do
    size = byte_size(string) - byte_size(match)

    if size >= 0 and binary_part(string, size, byte_size(match)) == match,
      do: binary_part(string, 0, size) <> replacement,
      else: string
  end

  def replace_leading(_string, "", _replacement) do
    raise ArgumentError, "cannot use an empty string as the match to replace"
  end

  def replace_leading(string, match, replacement) when is_binary(string) and is_binary(match) and is_binary(replacement) do
    size = byte_size(match)

    case string do
      <<^match::binary-size(size), rest::binary>> -> replacement <> replace_leading(rest, match, replacement)
      _ -> string
    end
  end

  def replace_trailing(_string, "", _replacement) do
    raise ArgumentError, "cannot use an empty string as the match to replace"
  end

  def replace_trailing(string, match, replacement) when is_binary(string) and is_binary(match) and is_binary(replacement) do
    size = byte_size(string) - byte_size(match)

    if size >= 0 and binary_part(string, size, byte_size(match)) == match,
      do: replace_trailing(binary_part(string, 0, size), match, replacement) <> replacement,
      else: string
  end

  def split_at(string, position) when is_binary(string) and is_integer(position) do
    graphemes = String.graphemes(string)
    position = if position < 0, do: max(length(graphemes) + position, 0), else: position
    {left, right} = Enum.split(graphemes, position)
    {IO.iodata_to_binary(left), IO.iodata_to_binary(right)}
  end

  def valid?(<<_::utf8, rest::binary>>), do: valid?(rest)
  def valid?(<<>>), do: true
  def valid?(binary) when is_binary(binary), do: false

  def printable?(string, limit \\ :infinity)
  def printable?(_string, 0), do: true
  def printable?(<<>>, _limit), do: true

  def printable?(<<char::utf8, rest::binary>>, limit) do
    if printable_char?(char), do: printable?(rest, decrement(limit)), else: false
  end

  def printable?(binary, _limit) when is_binary(binary), do: false

  defp printable_char?(char) when char >= 0x20 and char <= 0x7E, do: true
  defp printable_char?(char) when char >= 0xA0 and char <= 0xD7FF, do: true
  defp printable_char?(char) when char >= 0xE000 and char <= 0xFFFD, do: true
  defp printable_char?(char) when char >= 0x10000 and char <= 0x10FFFF, do: true
  defp printable_char?(char), do: char in [?\n, ?\r, ?\t, ?\v, ?\b, ?\f, ?\e, ?\d, ?\a]

  defp decrement(:infinity), do: :infinity
  defp decrement(limit), do: limit - 1

  def next_codepoint(<<char::utf8, rest::binary>>), do: {<<char::utf8>>, rest}
  def next_codepoint(<<byte, rest::binary>>), do: {<<byte>>, rest}
  def next_codepoint(<<>>), do: nil

  def next_grapheme(<<>>), do: nil

  def next_grapheme(string) when is_binary(string) do
    case String.graphemes(string) do
      [grapheme | _] ->
        size = byte_size(grapheme)
        <<_::binary-size(size), rest::binary>> = string
        {grapheme, rest}
    end
  end

  def next_grapheme_size(string) when is_binary(string) do
    case next_grapheme(string) do
      nil -> nil
      {grapheme, rest} -> {byte_size(grapheme), rest}
    end
  end

  def to_float(string) when is_binary(string), do: :erlang.binary_to_float(string)

  def bag_distance(string1, string2) when is_binary(string1) and is_binary(string2) do
    graphemes1 = String.graphemes(string1)
    graphemes2 = String.graphemes(string2)
    longest = max(length(graphemes1), length(graphemes2))

    if longest == 0 do
      0.0
    else
      bag1 = Enum.frequencies(graphemes1)
      bag2 = Enum.frequencies(graphemes2)
      1 - max(bag_excess(bag1, bag2), bag_excess(bag2, bag1)) / longest
    end
  end

  defp bag_excess(bag1, bag2) do
    Enum.reduce(bag1, 0, fn {g, n}, acc -> acc + max(n - Map.get(bag2, g, 0), 0) end)
  end

  def jaro_distance(string, string), do: 1.0
  def jaro_distance(_string, ""), do: 0.0
  def jaro_distance("", _string), do: 0.0

  def jaro_distance(string1, string2) when is_binary(string1) and is_binary(string2) do
    chars1 = :erlang.list_to_tuple(String.graphemes(string1))
    chars2 = :erlang.list_to_tuple(String.graphemes(string2))
    len1 = tuple_size(chars1)
    len2 = tuple_size(chars2)
    window = max(div(max(len1, len2), 2) - 1, 0)

    {matched1, matched2} =
      Enum.reduce(0..(len1 - 1), {[], %{}}, fn i, {matched1, taken} ->
        low = max(0, i - window)
        high = min(len2 - 1, i + window)

        found =
          if low > high,
            do: nil,
            else: Enum.find(low..high, fn j -> not Map.has_key?(taken, j) and elem(chars2, j) == elem(chars1, i) end)

        if found == nil, do: {matched1, taken}, else: {[elem(chars1, i) | matched1], Map.put(taken, found, true)}
      end)

    matches = length(matched1)

    if matches == 0 do
      0.0
    else
      in_order2 = for j <- Enum.sort(Map.keys(matched2)), do: elem(chars2, j)
      transpositions = Enum.count(Enum.zip(:lists.reverse(matched1), in_order2), fn {a, b} -> a != b end)
      (matches / len1 + matches / len2 + (matches - div(transpositions, 2)) / matches) / 3
    end
  end

  def myers_difference(string1, string2) when is_binary(string1) and is_binary(string2) do
    for {kind, graphemes} <- List.myers_difference(String.graphemes(string1), String.graphemes(string2)),
        do: {kind, IO.iodata_to_binary(graphemes)}
  end
end
