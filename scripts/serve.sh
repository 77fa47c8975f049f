#!/usr/bin/env bash
# Serve Odoo on http://127.0.0.1:8069 with the database $DB (mcp_pro), which is
# created with the addon installed when missing, and served as it is otherwise.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB="${DB:-mcp_pro}"
HTTP_PORT="${HTTP_PORT:-8069}"
# WITH_DEMO=1 loads Odoo's demo data when the database is created.
WITH_DEMO="${WITH_DEMO:-0}"

check_odoo
ensure_postgres
install_addon

odoo_args=(
    --db_host="$DB_HOST" --db_port="$DB_PORT" --db_user="$DB_USER"
    --database="$DB" --db-filter="^$DB\$" --http-interface=127.0.0.1
)
state=""
if db_exists "$DB"; then
    state="$(psql_q "$DB" -c \
        "select state from ir_module_module where name = '$ADDON'" 2>/dev/null || true)"
fi
if [ "$state" != installed ]; then
    step "installing $ADDON in database $DB"
    demo=--without-demo
    [ "$WITH_DEMO" = 1 ] && demo=--with-demo
    "$PYTHON" -m odoo "${odoo_args[@]}" --init="$ADDON" "$demo" --stop-after-init \
        --log-level=warn || die "installing $ADDON in $DB failed"
fi
step "serving database $DB on http://127.0.0.1:$HTTP_PORT (admin/admin if new)"
exec "$PYTHON" -m odoo "${odoo_args[@]}" --http-port="$HTTP_PORT"
