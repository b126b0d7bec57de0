#!/usr/bin/env bash
# Install everything the test suite needs, then run all of it on every supported Python:
# lint and types once, the whole suite on the main version, and everything but the
# integration tests (real servers, the slow part) on the others.
#
# Usage: bash scripts/test.sh [extra pytest args]     (the args go to every version)
#   PYTHONS="3.11 3.13" bash scripts/test.sh          only these versions
#   PYTHONS=3.11 bash scripts/test.sh tests/outputs   one version, one folder
#
# Each version gets its own virtualenv: .venv for the main one, .venv-3.10 and so on for
# the others. Interpreters are looked up as pyenv installs them ($PYENV_ROOT/versions),
# then as python3.X on PATH. Locally a missing interpreter is reported and skipped; in
# CI (CI=true) it is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHONS_DEFAULT="3.11 3.10 3.12 3.13"
MAIN_PYTHON="3.11"
read -r -a PYTHONS <<<"${PYTHONS:-$PYTHONS_DEFAULT}"
IN_CI=false
if [ "${CI:-}" = "true" ]; then IN_CI=true; fi

find_python() {
    # The interpreter for version $1 (X.Y), printed; nothing if there is none.
    local version=$1 candidate
    local roots=("${PYENV_ROOT:-$HOME/.pyenv}" /root/.pyenv)
    for root in "${roots[@]}"; do
        for candidate in "$root"/versions/"$version".*/bin/python"$version"; do
            if [ -x "$candidate" ] && "$candidate" -c 'import sys' 2>/dev/null; then
                echo "$candidate"
                return
            fi
        done
    done
    if candidate=$(command -v "python$version" 2>/dev/null) && "$candidate" -c 'import sys' 2>/dev/null; then
        echo "$candidate"
    fi
}

count() {
    # How many tests pytest's closing line ($closing) gives for outcome $1 (a regex).
    local n
    n=$(grep -oE "[0-9]+ $1\b" <<<"$closing" | grep -oE '^[0-9]+' | head -n 1 || true)
    echo "${n:-0}"
}

venv_of() {
    if [ "$1" = "$MAIN_PYTHON" ]; then echo .venv; else echo ".venv-$1"; fi
}

wants_main=false
for version in "${PYTHONS[@]}"; do
    if [ "$version" = "$MAIN_PYTHON" ]; then wants_main=true; fi
done

# The integration tests (main version only) run a real Prometheus server and render the
# documentation site in a real headless Chromium (Debian's packages).
debian_packages=()
if $wants_main; then
    command -v prometheus >/dev/null 2>&1 || debian_packages+=(prometheus)
    command -v chromium >/dev/null 2>&1 || debian_packages+=(chromium)
fi
if [ ${#debian_packages[@]} -gt 0 ]; then
    if command -v apt-get >/dev/null 2>&1; then
        SUDO=""
        if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
            "${debian_packages[@]}" >/dev/null
    else
        echo "${debian_packages[*]} not found and apt-get unavailable: integration tests will fail in CI" >&2
    fi
fi
# A prometheus package may start its own service; the tests start their own on free ports.
if command -v systemctl >/dev/null 2>&1; then systemctl stop prometheus >/dev/null 2>&1 || true; fi

# -- virtualenvs ----------------------------------------------------------------------------
declare -A VENV=()
missing=()
for version in "${PYTHONS[@]}"; do
    python=$(find_python "$version")
    if [ -z "$python" ]; then
        missing+=("$version")
        continue
    fi
    venv=$(venv_of "$version")
    # A virtualenv left by another interpreter (an older .venv) is made anew.
    if [ -x "$venv/bin/python" ] &&
        [ "$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" != "$version" ]; then
        rm -rf "$venv"
    fi
    echo "== Python $version: $venv ($python)"
    started=$SECONDS
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --upgrade pip
    "$venv/bin/python" -m pip install -q -e ".[dev]"
    echo "   installed in $((SECONDS - started)) s"
    VENV[$version]=$venv
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "no interpreter found for Python ${missing[*]}" >&2
    if $IN_CI; then
        echo "CI runs every supported version: install them (pyenv install X.Y)" >&2
        exit 1
    fi
    echo "(skipped here; CI runs them)" >&2
fi

# -- lint and types, once -------------------------------------------------------------------
lint_venv=""
for version in "$MAIN_PYTHON" "${PYTHONS[@]}"; do
    if [ -z "$lint_venv" ] && [ -n "${VENV[$version]:-}" ]; then lint_venv=${VENV[$version]}; fi
done
if [ -n "$lint_venv" ]; then
    echo "== ruff"
    "$lint_venv/bin/ruff" check src tests examples benchmarks
    "$lint_venv/bin/ruff" format --check src
    echo "== mypy --strict"
    "$lint_venv/bin/mypy" src/errorlens
fi

# -- the tests, one version after another ---------------------------------------------------
# One after another, not in parallel: the suite has loopback servers, subprocesses and
# background exporters, and on a 2-core machine the versions would only slow each other.
summary=()
failed=0
total_passed=0
total_failed=0
for version in "${PYTHONS[@]}"; do
    venv=${VENV[$version]:-}
    if [ -z "$venv" ]; then continue; fi
    selection=()
    scope="the whole suite"
    if [ "$version" != "$MAIN_PYTHON" ]; then
        selection=(-m "not integration")
        scope="all but the integration tests"
    fi
    echo "== pytest, Python $version: $scope"
    log=$(mktemp)
    started=$SECONDS
    set +e
    "$venv/bin/python" -m pytest -q ${selection[@]+"${selection[@]}"} "$@" 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    set -e
    seconds=$((SECONDS - started))
    closing=$(grep -E '(passed|failed|errors?|skipped|xfailed|xpassed|deselected|no tests ran).* in [0-9.]+s' "$log" |
        tail -n 1 | sed -E 's/^=+ //; s/ =+$//' || true)
    rm -f "$log"
    passed=$(count passed)
    failures=$(($(count failed) + $(count 'errors?')))
    if [ "$status" = 5 ] && [ $# -gt 0 ]; then
        status=0 # the arguments select nothing on this version (integration tests only, say)
    elif [ "$status" != 0 ] && [ "$failures" = 0 ]; then
        failures=1 # pytest failed without a failed test (a collection or usage error)
    fi
    if [ "$status" != 0 ]; then failed=1; fi
    total_passed=$((total_passed + passed))
    total_failed=$((total_failed + failures))
    summary+=("$(printf '%-5s %-32s %4d s  %s' "$version" "($scope)" "$seconds" "${closing:-exit $status}")")
done

echo "== matrix"
printf '   %s\n' "${summary[@]}"
if [ ${#missing[@]} -gt 0 ]; then echo "   not run (no interpreter): ${missing[*]}"; fi
echo "matrix: $total_passed passed, $total_failed failed"
exit "$failed"
