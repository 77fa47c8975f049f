#!/usr/bin/env bash
# Run the addon's whole test suite with pytest (pytest-odoo) on a fresh
# database $DB (mcp_pro_test): dropped, then created with the addon installed.
# Any WARNING, ERROR or CRITICAL record that Odoo logs while installing or
# testing fails the run (checklog-odoo, ignores in checklog-odoo.cfg).
# Extra arguments go to pytest, e.g. `scripts/test.sh -k lifecycle`.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB="${DB:-mcp_pro_test}"

check_odoo
ensure_postgres
install_addon
step "installing test dependencies (test-requirements.txt)"
"$PYTHON" -m pip install --quiet --progress-bar off -r "$ROOT/test-requirements.txt" ||
    die "installing test-requirements.txt failed"

WORKDIR="$(mktemp -d "${TMPDIR:-/tmp}/mcp_pro_test.XXXXXX")"
CONFIG="$WORKDIR/odoo.cfg"
INSTALL_LOG="$WORKDIR/odoo-install.log"
TEST_LOG="$WORKDIR/odoo-test.log"
cat >"$CONFIG" <<CFG
[options]
db_host = $DB_HOST
db_port = $DB_PORT
db_user = $DB_USER
http_interface = 127.0.0.1
data_dir = $WORKDIR/data
log_level = info
CFG

# Fail on log records at WARNING and above, printing them and the log's path.
checklog() {
    local logfile="$1" what="$2" out
    if ! out="$(cd "$ROOT" && "$PYTHON" -m checklog_odoo \
        --config "$ROOT/checklog-odoo.cfg" --no-echo "$logfile" 2>&1)"; then
        echo "$out" >&2
        die "Odoo logged warnings or errors while $what; full log: $logfile"
    fi
}

step "creating database $DB with $ADDON installed (log: $INSTALL_LOG)"
dropdb -w -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" --if-exists "$DB"
if ! "$PYTHON" -m odoo --config="$CONFIG" --logfile="$INSTALL_LOG" --database="$DB" \
    --init="$ADDON" --without-demo --stop-after-init; then
    tail -n 50 "$INSTALL_LOG" >&2 || true
    die "installing $ADDON failed; full log: $INSTALL_LOG"
fi
checklog "$INSTALL_LOG" "installing $ADDON"

command -v chromium >/dev/null || command -v google-chrome >/dev/null ||
    echo "note: no Chromium on PATH: browser tests (tours) would fail"
step "running pytest on $ADDON_DIR/tests (Odoo log: $TEST_LOG)"
# Collect through the path of odoo.addons.$ADDON (the editable install's link,
# never resolved by pytest): pytest-odoo then imports the test modules as
# odoo.addons.$ADDON.tests.*, whatever the name of this checkout's folder.
set +e
"$PYTHON" -m pytest --odoo-config="$CONFIG" --odoo-database="$DB" --odoo-http \
    --odoo-log-level=info --odoo-extra="logfile=$TEST_LOG" "$ADDON_DIR/tests" "$@"
status=$?
set -e
case $status in
0) ;;
5) die "pytest ran no test (none collected, or all deselected); Odoo log: $TEST_LOG" ;;
*) die "pytest failed (exit code $status); Odoo log: $TEST_LOG" ;;
esac
checklog "$TEST_LOG" "running the tests"
