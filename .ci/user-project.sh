#!/usr/bin/env bash
# The test kit as a user meets it: a fresh venv made with PYTHON, the airsrt WHEEL installed with
# its `testing` extra and nothing else, and plain `python -m pytest` (no flags, no configuration)
# in a copy of .ci/user-project/ outside the source tree. Then the same again with looptime
# installed (whose own pytest plugin breaks every fixture without pytest-asyncio), and again with
# pytest-asyncio too: the kit must work beside them.
#
# Usage: .ci/user-project.sh WHEEL PYTHON    (the wheel must be built for that Python)
set -euo pipefail

if [ $# -ne 2 ]; then
    echo "usage: $0 WHEEL PYTHON" >&2
    exit 2
fi
wheel="$(realpath "$1")"
python="$2"
here="$(cd "$(dirname "$0")" && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

"$python" -m venv "$scratch/venv"
venv_python="$scratch/venv/bin/python"
"$venv_python" -m pip install -q "$wheel[testing]"
cp -r "$here/user-project" "$scratch/project"

run_pass() {
    # $1: what this pass is; $2: a regular expression the summary line must match.
    echo "== user project on $("$venv_python" -V 2>&1), $1"
    (cd "$scratch/project" && "$venv_python" -c \
        'import airsrt, sys; sys.exit(not airsrt.__file__.startswith(sys.prefix))') || {
        echo "airsrt is not imported from the venv's installed wheel" >&2
        return 1
    }
    local status=0
    (cd "$scratch/project" && "$venv_python" -m pytest) > "$scratch/out" 2>&1 || status=$?
    cat "$scratch/out"
    if [ "$status" -ne 0 ]; then
        echo "user project failed ($1): pytest exited with $status" >&2
        return 1
    fi
    if ! tail -n 1 "$scratch/out" | grep -Eq "$2"; then
        echo "user project ($1): the summary does not match '$2'" >&2
        return 1
    fi
}

# Without pytest-asyncio, the two modules that need it skip themselves.
run_pass "airsrt[testing] only" "^=+ [0-9]+ passed, 2 skipped( in |, [0-9]+ warnings? in )"
"$venv_python" -m pip install -q looptime
run_pass "with looptime" "^=+ [0-9]+ passed, 2 skipped( in |, [0-9]+ warnings? in )"
"$venv_python" -m pip install -q pytest-asyncio
run_pass "with looptime and pytest-asyncio" "^=+ [0-9]+ passed( in |, [0-9]+ warnings? in )"
