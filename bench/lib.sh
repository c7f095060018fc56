# Shared by the bench/run-*.sh scripts (sourced, not run): settings and the irpo binary.
THREADS="${THREADS:-2}"
SCRATCH="${SCRATCH:-.build-bench}"
PYTHON="${PYTHON:-python3}"

# Sets IRPO to a release build of irpo, building one in $SCRATCH unless IRPO is already set.
ensure_irpo() {
  if [ -z "${IRPO:-}" ]; then
    echo "building irpo (release, scratch path $SCRATCH)..." >&2
    swift build -c release --scratch-path "$SCRATCH" --product irpo >&2
    IRPO="$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/irpo"
  fi
}
