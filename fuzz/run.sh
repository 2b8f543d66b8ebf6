#!/usr/bin/env bash
# Builds libFuzzer targets with clang++ (ASan + UBSan, libraries instrumented) and runs one for
# a bounded time with a seed corpus: the golden term vectors for term_decode, generated
# handshake transcripts and control frames (fuzz/seed_gen.cpp) for handshake and control, the
# parser test cases (tests/code/erl_parse_cases.txt) for erl_parse.
# Usage: fuzz/run.sh <target> [seconds [libFuzzer flags...]]   e.g. fuzz/run.sh term_decode 60
#        fuzz/run.sh epmd 36000 -runs=10000000                   (stops at whichever comes first)
#        fuzz/run.sh --build                 builds every target (and the seeds) only
# The build directory is $OTPP_FUZZ_BUILD (default build-fuzz/); configuring and building hold
# a lock on it, so parallel runs never race. With OTPP_FUZZ_PREBUILT=1 a run skips the build
# (the CTest fixture fuzz.build did it). A crash leaves its input in <build>/artifacts/ and
# makes the script fail.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target=${1:?usage: fuzz/run.sh <target> [seconds] | fuzz/run.sh --build}
seconds=${2:-60}
build=${OTPP_FUZZ_BUILD:-$root/build-fuzz}
mkdir -p "$build"

build_targets() {
  # One configure + build at a time per build directory (ctest -j runs the fuzz tests at once).
  exec 9>"$build/.run.lock"
  flock 9
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DOTPP_FUZZ=ON -DOTPP_SANITIZE=address -DOTPP_WERROR=OFF \
    -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link -fno-sanitize-recover=all" >/dev/null
  cmake --build "$build" -j2 --target "$@"
  # Seeds: one file per golden vector (its input bytes, written with perl, always on Debian),
  # and the generated handshake and control seeds.
  mkdir -p "$build/seeds/term_decode"
  perl -ne 'next if /^#/; chomp; my @c = split /\t/; next unless @c == 5;
            open(my $f, ">", "'"$build/seeds/term_decode"'/$c[0]") or die; binmode $f; print $f pack("H*", $c[3]); close $f' \
    "$root/tests/term/golden/vectors.txt"
  # Erlang source seeds: the parser's differential test cases, one file each.
  mkdir -p "$build/seeds/erl_parse"
  perl -e 'local $/; my $t = <STDIN>; my $n = 0;
           for my $c (split /\n%%%\n/, $t) { open(my $f, ">", "'"$build/seeds/erl_parse"'/case" . $n++) or die; print $f $c; close $f }' \
    < "$root/tests/code/erl_parse_cases.txt"
  # The Elixir front end's seeds: one input per line of fuzz/elixir_lower.seeds (\n escapes).
  mkdir -p "$build/seeds/elixir_lower"
  perl -ne 'chomp; s/\\n/\n/g; open(my $f, ">", "'"$build/seeds/elixir_lower"'/seed$.") or die; print $f $_; close $f' \
    "$root/fuzz/elixir_lower.seeds"
  # Funs as erl_eval makes them (when erl is installed): the fun_eval target's seeds.
  if command -v escript >/dev/null; then
    mkdir -p "$build/seeds/fun_eval"
    escript "$root/fuzz/fun_eval_seeds.escript" "$root/fuzz/fun_eval.seeds" "$build/seeds/fun_eval" ||
      echo "fuzz/run.sh: no fun_eval seeds (escript failed)" >&2
  fi
  if [[ -x $build/bin/fuzz_seed_gen ]]; then
    "$build/bin/fuzz_seed_gen" "$build/seeds"
  fi
  flock -u 9
}

if [[ $target == --build ]]; then
  build_targets term_decode_fuzz handshake_fuzz control_fuzz erl_parse_fuzz elixir_lower_fuzz epmd_fuzz fun_eval_fuzz \
    fuzz_seed_gen
  exit 0
fi
if [[ ${OTPP_FUZZ_PREBUILT:-0} != 1 ]]; then
  build_targets "${target}_fuzz" fuzz_seed_gen
fi

seeds=$build/seeds/$target
corpus=$build/corpus/$target
mkdir -p "$seeds" "$corpus" "$build/artifacts"

# A target's dictionary of tokens, when it has one (fuzz/<target>.dict).
dict=()
if [[ -f $root/fuzz/$target.dict ]]; then
  dict=(-dict="$root/fuzz/$target.dict")
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
exec "$build/bin/${target}_fuzz" -max_total_time="$seconds" -max_len=4096 -rss_limit_mb=2048 \
  -timeout=20 -print_final_stats=1 -artifact_prefix="$build/artifacts/" "${dict[@]}" "${@:3}" "$corpus" "$seeds"
