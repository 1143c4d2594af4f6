# Thin wrapper: `make demo` and `make test` do all the set-up on a fresh Debian 12 machine.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: deps configure build demo test sanitize clean

deps:
	scripts/install-deps.sh

configure: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

demo: build
	$(BUILD_DIR)/cli/attrax demo

test: build
	ctest --test-dir $(BUILD_DIR) -j $(JOBS) --output-on-failure

sanitize: deps
	cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DATTRAX_SANITIZE=ON -DATTRAX_NATIVE=OFF
	cmake --build build-sanitize -j $(JOBS) --target engine_tests
	ctest --test-dir build-sanitize -j $(JOBS) --output-on-failure -L engine

clean:
	rm -rf $(BUILD_DIR) build-sanitize
