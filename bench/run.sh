#!/usr/bin/env bash
# Builds otpp's benchmarks (Release, in build-bench/) and prints their figures as key=value
# lines, beside Erlang/OTP's, CAF's and the loopback TCP limit in the same run where a reference
# exists, with ratio lines (ratio.<area>.<metric> = otpp / beam, caf_ratio.* = otpp / caf,
# limit_ratio.* = otpp / loopback TCP).
# Usage: bench/run.sh [term|local|remote|rpc|gen|tls|eval|cluster|all]
#   gen: otpp_gen_bench (gen_server calls, local and remote), three runs, medians, beside the
#        beam.gen.* lines of the reference's local and remote runs and the floor.tcp_* round
#        trips of bench/reference/limit/tcp_ping_pong.cc (what raw loopback TCP allows).
#   term: otpp_term_bench, and the same term mix through term_to_binary/binary_to_term in erl;
#         both count rates per CPU-second, so a shared machine's load does not skew the ratio.
#   tls:  otpp_remote_bench over TLS distribution (certificates from the reference's
#         tls_certs.sh) beside bench/reference/beam/run.sh tls (inet_tls_dist) and otpp's own
#         plain TCP figures in the same run, with the goal ratios (tls_ratio.*, plain_ratio.*).
#   other areas: build-bench/bin/otpp_<area>_bench when bench/<area>_bench.cpp exists, and
#   bench/reference/beam/run.sh <area> when it knows the area (local, remote, eval).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
what=${1:-all}
build=$root/build-bench
# The reference programs (Erlang/OTP, CAF, the loopback TCP limit) live in bench/reference/.
beam_ref=$root/bench/reference/beam/run.sh
caf_ref=$root/bench/reference/caf/run.sh
limit_ref=$root/bench/reference/limit/run.sh

case $what in
  term|local|remote|rpc|gen|tls|eval|cluster|all) ;;
  *) echo "usage: bench/run.sh [term|local|remote|rpc|gen|tls|eval|cluster|all]" >&2; exit 2 ;;
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

# bench/reference/beam/run.sh, printing its figures (it stops the port mapper and sink node it
# starts by their pids, so no idle BEAM node is left to slow later figures).
run_beam_ref() {
  local area=$1 out=$2
  "$beam_ref" "$area" >"$out" || true
  cat "$out"
}

# TLS distribution: otpp's remote figures over TLS and over plain TCP in the same run, and
# BEAM's over inet_tls_dist, with the same kind of certificates (mutual verification).
run_tls() {
  configure
  build_target otpp_remote_bench
  mkdir -p "$work/certs"
  "$root/bench/reference/beam/tls_certs.sh" "$work/certs" >/dev/null 2>&1
  "$build/bin/otpp_remote_bench" --ssl-dist-optfile "$work/certs/ssl_dist.conf" | tee "$work/otpp_tls.txt"
  "$build/bin/otpp_remote_bench" | tee "$work/otpp_plain.txt"
  run_beam_ref tls "$work/beam_tls.txt"
  awk -F= '
    FILENAME ~ /otpp_tls/ { t[$1] = $2 }
    FILENAME ~ /otpp_plain/ { p[$1] = $2 }
    FILENAME ~ /beam_tls/ { b[$1] = $2 }
    END {
      if (b["beam.tls.bin64k_mb_per_s"] > 0)
        printf "tls_ratio.bin64k_mb_per_s=%.2f\n", t["otpp.tls.bin64k_mb_per_s"] / b["beam.tls.bin64k_mb_per_s"]
      if (b["beam.tls.atom_msgs_per_s"] > 0)
        printf "tls_ratio.atom_msgs_per_s=%.2f\n", t["otpp.tls.atom_msgs_per_s"] / b["beam.tls.atom_msgs_per_s"]
      if (b["beam.tls.round_trip_us"] > 0)
        printf "tls_ratio.round_trip_us=%.2f\n", t["otpp.tls.round_trip_us"] / b["beam.tls.round_trip_us"]
      if (p["otpp.remote.bin64k_mb_per_s"] > 0)
        printf "plain_ratio.bin64k_mb_per_s=%.2f\n", t["otpp.tls.bin64k_mb_per_s"] / p["otpp.remote.bin64k_mb_per_s"]
    }' "$work/otpp_tls.txt" "$work/otpp_plain.txt" "$work/beam_tls.txt"
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
  if [[ ( $area == local || $area == remote || $area == eval ) && -x $beam_ref ]]; then
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

# The median of each key over the key=value files given.
medians() {
  awk -F= '{ v[$1] = v[$1] " " $2 } END {
    for (k in v) { n = split(v[k], a, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
      printf "%s=%s\n", k, a[int((n + 1) / 2)] } }' "$@" | sort
}

# gen_server calls: otpp's and BEAM's, three runs each, medians; beside them the floor of a
# remote call on this machine (bench/reference/limit/tcp_ping_pong.cc: sequential round trips
# between two threads over loopback TCP, blocking, through epoll, and busy polling) and the
# remote rate as a share of it (floor_ratio.*).
run_gen() {
  configure
  build_target otpp_gen_bench
  g++ -O2 -pthread "$root/bench/reference/limit/tcp_ping_pong.cc" -o "$work/tcp_ping_pong"
  local i
  for i in 1 2 3; do
    "$build/bin/otpp_gen_bench" >"$work/otpp_gen$i.txt"
    "$work/tcp_ping_pong" >"$work/floor$i.txt"
    if [[ -x $beam_ref ]]; then
      run_beam_ref local "$work/beam_local$i.txt" | grep '^beam\.gen\.' >"$work/beam_gen$i.txt" || true
      run_beam_ref remote "$work/beam_remote$i.txt" | grep '^beam\.gen\.' >>"$work/beam_gen$i.txt" || true
    fi
  done
  medians "$work"/otpp_gen?.txt | tee "$work/otpp_gen.txt"
  medians "$work"/floor?.txt | tee "$work/floor.txt"
  awk -F= '
    /^otpp\.gen\.remote_calls_per_s=/ { o = $2 }
    /^floor\.tcp_round_trips_per_s=/ { b = $2 }
    /^floor\.tcp_busy_round_trips_per_s=/ { p = $2 }
    END {
      if (b > 0 && o > 0) printf "floor_ratio.gen.remote_calls_per_s=%.2f\n", o / b
      if (p > 0 && o > 0) printf "floor_ratio.gen.remote_calls_per_s_busy=%.2f\n", o / p
    }' "$work/otpp_gen.txt" "$work/floor.txt"
  if [[ -x $beam_ref ]]; then
    medians "$work"/beam_gen?.txt | tee "$work/beam_gen.txt"
    ratios "$work/otpp_gen.txt" "$work/beam_gen.txt"
  fi
}

for area in term local remote rpc gen tls eval cluster; do
  if [[ $what == all || $what == "$area" ]]; then
    case $area in
      term) run_term ;;
      gen) run_gen ;;
      tls) run_tls ;;
      *) run_area "$area" ;;
    esac
  fi
done
