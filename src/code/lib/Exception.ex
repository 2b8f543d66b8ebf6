# Exception.message/1 of Elixir: an exception struct's message, as each exception module's
# message/1 callback makes it from the struct's fields.
defmodule Exception do
  def message(%{__exception__: true, message: message}) when is_binary(message), do: message

  def message(%{__struct__: KeyError, key: key, term: nil}), do: "key #{inspect(key)} not found"
  def message(%{__struct__: KeyError, key: key, term: term}), do: "key #{inspect(key)} not found in: #{inspect(term)}"
  def message(%{__struct__: BadMapError, term: term}), do: "expected a map, got: #{inspect(term)}"
  def message(%{__struct__: BadBooleanError, term: term, operator: op}),
    do: "expected a boolean on left-side of \"#{op}\", got: #{inspect(term)}"
  def message(%{__struct__: BadFunctionError, term: term}), do: "expected a function, got: #{inspect(term)}"
  def message(%{__struct__: BadStructError, struct: struct, term: term}),
    do: "expected a struct named #{inspect(struct)}, got: #{inspect(term)}"
  def message(%{__struct__: MatchError, term: term}), do: "no match of right hand side value: #{inspect(term)}"
  def message(%{__struct__: CaseClauseError, term: term}), do: "no case clause matching: #{inspect(term)}"
  def message(%{__struct__: WithClauseError, term: term}), do: "no with clause matching: #{inspect(term)}"
  def message(%{__struct__: TryClauseError, term: term}), do: "no try clause matching: #{inspect(term)}"
  def message(%{__struct__: CondClauseError}), do: "no cond clause evaluated to a truthy value"

  def message(%{__struct__: FunctionClauseError, module: module, function: function, arity: arity})
      when is_atom(module) and is_atom(function) and is_integer(arity) do
    "no function clause matching in #{inspect(module)}.#{function}/#{arity}"
  end

  def message(%{__struct__: FunctionClauseError}), do: "no function clause matches"

  def message(%{__struct__: UndefinedFunctionError, module: module, function: function, arity: arity})
      when is_atom(module) and is_atom(function) and is_integer(arity) do
    if Code.ensure_loaded?(module) do
      "function #{inspect(module)}.#{function}/#{arity} is undefined or private"
    else
      "function #{inspect(module)}.#{function}/#{arity} is undefined (module #{inspect(module)} is not available)"
    end
  end

  def message(%{__struct__: UndefinedFunctionError}), do: "undefined function"

  def message(%{__struct__: BadArityError, function: function, args: args}) do
    {:arity, arity} = :erlang.fun_info(function, :arity)
    count = length(args)
    noun = if count == 1, do: "argument", else: "arguments"
    "#{inspect(function)} with arity #{arity} called with #{count} #{noun} (#{Enum.map_join(args, ", ", &inspect/1)})"
  end

  def message(%{__struct__: Protocol.UndefinedError, protocol: protocol, value: value, description: description}) do
    base = "protocol #{inspect(protocol)} not implemented for #{inspect(value)} of type #{type_name(value)}"
    if description in [nil, ""], do: base, else: base <> ", " <> description
  end

  def message(%{__struct__: ErlangError, original: original}), do: "Erlang error: #{inspect(original)}"
  def message(%{__exception__: true} = exception), do: inspect(exception)

  defp type_name(value) when is_atom(value), do: "Atom"
  defp type_name(value) when is_integer(value), do: "Integer"
  defp type_name(value) when is_float(value), do: "Float"
  defp type_name(value) when is_binary(value), do: "BitString"
  defp type_name(value) when is_bitstring(value), do: "BitString"
  defp type_name(value) when is_list(value), do: "List"
  defp type_name(value) when is_tuple(value), do: "Tuple"
  defp type_name(value) when is_function(value), do: "Function"
  defp type_name(value) when is_pid(value), do: "PID"
  defp type_name(value) when is_port(value), do: "Port"
  defp type_name(value) when is_reference(value), do: "Reference"
  defp type_name(%{__struct__: struct}) when is_atom(struct), do: inspect(struct) <> " (a struct)"
  defp type_name(value) when is_map(value), do: "Map"
end
