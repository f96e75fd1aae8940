# The README's two commands. Both install missing Debian packages, configure
# and build as needed.
#   make run   - build, then run the main job on the embedded default
#   make test  - build, then run every test
BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)
# hash_bench's corpus: a folder holding base/ and large/ JPEGs. The default is
# the workspace's optional data beside the repository, not part of a clone.
BENCH_CORPUS ?= ../shared/corpus

.PHONY: all deps configure build run test bench clean

all: build

deps:
	@./scripts/install-deps.sh

$(BUILD_DIR)/build.ninja: | deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

configure: deps $(BUILD_DIR)/build.ninja

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	./scripts/run-default.sh

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# The benchmarks' optional peers (FAISS) are installed first; CMake is
# re-run so that index_bench picks them up.
bench:
	@test -d "$(BENCH_CORPUS)/base" || { echo "make bench: no corpus at $(BENCH_CORPUS) (pass BENCH_CORPUS=DIR, a folder holding base/ and large/ JPEGs)" >&2; exit 1; }
	@./scripts/install-deps.sh --bench
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)
	cmake --build $(BUILD_DIR) -j $(JOBS)
	./$(BUILD_DIR)/bin/hash_bench --corpus $(BENCH_CORPUS)
	./$(BUILD_DIR)/bin/index_bench --n 1000000,10000000

clean:
	rm -rf $(BUILD_DIR)
