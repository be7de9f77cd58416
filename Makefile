# The two commands of the README: `make run` and `make test`. Both install what is missing first.
#   make test SANITIZE=1     address + undefined sanitizers (build-asan/: labels unit, conformance, e2e)
#   make test LABEL=unit     only one ctest label (unit | conformance | e2e | web | package | fuzz | chaos)
#   make deb                 the Debian package in build/package/
#   make fuzz-build          the libFuzzer targets in build-asan/ (scripts/fuzz runs them)
BUILD ?= build
SANITIZE ?= 0
JOBS ?= $(shell nproc)
WERROR := $(if $(filter true,$(CI)),ON,OFF)
# The sanitizer build is also the fuzz build (cmake/KassaCompile.cmake): one set of instrumented
# objects serves the fuzzers of `make test` and the sanitizer run of CI. -O1 -g1, no web pages, no
# benchmarks: only what its tests need.
ASAN_DIR ?= $(BUILD)-asan
ASAN_FLAGS := -DKASSA_SANITIZE=ON -DKASSA_FUZZ=ON -DKASSA_BUILD_BENCH=OFF -DKASSA_BUILD_WEB=OFF
BUILD_DIR := $(if $(filter 1,$(SANITIZE)),$(ASAN_DIR),$(BUILD))
SANITIZE_LABELS := unit|conformance|e2e
CTEST_ARGS := $(if $(LABEL),-L '$(LABEL)',$(if $(filter 1,$(SANITIZE)),-L '$(SANITIZE_LABELS)',))

.PHONY: run test deps build configure configure-asan fuzz-build clean deb

run: build
	$(BUILD_DIR)/src/app/kassad $(ARGS)

# A normal `make test` builds the fuzzers first (its `fuzz` label runs them for a few seconds each).
test: build $(if $(filter 1,$(SANITIZE)),,fuzz-build)
	cd $(BUILD_DIR) && ctest --output-on-failure --timeout 600 -j $(JOBS) $(CTEST_ARGS)

deps:
	@scripts/install-deps

configure-asan: deps
	@cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKASSA_WERROR=$(WERROR) $(ASAN_FLAGS) >/dev/null

configure: $(if $(filter 1,$(SANITIZE)),configure-asan,deps)
	@$(if $(filter 1,$(SANITIZE)),true,cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DKASSA_WERROR=$(WERROR) -DKASSA_FUZZ_BUILD_DIR=$(abspath $(ASAN_DIR)) >/dev/null)

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

fuzz-build: configure-asan
	@cmake --build $(ASAN_DIR) -j $(JOBS) --target kassa_fuzzers

# The Debian package: $(BUILD_DIR)/package/kassa_<version>_<arch>.deb (packaging/CMakeLists.txt).
deb: build
	@cmake --build $(BUILD_DIR) --target package

clean:
	rm -rf $(BUILD) $(ASAN_DIR)
