# The functions of Elixir's IO beyond those written in C++ (src/code/modules/elixir.cpp): chardata
# and iodata into binaries, binwrite and warn, written from IO's documented behaviour.
defmodule IO do
  def chardata_to_string(string) when is_binary(string), do: string

  def chardata_to_string(list) when is_list(list) do
    :erlang.iolist_to_binary(utf8_parts(list))
  end

  def chardata_to_string(other), do: :erlang.error(:function_clause, [other])

  defp utf8_parts([]), do: []
  defp utf8_parts([char | rest]) when is_integer(char), do: [<<char::utf8>> | utf8_parts(rest)]
  defp utf8_parts([binary | rest]) when is_binary(binary), do: [binary | utf8_parts(rest)]
  defp utf8_parts([list | rest]) when is_list(list), do: [utf8_parts(list) | utf8_parts(rest)]
  defp utf8_parts(other), do: raise(ArgumentError, "cannot convert the given list to a string: #{inspect(other)}")

  def binwrite(iodata), do: binwrite(:stdio, iodata)
  def binwrite(device, iodata), do: IO.write(device, iodata)

  # A warning on standard error, as Elixir prints one (without the caller's stack entry).
  def warn(message), do: IO.puts(:stderr, ["warning: ", message])
  def warn(message, _stacktrace_or_env), do: warn(message)

  def iodata_to_binary(iodata), do: :erlang.iolist_to_binary(iodata)

  def iodata_length(iodata), do: :erlang.iolist_size(iodata)
end
