# semi-instruct: `make demo` runs the main job, `make test` runs the tests. Both install what is missing first.
SWIFT ?= swift
BIN_RELEASE := .build/release/semi-instruct

.PHONY: setup build release demo test test-cluster bench bench-compare doctor clean

setup:
	@bash scripts/setup.sh

build: setup
	$(SWIFT) build

release: setup
	$(SWIFT) build -c release

doctor: release
	$(BIN_RELEASE) doctor

demo: release
	$(BIN_RELEASE) doctor --no-verify
	$(BIN_RELEASE) build recipes/quickstart.yaml --run runs/quickstart

test: setup
	$(SWIFT) build -c release --build-tests
	$(SWIFT) test -c release --skip-build
	bash scripts/cluster/slurm-test.sh $(BIN_RELEASE)

# The Slurm cluster test alone: a one-node cluster runs a 3-shard build and its merge (also the last step of `test`).
test-cluster: release
	bash scripts/cluster/slurm-test.sh $(BIN_RELEASE)

bench: release
	$(BIN_RELEASE) bench generate smollm2
	$(BIN_RELEASE) bench batch smollm2
	$(BIN_RELEASE) bench batch smollm2 --parallel 1 --runs 1 --pipeline-mix --prefix-requests 48 --prefix-parallel 8
	$(BIN_RELEASE) bench serve smollm2
	$(BIN_RELEASE) bench abacus-shape
	$(BIN_RELEASE) bench model-shape qwen2.5-coder-1.5b
	$(BIN_RELEASE) bench model-shape deepseek-coder-1.3b
	$(BIN_RELEASE) bench embed
	$(BIN_RELEASE) bench exec
	$(BIN_RELEASE) bench dedup
	$(BIN_RELEASE) bench merge
	$(BIN_RELEASE) bench decontaminate
	$(BIN_RELEASE) bench matvec
	$(BIN_RELEASE) bench matvec --types Q4_K,Q6_K --inputs 4

bench-compare: release
	@bash scripts/bench-compare.sh

clean:
	rm -rf .build
