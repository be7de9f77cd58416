# The two commands of the README: `make run` and `make test`. Both install what is missing first.
#   make test SANITIZE=1     address + undefined sanitizers
#   make test LABEL=unit     only one ctest label (unit | conformance | e2e | web | package)
#   make deb                 the Debian package in build/package/
BUILD ?= build
SANITIZE ?= 0
JOBS ?= $(shell nproc)
WERROR := $(if $(filter true,$(CI)),ON,OFF)
BUILD_DIR := $(BUILD)$(if $(filter 1,$(SANITIZE)),-asan,)
CTEST_ARGS := $(if $(LABEL),-L $(LABEL),)

.PHONY: run test deps build configure clean deb

run: build
	$(BUILD_DIR)/src/app/kassad $(ARGS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure --timeout 600 -j $(JOBS) $(CTEST_ARGS)

deps:
	@scripts/install-deps

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DKASSA_WERROR=$(WERROR) -DKASSA_SANITIZE=$(if $(filter 1,$(SANITIZE)),ON,OFF) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# The Debian package: $(BUILD_DIR)/package/kassa_<version>_<arch>.deb (packaging/CMakeLists.txt).
deb: build
	@cmake --build $(BUILD_DIR) --target package

clean:
	rm -rf $(BUILD) $(BUILD)-asan
