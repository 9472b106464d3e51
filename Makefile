# Thin wrapper around CMake so that the README's commands stay short.
#   make          build into build/
#   make test     build and run every test (ctest)
#   make demo     the main job: two tenants on one shared subnet, real clients
#   make bench    benchmarks that print numbers
#   make fuzz     each libFuzzer target for FUZZ_SECONDS (docs/fuzzing.md; needs clang)
#   make test SANITIZE=1, make demo SANITIZE=1: the same with AddressSanitizer, UBSan and
#                 LeakSanitizer, in build-san/
BUILD ?= build
JOBS ?= $(shell nproc)
SANITIZE ?= 0
CMAKE_FLAGS ?=
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= frame options conf
# Extra environment of the programs under test (the sanitizer options below).
TEST_ENV :=

ifeq ($(SANITIZE),1)
BUILD := build-san
CMAKE_FLAGS += -DMTDHCP_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
# Stricter than the defaults: use of stack memory after its function returned, and a full
# stack with every UBSan report. Leaks are checked at every exit (the daemon's included,
# after SIGTERM); tests/fuzz/lsan.supp lists the one third-party leak that cannot be fixed
# here. The programs inherit these through ctest, the test scripts and ip netns exec.
TEST_ENV := ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/fuzz/lsan.supp:print_suppressions=0
endif

.PHONY: all deps configure test demo bench fuzz clean format

all: configure
	cmake --build $(BUILD) -j $(JOBS)

deps:
	@./packaging/install-deps.sh

configure: deps
	@test -f $(BUILD)/CMakeCache.txt || cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

test: all
	cd $(BUILD) && $(TEST_ENV) ctest --output-on-failure --timeout 600

demo: all
	$(TEST_ENV) ./demo/demo.sh $(BUILD)

bench: all
	@./packaging/install-deps.sh --all
	./tests/bench/run.sh $(BUILD)

# The libFuzzer build: clang, coverage instrumentation and sanitizers over the whole tree.
fuzz: deps
	@command -v clang >/dev/null || { echo "make fuzz needs clang (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }
	@test -f $(FUZZ_BUILD)/CMakeCache.txt || cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_C_COMPILER=clang -DMTDHCP_FUZZ=ON
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target $(addprefix fuzz_,$(FUZZ_TARGETS))
	./tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-san $(FUZZ_BUILD)

# Packaging and the service VM (docs/deployment.md). Not part of `make test`: they download
# Debian packages (deb-test, vm) or boot a VM (vm-test). They need root.
#   make deb       build/mtdhcp_<version>_<arch>.deb (packaging/deb/build-deb.sh)
#   make deb-test  install it into a fresh Debian 12 chroot and serve a client from there
#   make vm        build/vm/mtdhcp-vm.img: a bootable Debian 12 VM with the package installed
#   make vm-test   boot it under QEMU and get a lease through it; VM_ACCEL=kvm (or auto)
#                  uses KVM instead of software emulation
VM_ACCEL ?= tcg
.PHONY: deb deb-test vm vm-test

deb: deps
	./packaging/deb/build-deb.sh

deb-test: deb
	@./packaging/need-packages.sh debootstrap
	./tests/packaging/test_deb.sh

vm: deb
	@./packaging/need-packages.sh debootstrap mtools dosfstools fdisk e2fsprogs
	./packaging/vm/build-image.sh

vm-test:
	@test -f build/vm/mtdhcp-vm.img || $(MAKE) vm
	@./packaging/need-packages.sh qemu-system-x86 ovmf
	./tests/packaging/test_vm.sh --accel $(VM_ACCEL)
