# The functions of Elixir's Integer beyond those written in C++ (src/code/modules/elixir.cpp),
# written from Integer's documented behaviour.
defmodule Integer do
  def digits(integer, base) when is_integer(integer) and is_integer(base) and base >= 2 do
    if integer < 0, do: Enum.map(digits_of(-integer, base, []), &(-&1)), else: digits_of(integer, base, [])
  end

  defp digits_of(integer, base, []) when integer < base, do: [integer]
  defp digits_of(0, _base, acc), do: acc
  defp digits_of(integer, base, acc), do: digits_of(div(integer, base), base, [rem(integer, base) | acc])

  def undigits(digits, base \\ 10) when is_list(digits) and is_integer(base) and base >= 2 do
    :lists.foldl(
      fn digit, acc ->
        if digit >= base, do: raise(ArgumentError, "invalid digit #{digit} in base #{base}")
        acc * base + digit
      end,
      0,
      digits
    )
  end

  def gcd(integer1, integer2) when is_integer(integer1) and is_integer(integer2), do: gcd_of(abs(integer1), abs(integer2))

  defp gcd_of(a, 0), do: a
  defp gcd_of(a, b), do: gcd_of(b, rem(a, b))

  def extended_gcd(0, 0), do: {0, 0, 0}
  def extended_gcd(0, b) when is_integer(b), do: {b, 0, 1}
  def extended_gcd(a, 0) when is_integer(a), do: {a, 1, 0}
  def extended_gcd(a, b) when is_integer(a) and is_integer(b), do: extended_gcd_of(a, b, 0, 1, 1, 0)

  # Returns {gcd, s, t} with a * s + b * t = gcd, gcd positive.
  defp extended_gcd_of(r1, 0, s1, _s0, t1, _t0) do
    if r1 < 0, do: {-r1, -t1, -s1}, else: {r1, t1, s1}
  end

  defp extended_gcd_of(r1, r0, s1, s0, t1, t0) do
    q = div(r1, r0)
    extended_gcd_of(r0, r1 - q * r0, s0, s1 - q * s0, t0, t1 - q * t0)
  end

  def floor_div(dividend, divisor) when is_integer(dividend) and is_integer(divisor) do
    if divisor != 0 and (dividend < 0) != (divisor < 0) and rem(dividend, divisor) != 0,
      do: div(dividend, divisor) - 1,
      else: div(dividend, divisor)
  end

  def mod(dividend, divisor) when is_integer(dividend) and is_integer(divisor) do
    remainder = rem(dividend, divisor)
    if remainder != 0 and (remainder < 0) != (divisor < 0), do: remainder + divisor, else: remainder
  end

  def to_charlist(integer, base), do: String.to_charlist(Integer.to_string(integer, base))
end
