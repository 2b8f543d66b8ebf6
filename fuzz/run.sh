#!/usr/bin/env bash
# Builds a libFuzzer target in build-fuzz/ with clang++ (ASan + UBSan, libraries instrumented)
# and runs it for a bounded time with a seed corpus from the golden vectors.
# Usage: fuzz/run.sh <target> [seconds]      e.g. fuzz/run.sh term_decode 60
# A crash leaves its input in build-fuzz/artifacts/ and makes the script fail.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target=${1:?usage: fuzz/run.sh <target> [seconds]}
seconds=${2:-60}
build=$root/build-fuzz

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DOTPP_FUZZ=ON -DOTPP_SANITIZE=address -DOTPP_WERROR=OFF \
  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link -fno-sanitize-recover=all" >/dev/null
cmake --build "$build" -j2 --target "${target}_fuzz"

seeds=$build/seeds/$target
corpus=$build/corpus/$target
mkdir -p "$seeds" "$corpus" "$build/artifacts"
if [[ $target == term_decode ]]; then
  # One seed file per golden vector (its input bytes), written with perl (always on Debian).
  perl -ne 'next if /^#/; chomp; my @c = split /\t/; next unless @c == 5;
            open(my $f, ">", "'"$seeds"'/$c[0]") or die; binmode $f; print $f pack("H*", $c[3]); close $f' \
    "$root/tests/term/golden/vectors.txt"
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
exec "$build/bin/${target}_fuzz" -max_total_time="$seconds" -max_len=4096 -rss_limit_mb=2048 \
  -timeout=20 -print_final_stats=1 -artifact_prefix="$build/artifacts/" "$corpus" "$seeds"
