# Thin wrapper around CMake so that the README's commands stay short.
#   make          build into build/
#   make test     build and run every test (ctest)
#   make demo     the main job: two tenants on one shared subnet, real clients
#   make bench    benchmarks that print numbers
BUILD ?= build
JOBS ?= $(shell nproc)
SANITIZE ?= 0
CMAKE_FLAGS ?=

ifeq ($(SANITIZE),1)
BUILD := build-san
CMAKE_FLAGS += -DMTDHCP_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
endif

.PHONY: all deps configure test demo bench clean format

all: configure
	cmake --build $(BUILD) -j $(JOBS)

deps:
	@./packaging/install-deps.sh

configure: deps
	@test -f $(BUILD)/CMakeCache.txt || cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

test: all
	cd $(BUILD) && ctest --output-on-failure --timeout 600

demo: all
	./demo/demo.sh $(BUILD)

bench: all
	@./packaging/install-deps.sh --all
	./tests/bench/run.sh $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-san
