# The two commands of the README. Each first makes sure OpenBLAS and pkg-config are installed
# (scripts/ensure-deps.sh), then builds in release mode.
.PHONY: demo test deps

deps:
	@scripts/ensure-deps.sh

demo: deps
	swift run -c release irpo demo

test: deps
	swift test -c release
