# Thin wrapper: `make demo` and `make test` do all the set-up on a fresh Debian 12 machine.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
# Extra ctest arguments for the cross targets, e.g. CTEST_ARGS="-L engine".
CTEST_ARGS ?=

.PHONY: deps configure build demo test sanitize test-aarch64 test-armhf clean

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
	cmake --build build-sanitize -j $(JOBS) --target engine_tests nn_io_tests optim_tests nn_tests data_tests models_tests allocation_tests adversarial_tests
	ctest --test-dir build-sanitize -j $(JOBS) --output-on-failure -L "engine|nn|models|adversarial"

# Cross-build with the CMake preset of the same name (toolchains/, build-aarch64 or build-armhf)
# and run the tests under qemu-user.
test-aarch64 test-armhf: test-%:
	scripts/install-deps.sh $*
	cmake --preset $*
	cmake --build --preset $* -j $(JOBS)
	ctest --preset $* -j $(JOBS) $(CTEST_ARGS)

clean:
	rm -rf $(BUILD_DIR) build-sanitize build-aarch64 build-armhf
