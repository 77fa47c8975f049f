# shellcheck shell=bash
# Shared by scripts/serve.sh and scripts/test.sh: checks the prerequisites
# (Odoo 19.0 importable, PostgreSQL up) and installs the addon in editable mode.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ADDON=pan_mcp_pro_governance
PYTHON="${PYTHON:-python3}"
DB_HOST="${DB_HOST:-127.0.0.1}"
DB_PORT="${DB_PORT:-5432}"
# Odoo refuses to connect as the `postgres` superuser role.
DB_USER="${DB_USER:-$(id -un)}"
export PIP_ROOT_USER_ACTION=ignore PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1

die() {
    echo "ERROR: $*" >&2
    exit 1
}

step() {
    echo "==> $*"
}

# Odoo 19.0 is a prerequisite: installed from source with `pip install -e`,
# so that both `import odoo` works and pip knows the `odoo` distribution.
check_odoo() {
    step "checking that $PYTHON imports Odoo 19.0"
    command -v "$PYTHON" >/dev/null || die "$PYTHON not found (set PYTHON=...)"
    local out
    if ! out="$("$PYTHON" - 2>&1 <<'PY'
import os
import sys

try:
    import odoo.release
except ImportError as exc:
    sys.exit(f"`import odoo.release` failed with {sys.executable}: {exc}")
where = os.path.dirname(os.path.dirname(odoo.release.__file__))
if odoo.release.version_info[:2] != (19, 0):
    sys.exit(f"Odoo 19.0 is required, found Odoo {odoo.release.version} in {where}")
from importlib import metadata

try:
    metadata.version("odoo")
except metadata.PackageNotFoundError:
    sys.exit(
        f"Odoo {odoo.release.version} imports from {where} but pip does not know "
        "the `odoo` distribution: install it with `pip install -e <odoo source>`"
    )
print(f"Odoo {odoo.release.version} from {where}")
PY
)"; then
        die "Odoo 19.0 is not importable: $out
Install Odoo 19.0 from source as Odoo's documentation describes, in the Python
environment of $PYTHON, with \`pip install -e <odoo source>\`."
    fi
    echo "$out"
}

# Start the local PostgreSQL cluster if it is down (Debian's pg_ctlcluster).
ensure_postgres() {
    step "checking PostgreSQL at $DB_HOST:$DB_PORT"
    command -v pg_isready >/dev/null || die "PostgreSQL client tools not found"
    if ! pg_isready -q -h "$DB_HOST" -p "$DB_PORT"; then
        if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
            local version
            for version in /etc/postgresql/*/; do
                version="$(basename "$version")"
                pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
            done
        fi
        local _
        for _ in $(seq 30); do
            pg_isready -q -h "$DB_HOST" -p "$DB_PORT" && break
            sleep 1
        done
        pg_isready -q -h "$DB_HOST" -p "$DB_PORT" ||
            die "PostgreSQL is not running at $DB_HOST:$DB_PORT"
    fi
    if ! psql_q postgres -c "select 1" >/dev/null 2>&1; then
        # trust auth: let the postgres superuser create our role
        createuser -w -h "$DB_HOST" -p "$DB_PORT" -U postgres --superuser "$DB_USER" ||
            die "cannot connect to PostgreSQL as role $DB_USER"
    fi
}

psql_q() {
    local db="$1"
    shift
    psql -X -w -q -t -A -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" -d "$db" "$@"
}

db_exists() {
    [ "$(psql_q postgres -c "select 1 from pg_database where datname = '$1'")" = 1 ]
}

# Install the addon (and, from PyPI, the OCA addons it depends on) in editable
# mode, then make sure Odoo will load it from this checkout.
install_addon() {
    step "pip install -e $ROOT"
    local log
    log="$(mktemp)"
    if ! "$PYTHON" -m pip install --progress-bar off -e "$ROOT" >"$log" 2>&1; then
        cat "$log" >&2
        die "pip install -e $ROOT failed"
    fi
    grep -E '^Successfully installed' "$log" || true
    rm -f "$log"
    # (found, not imported: its imports may need addons that only Odoo's own
    # addons path provides)
    ADDON_DIR="$("$PYTHON" -c "
import importlib.util, os
spec = importlib.util.find_spec('odoo.addons.$ADDON')
print(os.path.dirname(spec.origin))")" || die "odoo.addons.$ADDON is not installed"
    [ "$(realpath "$ADDON_DIR")" = "$(realpath "$ROOT")" ] ||
        die "odoo.addons.$ADDON is $ADDON_DIR, not this checkout ($ROOT)"
    echo "odoo.addons.$ADDON -> $ADDON_DIR"
}
