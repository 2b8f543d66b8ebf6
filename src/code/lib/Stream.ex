# Elixir's Stream, written from its documented behaviour: lazy enumerables that do their work
# only when an Enum function (or Stream.run/1, or `for`) reduces them, element by element, so
# side effects happen in Elixir's order. Element-wise stages (map, filter, take, ...) make a
# %Stream{enum: e, funs: [...]} as Elixir's do, each fun turning the next stage's reducer into
# its own; a reduction carries {acc, states}, states holding each stage's accumulator by index.
# Sources and stages that expand or combine enumerables (unfold, resource, transform, flat_map,
# concat, zip) are two-argument funs driving their inputs through Enumerable's suspension.
defmodule Stream do
  def __struct__, do: %{__struct__: Stream, enum: nil, funs: [], accs: [], done: nil}
  def __struct__(fields), do: Enum.reduce(fields, __struct__(), fn {key, value}, acc -> Map.replace!(acc, key, value) end)

  # ---- element-wise stages ---------------------------------------------------------------------

  def map(enum, fun) when is_function(fun, 1) do
    stage(enum, nil, fn _index -> fn next -> fn x, acc -> next.(fun.(x), acc) end end end)
  end

  def filter(enum, fun) when is_function(fun, 1) do
    stage(enum, nil, fn _index ->
      fn next -> fn x, acc -> if fun.(x), do: next.(x, acc), else: {:cont, acc} end end
    end)
  end

  def reject(enum, fun) when is_function(fun, 1) do
    stage(enum, nil, fn _index ->
      fn next -> fn x, acc -> if fun.(x), do: {:cont, acc}, else: next.(x, acc) end end
    end)
  end

  def each(enum, fun) when is_function(fun, 1) do
    stage(enum, nil, fn _index ->
      fn next ->
        fn x, acc ->
          fun.(x)
          next.(x, acc)
        end
      end
    end)
  end

  def map_every(enum, 0, fun) when is_function(fun, 1), do: stage(enum, nil, fn _ -> fn next -> next end end)
  def map_every(enum, 1, fun) when is_function(fun, 1), do: map(enum, fun)

  def map_every(enum, nth, fun) when is_integer(nth) and nth > 1 and is_function(fun, 1) do
    stateful(enum, 0, fn x, i, next, acc ->
      value = if i == 0, do: fun.(x), else: x
      next.(value, rem(i + 1, nth), acc)
    end)
  end

  def take(enum, 0), do: empty(enum)

  def take(enum, count) when is_integer(count) and count > 0 do
    stateful(enum, count, fn x, left, next, acc ->
      if left == 0 do
        {:halt, acc}
      else
        case next.(x, left - 1, acc) do
          {:cont, acc} when left == 1 -> {:halt, acc}
          other -> other
        end
      end
    end)
  end

  def take(enum, count) when is_integer(count) and count < 0 do
    fn command, fun -> Enumerable.reduce(Enum.take(enum, count), command, fun) end
  end

  def take_while(enum, fun) when is_function(fun, 1) do
    stage(enum, nil, fn _index ->
      fn next -> fn x, acc -> if fun.(x), do: next.(x, acc), else: {:halt, acc} end end
    end)
  end

  def drop(enum, count) when is_integer(count) and count >= 0 do
    stateful(enum, count, fn x, left, next, acc ->
      if left > 0, do: keep(left - 1, acc), else: next.(x, 0, acc)
    end)
  end

  def drop(enum, count) when is_integer(count) and count < 0 do
    fn command, fun -> Enumerable.reduce(Enum.drop(enum, count), command, fun) end
  end

  def drop_while(enum, fun) when is_function(fun, 1) do
    stateful(enum, true, fn x, dropping, next, acc ->
      if dropping and fun.(x), do: keep(true, acc), else: next.(x, false, acc)
    end)
  end

  def with_index(enum, offset \\ 0) when is_integer(offset) do
    stateful(enum, offset, fn x, i, next, acc -> next.({x, i}, i + 1, acc) end)
  end

  def uniq(enum), do: uniq_by(enum, fn x -> x end)

  def uniq_by(enum, fun) when is_function(fun, 1) do
    stateful(enum, %{}, fn x, seen, next, acc ->
      key = fun.(x)
      if :erlang.is_map_key(key, seen), do: keep(seen, acc), else: next.(x, Map.put(seen, key, true), acc)
    end)
  end

  def dedup(enum), do: dedup_by(enum, fn x -> x end)

  def dedup_by(enum, fun) when is_function(fun, 1) do
    stateful(enum, [], fn x, last, next, acc ->
      key = fun.(x)

      case last do
        [^key] -> keep(last, acc)
        _ -> next.(x, [key], acc)
      end
    end)
  end

  def scan(enum, fun) when is_function(fun, 2) do
    stateful(enum, [], fn
      x, [], next, acc -> next.(x, [x], acc)
      x, [prev], next, acc ->
        value = fun.(x, prev)
        next.(value, [value], acc)
    end)
  end

  def scan(enum, initial, fun) when is_function(fun, 2) do
    stateful(enum, initial, fn x, prev, next, acc ->
      value = fun.(x, prev)
      next.(value, value, acc)
    end)
  end

  def intersperse(enum, separator) do
    stateful(enum, false, fn
      x, false, next, acc -> next.(x, true, acc)
      x, true, next, acc ->
        case next.(separator, true, acc) do
          {:cont, acc} -> next.(x, true, acc)
          other -> other
        end
    end)
  end

  def chunk_every(enum, count), do: chunk_every(enum, count, count, [])

  def chunk_every(enum, count, step, leftover \\ [])
      when is_integer(count) and count > 0 and is_integer(step) and step > 0 do
    chunk_while(enum, {[], 0, 0}, fn x, {buffer, size, skip} ->
      cond do
        skip > 0 -> {:cont, {buffer, size, skip - 1}}
        size + 1 == count -> emit_chunk(:lists.reverse([x | buffer]), count, step)
        true -> {:cont, {[x | buffer], size + 1, 0}}
      end
    end, fn
      {[], _size, _skip} -> {:cont, []}
      {_buffer, _size, _skip} when leftover == :discard -> {:cont, []}
      {buffer, size, _skip} -> {:cont, :lists.reverse(buffer) ++ Enum.take(leftover, count - size), []}
    end)
  end

  # A full chunk: emitted, and its last count - step elements start the next (step < count).
  defp emit_chunk(chunk, count, step) when step < count do
    kept = :lists.nthtail(step, chunk)
    {:cont, chunk, {:lists.reverse(kept), count - step, 0}}
  end

  defp emit_chunk(chunk, count, step), do: {:cont, chunk, {[], 0, step - count}}

  def chunk_by(enum, fun) when is_function(fun, 1) do
    chunk_while(enum, nil, fn
      x, nil -> {:cont, {fun.(x), [x]}}
      x, {key, chunk} ->
        case fun.(x) do
          ^key -> {:cont, {key, [x | chunk]}}
          other -> {:cont, :lists.reverse(chunk), {other, [x]}}
        end
    end, fn
      nil -> {:cont, nil}
      {_key, chunk} -> {:cont, :lists.reverse(chunk), nil}
    end)
  end

  def chunk_while(enum, acc, chunk_fun, after_fun) when is_function(chunk_fun, 2) and is_function(after_fun, 1) do
    finishing(enum, acc, fn index ->
      fn next ->
        fn x, {user_acc, states} ->
          case chunk_fun.(x, :erlang.element(index + 1, states)) do
            {:cont, chunk, own} -> next.(chunk, {user_acc, :erlang.setelement(index + 1, states, own)})
            {:cont, own} -> {:cont, {user_acc, :erlang.setelement(index + 1, states, own)}}
            {:halt, own} -> {:halt, {user_acc, :erlang.setelement(index + 1, states, own)}}
          end
        end
      end
    end, fn index ->
      fn next, {user_acc, states} = acc ->
        case after_fun.(:erlang.element(index + 1, states)) do
          {:cont, chunk, _own} -> next.(chunk, acc)
          {:cont, _own} -> {:cont, {user_acc, states}}
        end
      end
    end)
  end

  # ---- sources -----------------------------------------------------------------------------------

  def unfold(acc, fun) when is_function(fun, 1), do: fn command, reducer -> unfolding(acc, fun, command, reducer) end

  defp unfolding(_state, _fun, {:halt, acc}, _reducer), do: {:halted, acc}

  defp unfolding(state, fun, {:suspend, acc}, reducer) do
    {:suspended, acc, fn command -> unfolding(state, fun, command, reducer) end}
  end

  defp unfolding(state, fun, {:cont, acc}, reducer) do
    case fun.(state) do
      nil -> {:done, acc}
      {x, state} -> unfolding(state, fun, reducer.(x, acc), reducer)
    end
  end

  def iterate(start, fun) when is_function(fun, 1) do
    unfold({:start, start}, fn
      {:start, x} -> {x, {:next, x}}
      {:next, previous} ->
        x = fun.(previous)
        {x, {:next, x}}
    end)
  end

  def repeatedly(fun) when is_function(fun, 0), do: unfold(nil, fn nil -> {fun.(), nil} end)

  def cycle(enum) do
    if enum == [] or (not is_list(enum) and Enum.empty?(enum)) do
      raise ArgumentError, "cannot cycle over an empty enumerable"
    end

    flat_map(repeatedly(fn -> enum end), fn e -> e end)
  end

  def interval(period) when is_integer(period) and period >= 0 do
    unfold(0, fn i ->
      :timer.sleep(period)
      {i, i + 1}
    end)
  end

  def timer(delay) when is_integer(delay) and delay >= 0 do
    unfold(true, fn
      true ->
        :timer.sleep(delay)
        {0, false}

      false ->
        nil
    end)
  end

  def resource(start_fun, next_fun, after_fun)
      when is_function(start_fun, 0) and is_function(next_fun, 1) and is_function(after_fun, 1) do
    fn {:cont, acc}, reducer -> resource_loop(start_fun.(), next_fun, after_fun, acc, reducer) end
  end

  defp resource_loop(state, next_fun, after_fun, acc, reducer) do
    case next_fun.(state) do
      {:halt, state} ->
        after_fun.(state)
        {:done, acc}

      {elements, state} ->
        emit(elements, {:cont, acc}, reducer,
          fn acc -> resource_loop(state, next_fun, after_fun, acc, reducer) end,
          fn -> after_fun.(state) end)
    end
  end

  def transform(enum, acc, fun) when is_function(fun, 2) do
    transform(enum, fn -> acc end, fun, fn _ -> :ok end)
  end

  def transform(enum, start_fun, fun, after_fun)
      when is_function(start_fun, 0) and is_function(fun, 2) and is_function(after_fun, 1) do
    fn {:cont, acc}, reducer -> transform_loop(puller(enum), start_fun.(), fun, after_fun, acc, reducer) end
  end

  defp transform_loop(pull, state, fun, after_fun, acc, reducer) do
    case pull.({:cont, nil}) do
      {:suspended, x, pull} ->
        case fun.(x, state) do
          {:halt, state} ->
            pull.({:halt, nil})
            after_fun.(state)
            {:done, acc}

          {elements, state} ->
            emit(elements, {:cont, acc}, reducer,
              fn acc -> transform_loop(pull, state, fun, after_fun, acc, reducer) end,
              fn ->
                pull.({:halt, nil})
                after_fun.(state)
              end)
        end

      _done_or_halted ->
        after_fun.(state)
        {:done, acc}
    end
  end

  def flat_map(enum, fun) when is_function(fun, 1), do: transform(enum, nil, fn x, nil -> {fun.(x), nil} end)

  def concat(enumerables), do: flat_map(enumerables, fn e -> e end)
  def concat(first, second), do: flat_map([first, second], fn e -> e end)

  def zip(left, right), do: zip_with([left, right], fn [x, y] -> {x, y} end)
  def zip(enumerables), do: zip_with(enumerables, &:erlang.list_to_tuple/1)

  def zip_with(left, right, fun) when is_function(fun, 2), do: zip_with([left, right], fn [x, y] -> fun.(x, y) end)

  def zip_with(enumerables, fun) when is_function(fun, 1) do
    fn {:cont, acc}, reducer -> zip_loop(Enum.map(Enum.to_list(enumerables), fn e -> puller(e) end), fun, acc, reducer) end
  end

  defp zip_loop(pulls, fun, acc, reducer) do
    case pull_each(pulls, [], []) do
      {:ok, xs, pulls} -> zip_step(reducer.(fun.(xs), acc), pulls, fun, reducer)
      :done -> {:done, acc}
    end
  end

  defp zip_step({:cont, acc}, pulls, fun, reducer), do: zip_loop(pulls, fun, acc, reducer)

  defp zip_step({:halt, acc}, pulls, _fun, _reducer) do
    Enum.each(pulls, fn pull -> pull.({:halt, nil}) end)
    {:halted, acc}
  end

  defp zip_step({:suspend, acc}, pulls, fun, reducer) do
    {:suspended, acc, fn command -> zip_step(command, pulls, fun, reducer) end}
  end

  # The next element of each input, or :done (the others stopped) when one has no more.
  defp pull_each([], xs, pulls), do: {:ok, :lists.reverse(xs), :lists.reverse(pulls)}

  defp pull_each([pull | rest], xs, pulls) do
    case pull.({:cont, nil}) do
      {:suspended, x, pull} ->
        pull_each(rest, [x | xs], [pull | pulls])

      _done_or_halted ->
        Enum.each(pulls ++ rest, fn pull -> pull.({:halt, nil}) end)
        :done
    end
  end

  # ---- running -----------------------------------------------------------------------------------

  def run(enum) do
    Enumerable.reduce(enum, {:cont, nil}, fn _, nil -> {:cont, nil} end)
    :ok
  end

  # Enumerable.reduce/3 of a %Stream{}.
  def __reduce__(%{enum: enum, funs: funs, accs: accs, done: done}, {:cont, acc}, reducer) do
    last = fn x, {user_acc, states} -> tagged(reducer.(x, user_acc), states) end
    {first, nexts} = :lists.foldr(fn fun, {next, nexts} -> {fun.(next), [next | nexts]} end, {last, []}, funs)
    finish(Enumerable.reduce(enum, {:cont, {acc, :erlang.list_to_tuple(accs)}}, first), done, :erlang.list_to_tuple(nexts))
  end

  defp tagged({tag, acc}, states), do: {tag, {acc, states}}

  defp finish({:done, {acc, _states}}, nil, _nexts), do: {:done, acc}
  defp finish({:done, full}, {index, done}, nexts), do: flushed(done.(:erlang.element(index + 1, nexts), full))
  defp finish({:halted, {acc, _states}}, _done, _nexts), do: {:halted, acc}

  defp finish({:suspended, {acc, states}, cont}, done, nexts) do
    {:suspended, acc, fn {tag, acc} -> finish(cont.({tag, {acc, states}}), done, nexts) end}
  end

  defp flushed({:cont, {acc, _states}}), do: {:done, acc}
  defp flushed({:halt, {acc, _states}}), do: {:halted, acc}

  defp flushed({:suspend, {acc, _states}}) do
    {:suspended, acc, fn
      {:halt, acc} -> {:halted, acc}
      {_cont_or_suspend, acc} -> {:done, acc}
    end}
  end

  # ---- building ----------------------------------------------------------------------------------

  # A stream of `enum` with one more stage: make.(index) gives the stage's fun, `own` is its
  # initial accumulator. A stream that flushes at its end (done) is wrapped, not extended, so
  # its flush comes before the new stage's work.
  defp stage(%{__struct__: Stream, funs: funs, accs: accs, done: nil} = stream, own, make) do
    %{stream | funs: funs ++ [make.(length(funs))], accs: accs ++ [own]}
  end

  defp stage(enum, own, make) do
    check_enumerable(enum)
    %{__struct__: Stream, enum: enum, funs: [make.(0)], accs: [own], done: nil}
  end

  defp finishing(enum, own, make, make_done) do
    %{funs: funs} = stream = stage(enum, own, make)
    index = length(funs) - 1
    %{stream | done: {index, make_done.(index)}}
  end

  # A stage whose step is step.(x, own, pass, acc): pass.(y, own, acc) hands y on with the
  # stage's new accumulator, keep(own, acc) hands nothing on, {:halt, acc} stops the stream.
  defp stateful(enum, own, step) do
    stage(enum, own, fn index ->
      fn next ->
        pass = fn y, own, {user_acc, states} -> next.(y, {user_acc, :erlang.setelement(index + 1, states, own)}) end

        fn x, {_user_acc, states} = acc ->
          case step.(x, :erlang.element(index + 1, states), pass, acc) do
            {:keep, own, {user_acc, states}} -> {:cont, {user_acc, :erlang.setelement(index + 1, states, own)}}
            answer -> answer
          end
        end
      end
    end)
  end

  defp keep(own, acc), do: {:keep, own, acc}

  defp empty(%{__struct__: Stream} = _stream), do: %{__struct__: Stream, enum: [], funs: [], accs: [], done: nil}
  defp empty(_enum), do: %{__struct__: Stream, enum: [], funs: [], accs: [], done: nil}

  # What Elixir checks when it builds a stream: only lists, maps, structs and 2-argument funs
  # can be enumerables; the rest is caught when the stream runs (Protocol.UndefinedError).
  defp check_enumerable(_enum), do: :ok

  # A continuation giving the elements of `enum` one by one: pull.({:cont, nil}) answers
  # {:suspended, x, next_pull}, or {:done, nil} at the end; pull.({:halt, nil}) stops it.
  defp puller(enum), do: fn command -> Enumerable.reduce(enum, command, fn x, _ -> {:suspend, x} end) end

  # Passes `elements` to `reducer`, then goes on with more.(acc); when the reducer halts, stop.()
  # cleans up; a suspension is handed to the caller with a continuation doing the same. Halts of
  # the reducer are marked, so `elements` stopping by itself (a Stream.take) is not taken for one.
  defp emit(elements, command, reducer, more, stop) do
    mark = make_ref()

    marked = fn x, acc ->
      case reducer.(x, acc) do
        {:halt, acc} -> {:halt, {mark, acc}}
        other -> other
      end
    end

    emitted(Enumerable.reduce(elements, command, marked), mark, more, stop)
  end

  defp emitted({:done, acc}, _mark, more, _stop), do: more.(acc)

  defp emitted({:halted, {mark, acc}}, mark, _more, stop) do
    stop.()
    {:halted, acc}
  end

  defp emitted({:halted, acc}, _mark, more, _stop), do: more.(acc)

  defp emitted({:suspended, acc, cont}, mark, more, stop) do
    {:suspended, acc, fn
      {:halt, _acc} = command ->
        acc = :erlang.element(2, cont.(command))
        stop.()
        {:halted, acc}

      command ->
        emitted(cont.(command), mark, more, stop)
    end}
  end
end
