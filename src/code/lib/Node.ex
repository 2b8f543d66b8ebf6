# The functions of Elixir's Node beyond those written in C++ (src/code/modules/elixir.cpp and
# distribution.cpp): spawning with options, spawn_monitor and monitor/3, over erlang's.
defmodule Node do
  def spawn(node, fun, opts) when is_atom(node) and is_function(fun, 0) and is_list(opts) do
    spawn_with(opts, fn -> :erlang.spawn(node, fun) end, fn -> :erlang.spawn_link(node, fun) end,
      fn -> :erlang.spawn_monitor(node, fun) end)
  end

  def spawn(node, module, fun, args, opts) when is_atom(node) and is_atom(module) and is_atom(fun) and is_list(opts) do
    spawn_with(opts, fn -> :erlang.spawn(node, module, fun, args) end, fn -> :erlang.spawn_link(node, module, fun, args) end,
      fn -> :erlang.spawn_monitor(node, module, fun, args) end)
  end

  # :link and :monitor are the options a spawn on another node takes here.
  defp spawn_with(opts, plain, link, monitor) do
    cond do
      :lists.member(:monitor, opts) -> monitor.()
      :lists.member(:link, opts) -> link.()
      true -> plain.()
    end
  end

  def spawn_monitor(node, fun) when is_atom(node) and is_function(fun, 0), do: :erlang.spawn_monitor(node, fun)

  def spawn_monitor(node, module, fun, args) when is_atom(node) and is_atom(module) and is_atom(fun) do
    :erlang.spawn_monitor(node, module, fun, args)
  end

  def monitor(node, flag, options) when is_atom(node) and is_boolean(flag) and is_list(options) do
    :erlang.monitor_node(node, flag, options)
  end
end
