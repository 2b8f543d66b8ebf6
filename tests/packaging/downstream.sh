#!/usr/bin/env bash
# Builds and checks otpp as a user consumes it: installed into a prefix, examples/downstream
# built against it with find_package and with pkg-config, built from source with FetchContent,
# and the Debian package from cpack unpacked into a scratch root (its files listed, its tool
# run, the downstream project linked against it).
# Usage: downstream.sh install|find_package|pkg_config|fetchcontent|deb SOURCE_DIR BUILD_DIR WORK_DIR
#   (the CTest entries packaging.* run it; find_package and pkg_config use install's prefix)
set -euo pipefail
mode=$1 source=$2 build=$3 work=$4
prefix=$work/prefix
downstream=$source/examples/downstream

# The greeter's one line shows the program ran as a node with a process that answered.
check_greeter() {
  local out
  out=$("$1")
  echo "$out"
  [[ $out == "greeter answered {hi,<0."* ]] || { echo "unexpected greeter output" >&2; exit 1; }
}

# Fails unless every named file exists under the directory $1.
expect_files() {
  local root=$1 f
  shift
  for f in "$@"; do
    [[ -e $root/$f ]] || { echo "missing: $root/$f" >&2; exit 1; }
  done
}

case $mode in
  install)
    rm -rf "$prefix"
    cmake --install "$build" --prefix "$prefix" >/dev/null
    expect_files "$prefix" bin/otpp include/otpp/otp/node.hpp include/otpp/term/term.hpp \
      lib/libotpp_term.a lib/libotpp_runtime.a lib/libotpp_dist.a lib/libotpp_otp.a \
      lib/cmake/otpp/otpp-config.cmake lib/cmake/otpp/otpp-config-version.cmake \
      lib/cmake/otpp/otpp-targets.cmake lib/pkgconfig/otpp.pc share/doc/otpp/CHANGELOG.md
    # Nothing of otpp's own tests or build tree is installed.
    if find "$prefix" -name '*_tests' -o -name 'gtest*' | grep -q .; then
      echo "test files were installed" >&2; exit 1
    fi
    echo "installed into $prefix"
    ;;
  find_package)
    rm -rf "$work/find_package"
    cmake -S "$downstream" -B "$work/find_package" -G Ninja -DCMAKE_PREFIX_PATH="$prefix"
    cmake --build "$work/find_package" --target greeter
    check_greeter "$work/find_package/greeter"
    # The version is checked: 0.2 is accepted above; a 0.3 request must be refused.
    mkdir -p "$work/find_package_v03"
    cat >"$work/find_package_v03/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(v03 LANGUAGES CXX)
find_package(otpp 0.3 QUIET)
if(otpp_FOUND)
  message(FATAL_ERROR "otpp 0.2 was accepted for a 0.3 request")
endif()
find_package(otpp 0.2 REQUIRED COMPONENTS term runtime dist otp)
find_package(otpp 0.2 QUIET COMPONENTS no_such_layer)
if(otpp_FOUND)
  message(FATAL_ERROR "an unknown component was accepted")
endif()
CMAKE
    cmake -S "$work/find_package_v03" -B "$work/find_package_v03/build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
    ;;
  pkg_config)
    rm -rf "$work/pkg_config" && mkdir -p "$work/pkg_config"
    export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
    pkg-config --exists 'otpp >= 0.2'
    # shellcheck disable=SC2046  # pkg-config's flags are words
    g++ -std=c++20 -o "$work/pkg_config/greeter" "$downstream/greeter.cpp" $(pkg-config --cflags --libs otpp)
    check_greeter "$work/pkg_config/greeter"
    ;;
  fetchcontent)
    rm -rf "$work/fetchcontent"
    cmake -S "$downstream" -B "$work/fetchcontent" -G Ninja -DOTPP_FROM=fetchcontent \
      -DFETCHCONTENT_SOURCE_DIR_OTPP="$source"
    # As a dependency, otpp adds no tests, examples or benchmarks (nor needs GoogleTest).
    if cmake --build "$work/fetchcontent" --target help | grep -E -q '_tests|lesson_kate|_bench'; then
      echo "otpp as a dependency added its own tests, examples or benchmarks" >&2; exit 1
    fi
    cmake --build "$work/fetchcontent" -j2 --target greeter
    check_greeter "$work/fetchcontent/greeter"
    ;;
  deb)
    rm -rf "$work/deb" && mkdir -p "$work/deb"
    (cd "$work/deb" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/deb" >/dev/null)
    deb=$(ls "$work/deb"/otpp_*.deb)
    echo "package: $deb"
    dpkg-deb --field "$deb" Package Version Depends
    [[ $(dpkg-deb --field "$deb" Version) == 0.2.0 ]] || { echo "wrong version" >&2; exit 1; }
    root=$work/deb/root
    dpkg-deb -x "$deb" "$root"
    dpkg-deb --contents "$deb" | awk '{print $6}' | grep -v '/$'
    expect_files "$root" usr/bin/otpp usr/include/otpp/otp/node.hpp usr/lib/libotpp_term.a \
      usr/lib/cmake/otpp/otpp-config.cmake usr/lib/pkgconfig/otpp.pc
    # Everything lives under /usr; nothing under /usr/local or outside it.
    if dpkg-deb --contents "$deb" | awk '{print $6}' | grep -v -E '^\./(usr/)?$' | grep -v '^\./usr/' | grep -q .; then
      echo "files outside /usr" >&2; exit 1
    fi
    # dpkg accepts it here: its dependencies are satisfied (it reads the package database only).
    if [[ $(id -u) == 0 ]]; then dpkg --dry-run -i "$deb" >/dev/null; fi
    # The packaged tool runs: a term through its encoder and decoder.
    out=$(echo '{ok,[1,<<"a">>]}.' | "$root/usr/bin/otpp" term encode | "$root/usr/bin/otpp" term decode)
    [[ $out == '{ok,[1,<<"a">>]}' ]] || { echo "otpp term round trip gave: $out" >&2; exit 1; }
    # And the packaged libraries link: the downstream project against the unpacked tree.
    cmake -S "$downstream" -B "$work/deb/downstream" -G Ninja -DCMAKE_PREFIX_PATH="$root/usr" >/dev/null
    cmake --build "$work/deb/downstream" --target greeter
    check_greeter "$work/deb/downstream/greeter"
    ;;
  *)
    echo "usage: $0 install|find_package|pkg_config|fetchcontent|deb SOURCE BUILD WORK" >&2
    exit 2
    ;;
esac
