#!/usr/bin/env bash
# Builds otpp's benchmarks (Release, in build-bench/) and prints their figures as key=value
# lines, beside Erlang/OTP's, CAF's and the loopback TCP limit in the same run where a reference
# exists, with ratio lines (ratio.<area>.<metric> = otpp / beam, caf_ratio.* = otpp / caf,
# limit_ratio.* = otpp / loopback TCP).
# Usage: bench/run.sh [term|local|remote|rpc|cluster|all]
#   term: otpp_term_bench, and the same term mix through term_to_binary/binary_to_term in erl;
#         both count rates per CPU-second, so a shared machine's load does not skew the ratio.
#   other areas: build-bench/bin/otpp_<area>_bench when bench/<area>_bench.cpp exists, and
#   bench/reference/beam/run.sh <area> when it knows the area (local, remote).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
what=${1:-all}
build=$root/build-bench
# The reference programs (Erlang/OTP, CAF, the loopback TCP limit) live in bench/reference/.
beam_ref=$root/bench/reference/beam/run.sh
caf_ref=$root/bench/reference/caf/run.sh
limit_ref=$root/bench/reference/limit/run.sh

case $what in
  term|local|remote|rpc|cluster|all) ;;
  *) echo "usage: bench/run.sh [term|local|remote|rpc|cluster|all]" >&2; exit 2 ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

configured=0
configure() {
  if [[ $configured == 0 ]]; then
    # Warnings are the test build's business; -O3 adds false positives that must not stop a benchmark.
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DOTPP_WERROR=OFF >/dev/null
    configured=1
  fi
}

# Builds a target quietly; on failure shows the end of the build log and stops.
build_target() {
  if ! cmake --build "$build" -j2 --target "$1" >"$work/build.log" 2>&1; then
    tail -30 "$work/build.log" >&2
    echo "bench/run.sh: building $1 failed" >&2
    exit 1
  fi
}

# Prints <peer>_ratio.<area>.<metric>=otpp/<peer> (peer: beam or caf; "ratio." alone for beam)
# for every metric both outputs have.
ratios() {
  awk -F= '
    /^otpp\./ { k = substr($1, 6); o[k] = $2 }
    /^beam\./ { k = substr($1, 6); b[k] = $2 }
    /^caf\./  { k = substr($1, 5); c[k] = $2 }
    END {
      n = 0
      for (k in o) keys[++n] = k
      # stable output order
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (keys[j] < keys[i]) { t = keys[i]; keys[i] = keys[j]; keys[j] = t }
      for (i = 1; i <= n; i++) {
        k = keys[i]
        if (k in b && b[k] + 0 > 0) printf "ratio.%s=%.2f\n", k, o[k] / b[k]
        if (k in c && c[k] + 0 > 0) printf "caf_ratio.%s=%.2f\n", k, o[k] / c[k]
      }
    }' "$@"
}

# The term mix of bench/term_bench.cpp, through erl's own codec.
beam_term() {
  cat > "$work/tbench.erl" <<'ERL'
-module(tbench).
-export([main/0]).

mix() ->
    [{small_tuple, {seq, 12345, <<0:128>>}},
     {bin1k, binary:copy(<<1>>, 1024)},
     {list1000, lists:seq(1, 1000)},
     {map, #{name => <<"kate">>, id => 42, tags => [a, b, c], score => 1.5, pos => #{x => 1, y => 2}}}].

%% Runs Round until Seconds of CPU time passed (the emulator's, one scheduler, no busy
%% waiting: see the erl flags below); prints terms/s and MB/s under Prefix.
measure(Prefix, Terms, Bytes, Round, Seconds) ->
    [Round() || _ <- lists:seq(1, 3)],
    {T0, _} = statistics(runtime),
    Rounds = loop(Round, T0, Seconds * 1000, 1, 0),
    {T1, _} = statistics(runtime),
    Elapsed = (T1 - T0) / 1000,
    io:format("~s_terms_per_s=~.3f~n", [Prefix, Rounds * Terms / Elapsed]),
    io:format("~s_mb_per_s=~.3f~n", [Prefix, Rounds * Bytes / Elapsed / 1.0e6]).

loop(Round, T0, Limit, Batch, Done) ->
    repeat(Round, Batch),
    {T, _} = statistics(runtime),
    case T - T0 >= Limit of
        true -> Done + Batch;
        false -> loop(Round, T0, Limit, min(Batch * 2, 1024), Done + Batch)
    end.

repeat(_, 0) -> ok;
repeat(Round, N) -> Round(), repeat(Round, N - 1).

main() ->
    Mix = mix(),
    Terms = [T || {_, T} <- Mix],
    Encoded = [term_to_binary(T) || T <- Terms],
    MixBytes = lists:sum([byte_size(B) || B <- Encoded]),
    N = length(Mix),
    measure("beam.term.encode", N, MixBytes, fun() -> [term_to_binary(T) || T <- Terms] end, 0.4),
    measure("beam.term.decode", N, MixBytes, fun() -> [binary_to_term(B) || B <- Encoded] end, 0.4),
    lists:foreach(
      fun({{Name, T}, B}) ->
              P = "beam.term." ++ atom_to_list(Name),
              measure(P ++ ".encode", 1, byte_size(B), fun() -> term_to_binary(T) end, 0.25),
              measure(P ++ ".decode", 1, byte_size(B), fun() -> binary_to_term(B) end, 0.25)
      end, lists:zip(Mix, Encoded)),
    halt().
ERL
  erlc -o "$work" "$work/tbench.erl"
  # One scheduler and no busy waiting, so the emulator's CPU time is the benchmark's.
  erl -noshell +S 1:1 +SDcpu 1:1 +SDio 1 +sbwt none +sbwtdcpu none +sbwtdio none -pa "$work" -run tbench main
}

run_term() {
  configure
  build_target otpp_term_bench
  "$build/bin/otpp_term_bench" | tee "$work/otpp_term.txt"
  beam_term | tee "$work/beam_term.txt"
  ratios "$work/otpp_term.txt" "$work/beam_term.txt"
}

# bench/reference/beam/run.sh, printing its figures. Its remote part starts a detached sink node
# named after the script's pid and halts it with a cast that sometimes does not leave before the
# source node halts (2 runs in 7 here); a leftover idle BEAM node costs later figures up to a
# fifth on two cores. So the sink of the reference run started here is stopped by its pid.
run_beam_ref() {
  local area=$1 out=$2
  "$beam_ref" "$area" >"$out" &
  local ref_pid=$!
  wait "$ref_pid" || true
  cat "$out"
  local left
  for left in $(pgrep -f -- "-sname bsink${ref_pid}@localhost" || true); do
    kill "$left" 2>/dev/null || true
  done
}

run_area() {
  local area=$1
  if [[ ! -f $root/bench/${area}_bench.cpp ]]; then
    echo "# bench/${area}_bench.cpp does not exist yet: no otpp.${area}.* figures" >&2
    return 0
  fi
  configure
  build_target "otpp_${area}_bench"
  "$build/bin/otpp_${area}_bench" | tee "$work/otpp_$area.txt"
  local refs=("$work/otpp_$area.txt")
  if [[ ( $area == local || $area == remote ) && -x $beam_ref ]]; then
    run_beam_ref "$area" "$work/beam_$area.txt"
    refs+=("$work/beam_$area.txt")
  fi
  # CAF, the C++ actor peer, and (for remote) the loopback TCP limit, in the same run.
  if [[ ( $area == local || $area == remote ) && -x $caf_ref && -f /usr/include/caf/all.hpp ]]; then
    "$caf_ref" --only "$area" | tee "$work/caf_$area.txt" || true
    refs+=("$work/caf_$area.txt")
  fi
  if [[ $area == remote && -x $limit_ref ]]; then
    "$limit_ref" | tee "$work/limit.txt"
    awk -F= '
      /^otpp\.remote\.round_trip_us=/ { o = $2 }
      /^limit\.tcp\.round_trip_us=/ { l = $2 }
      /^otpp\.remote\.bin64k_mb_per_s=/ { ob = $2 }
      /^limit\.tcp\.bulk_mb_per_s=/ { lb = $2 }
      END {
        if (l > 0 && o > 0) printf "limit_ratio.remote.round_trip_us=%.2f\n", o / l
        if (lb > 0 && ob > 0) printf "limit_ratio.remote.bin64k_mb_per_s=%.2f\n", ob / lb
      }' "$work/otpp_$area.txt" "$work/limit.txt"
  fi
  # otpp -> erl over the same messages: otpp is never the slower side of a mixed pair.
  if [[ $area == remote ]]; then
    "$build/bin/otpp_remote_bench" --peer erl | tee "$work/otpp_to_erl.txt" || true
  fi
  # (rpc_bench and cluster_bench run their erl pairs themselves and print their own ratio lines.)
  if ((${#refs[@]} > 1)); then ratios "${refs[@]}"; fi
}

for area in term local remote rpc cluster; do
  if [[ $what == all || $what == "$area" ]]; then
    if [[ $area == term ]]; then run_term; else run_area "$area"; fi
  fi
done
