# semi-instruct: `make demo` runs the main job, `make test` runs the tests. Both install what is missing first.
SWIFT ?= swift
BIN_RELEASE := .build/release/semi-instruct

.PHONY: setup build release demo test bench bench-compare doctor clean

setup:
	@bash scripts/setup.sh

build: setup
	$(SWIFT) build

release: setup
	$(SWIFT) build -c release

doctor: release
	$(BIN_RELEASE) doctor

demo: release
	$(BIN_RELEASE) doctor

test: setup
	$(SWIFT) build -c release --build-tests
	$(SWIFT) test -c release --skip-build

bench: release
	$(BIN_RELEASE) bench all

bench-compare: release
	@bash scripts/bench-compare.sh

clean:
	rm -rf .build
