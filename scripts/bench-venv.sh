# Sourced by scripts/bench-e2e.sh and scripts/soak.sh: the Python venv of the
# benchmark drivers, with pinned packages from PyPI (wheels only), in
# ${XDG_CACHE_HOME:-$HOME/.cache}/newswatch/bench-venv. Made on first use and
# again when the pins below change. Needs python3 with the venv module (on
# Debian: python3-venv).
#
# Sets: venv (its directory), py (its python), pins (the packages, for notes).
# shellcheck shell=bash

venv=${XDG_CACHE_HOME:-$HOME/.cache}/newswatch/bench-venv
py=$venv/bin/python
pins="confluent-kafka==2.16.1 pyahocorasick==2.3.1"
if [ "$(cat "$venv/.pins" 2>/dev/null)" != "$pins" ] || ! "$py" -c 'import confluent_kafka, ahocorasick' 2>/dev/null; then
    echo "installing $pins into $venv"
    python3 -m venv "$venv"
    # shellcheck disable=SC2086 # one word per package
    "$venv/bin/pip" install -q --disable-pip-version-check --only-binary=:all: $pins
    echo "$pins" >"$venv/.pins"
fi
