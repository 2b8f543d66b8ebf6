# Elixir's Float, written from its documented behaviour: rounding works on the float's exact
# binary value, as Elixir's does, so 5.5675 (5.567499...) rounds down to 5.567.
defmodule Float do
  def max_finite, do: 1.7976931348623157e308
  def min_finite, do: -1.7976931348623157e308

  def ratio(float) when is_float(float) do
    {sign, num, den} = exact(float)
    gcd = Integer.gcd(num, den)
    {sign * div(num, gcd), div(den, gcd)}
  end

  # A float as sign, and numerator and denominator of its absolute value.
  defp exact(float) do
    <<sign::1, exponent::11, mantissa::52>> = <<float::float>>
    s = if sign == 1, do: -1, else: 1

    {num, exp} =
      if exponent == 0, do: {mantissa, -1074}, else: {mantissa + 4_503_599_627_370_496, exponent - 1075}

    if exp >= 0, do: {s, num * pow2(exp), 1}, else: {s, num, pow2(-exp)}
  end

  defp pow2(n), do: :erlang.bsl(1, n)

  def round(float, precision \\ 0) when is_float(float) and is_integer(precision) do
    rounding(float, precision, :round)
  end

  def floor(float, precision \\ 0) when is_float(float) and is_integer(precision) do
    rounding(float, precision, :floor)
  end

  def ceil(float, precision \\ 0) when is_float(float) and is_integer(precision) do
    rounding(float, precision, :ceil)
  end

  defp kind_range(_kind), do: "0..15"

  defp rounding(_float, precision, kind) when precision < 0 or precision > 15 do
    raise ArgumentError, "precision #{precision} is out of valid range of #{kind_range(kind)}"
  end

  # Zeros keep their sign, but round/1 answers 0.0 (it rounds through an integer).
  defp rounding(float, 0, :round) when float == 0, do: 0.0
  defp rounding(float, _precision, _kind) when float == 0, do: float

  defp rounding(float, precision, kind) do
    {sign, num, den} = exact(float)
    scale = Integer.pow(10, precision)
    scaled = num * scale
    q = div(scaled, den)
    r = rem(scaled, den)

    q =
      case kind do
        :round -> if r * 2 >= den, do: q + 1, else: q
        :floor -> if sign < 0 and r != 0, do: q + 1, else: q
        :ceil -> if sign > 0 and r != 0, do: q + 1, else: q
      end

    value = :erlang.binary_to_float("#{q}.0e-#{precision}")

    cond do
      q == 0 and precision == 0 and kind != :round and sign < 0 -> -value
      q == 0 -> 0.0
      sign < 0 -> -value
      true -> value
    end
  end

  def parse("-" <> binary) do
    case parse_unsigned(binary) do
      :error -> :error
      {float, rest} -> {-float, rest}
    end
  end

  def parse("+" <> binary), do: parse_unsigned(binary)
  def parse(binary) when is_binary(binary), do: parse_unsigned(binary)

  defp parse_unsigned(binary) do
    case digits(binary, "") do
      {"", _} ->
        :error

      {int, rest} ->
        {frac, rest} = fraction(rest)
        {exp, rest} = exponent(rest)
        {:erlang.binary_to_float(int <> "." <> frac <> "e" <> exp), rest}
    end
  end

  defp digits(<<c, rest::binary>>, acc) when c >= ?0 and c <= ?9, do: digits(rest, <<acc::binary, c>>)
  defp digits(<<?_, c, rest::binary>>, acc) when c >= ?0 and c <= ?9 and acc != "", do: digits(rest, <<acc::binary, c>>)
  defp digits(rest, acc), do: {acc, rest}

  defp fraction("." <> rest = all) do
    case digits(rest, "") do
      {"", _} -> {"0", all}
      {frac, rest} -> {frac, rest}
    end
  end

  defp fraction(rest), do: {"0", rest}

  defp exponent(<<e, rest::binary>> = all) when e in [?e, ?E] do
    {sign, unsigned} =
      case rest do
        "-" <> r -> {"-", r}
        "+" <> r -> {"", r}
        r -> {"", r}
      end

    case digits(unsigned, "") do
      {"", _} -> {"0", all}
      {exp, rest} -> {sign <> exp, rest}
    end
  end

  defp exponent(rest), do: {"0", rest}

  def to_string(float) when is_float(float), do: Kernel.to_string(float)
  def to_charlist(float) when is_float(float), do: String.to_charlist(Kernel.to_string(float))

  def pow(base, exponent) when is_float(base) and is_number(exponent), do: :math.pow(base, exponent)
end
