# The two commands of the README, thin over CMake. Both run scripts/setup.sh first
# (installs Debian packages when missing; a no-op otherwise).
#   make demo  - set up, build, generate a demo deployment under demo/, start it
#   make test  - set up, build (normal + ASan/UBSan), run the whole suite through CTest

JOBS        ?= 2
BUILD_DIR   ?= build/default
SAN_DIR     ?= build/sanitize
CMAKE_FLAGS ?= -DSAFEDESK_WERROR=ON
CTEST_FLAGS ?= --output-on-failure -j$(JOBS) --timeout 600

.PHONY: all setup build build-sanitize demo test test-default test-sanitize clean

all: build

setup:
	@./scripts/setup.sh

build: setup
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD_DIR) -j$(JOBS)

build-sanitize: setup
	@cmake -S . -B $(SAN_DIR) -DCMAKE_BUILD_TYPE=Debug -DSAFEDESK_SANITIZE=ON \
	  -DSAFEDESK_BUILD_BENCH=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(SAN_DIR) -j$(JOBS)

demo: build
	@./scripts/demo.sh $(BUILD_DIR)

# The sanitizer suite runs first so that the last line printed is the normal suite's
# CTest summary; a failure in either stops make with a non-zero status.
test: build build-sanitize
	@echo "== test suite, ASan + UBSan build ($(SAN_DIR)) =="
	@cd $(SAN_DIR) && ctest $(CTEST_FLAGS)
	@echo "== test suite, normal build ($(BUILD_DIR)) =="
	@cd $(BUILD_DIR) && ctest $(CTEST_FLAGS)

test-default: build
	@cd $(BUILD_DIR) && ctest $(CTEST_FLAGS)

test-sanitize: build-sanitize
	@cd $(SAN_DIR) && ctest $(CTEST_FLAGS)

clean:
	rm -rf build
