# The two entry points a user needs (README.md): `make demo` and `make test`. Both install what is
# missing first, so they work on a fresh Debian bookworm machine as root.
#
# Build directories:
#   build        gcc, debug-optimised: the binary at build/ingot and the unit tests
#   build-asan   clang with AddressSanitizer + UndefinedBehaviorSanitizer: unit tests again, and
#                proof that clang compiles everything warning-free
#   build-fuzz   clang with libFuzzer: every fuzz target, replayed briefly by `make fuzz-smoke`

PYTHON      ?= /usr/bin/python3
# Mutations per fuzz target from a fixed seed (deterministic); FUZZ_BUDGET=600s fuzzes for real.
FUZZ_BUDGET ?= 50000
MESON_SETUP  = meson setup --wipe

.PHONY: all deps build build-asan build-fuzz unit unit-asan fuzz-smoke cluster-bins system test demo clean

all: build

deps:
	@tools/install-deps

build/build.ninja:
	meson setup build
build: build/build.ninja
	ninja -C build

build-asan/build.ninja:
	CC=clang meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false
build-asan: build-asan/build.ninja
	ninja -C build-asan

build-fuzz/build.ninja:
	CC=clang meson setup build-fuzz -Dfuzz=true -Dtests=false \
	  -Db_sanitize=address,undefined -Db_lundef=false -Dc_args=-fsanitize=fuzzer-no-link
build-fuzz: build-fuzz/build.ninja
	ninja -C build-fuzz

unit: build
	meson test -C build --print-errorlogs

unit-asan: build-asan
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  meson test -C build-asan --print-errorlogs

fuzz-smoke: build-fuzz
	tools/fuzz-smoke build-fuzz $(FUZZ_BUDGET)

# kube-apiserver and etcd (the system tests' cluster) and helm (tests/system/test_deploy.py renders
# and lints the chart), built once from the Go module proxy into /var/cache/ingot.
cluster-bins:
	tools/build-k8s >/dev/null
	tools/build-helm >/dev/null

system: build cluster-bins
	INGOT_BIN=$(CURDIR)/build/ingot $(PYTHON) -m pytest -p no:cacheprovider tests/system

test: deps
	$(MAKE) unit unit-asan fuzz-smoke cluster-bins
	$(MAKE) system

# The demo needs the cluster, not helm.
demo: deps build
	tools/build-k8s >/dev/null
	tools/demo

clean:
	rm -rf build build-asan build-fuzz
