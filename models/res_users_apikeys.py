# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import hashlib
import logging
import re

from odoo import api, fields, models, tools
from odoo.exceptions import AccessDenied, AccessError, UserError
from odoo.http import request
from odoo.tools import SQL, sql

from odoo.addons.base.models.res_users import INDEX_SIZE, KEY_CRYPT_CONTEXT

from .. import audit, narrowing, own_connection

_logger = logging.getLogger(__name__)

# Odoo generates keys as 20 random bytes in lowercase hexadecimal.
KEY_PATTERN = re.compile(r"[0-9a-f]{40}")

KEY_STATES = [
    ("active", "Active"),
    ("suspended", "Suspended"),
    ("revoked", "Revoked"),
]


class ResUsersApikeys(models.Model):
    _inherit = "res.users.apikeys"

    role_id = fields.Many2one(
        "res.users.role",
        string="Role",
        readonly=True,
        help="The key's rights are those of its owner narrowed to this role. "
        "Empty: the key has all the rights of its owner.",
    )
    state = fields.Selection(
        KEY_STATES,
        required=True,
        readonly=True,
        default="active",
        help="Only active keys authenticate. A revoked key can never be resumed.",
    )
    role_name = fields.Char(related="role_id.name", string="Role Name")
    last_used = fields.Datetime(compute="_compute_usage")
    call_count = fields.Integer(string="Calls", compute="_compute_usage")

    def init(self):
        result = super().init()
        # The table is created by hand (`_auto = False`), and `auth_totp.device`
        # shares this model's fields on a table of its own: both need the columns.
        cr = self.env.cr
        tables = [self._table]
        if self._name == "res.users.apikeys" and sql.table_exists(
            cr, "auth_totp_device"
        ):
            tables.append("auth_totp_device")
        for table in tables:
            if not sql.column_exists(cr, table, "state"):
                cr.execute(
                    SQL(
                        "ALTER TABLE %s ADD COLUMN state varchar "
                        "NOT NULL DEFAULT 'active'",
                        SQL.identifier(table),
                    )
                )
            if not sql.column_exists(cr, table, "role_id"):
                sql.create_column(cr, table, "role_id", "int4")
        if self._name == "res.users.apikeys" and not sql.get_foreign_keys(
            cr, self._table, "role_id", "res_users_role", "id", "restrict"
        ):
            # A deleted role must never leave its keys with the owner's full
            # rights: roles are detached from their keys (revoked) in
            # `res.users.role.unlink()`, and the database refuses anything else.
            sql.add_foreign_key(
                cr, self._table, "role_id", "res_users_role", "id", "restrict"
            )
        return result

    @api.model
    def _add_foreign_key_from(self, table, column, ondelete):
        """Make ``table.column`` reference API keys: the ORM adds no foreign key
        towards a table it does not manage, so `ondelete` would do nothing."""
        if not sql.get_foreign_keys(
            self.env.cr, table, column, "res_users_apikeys", "id", ondelete
        ):
            sql.add_foreign_key(
                self.env.cr, table, column, "res_users_apikeys", "id", ondelete
            )

    def _compute_usage(self):
        """Count the calls each key authenticated: those counted until the
        key's usage date, and those of its audit rows since."""
        usage_by_key = {}
        if self._name == "res.users.apikeys" and self.ids:
            self.env.cr.execute(
                SQL(
                    """
                    SELECT key.id,
                           coalesce(usage.call_count, 0) + count(request.id),
                           greatest(usage.last_used, max(request.request_date))
                      FROM unnest(%(keys)s::int[]) AS key(id)
                      LEFT JOIN res_users_apikeys_usage usage
                        ON usage.key_id = key.id
                      LEFT JOIN mcp_audit_request request
                        ON request.key_ref = key.id
                       AND request.key_accepted
                       AND request.request_date
                           >= coalesce(usage.counted_before, '-infinity')
                     GROUP BY key.id, usage.call_count, usage.last_used
                    """,
                    keys=list(self.ids),
                )
            )
            usage_by_key = {
                key_id: (calls, last_used)
                for key_id, calls, last_used in self.env.cr.fetchall()
            }
        for key in self:
            calls, last_used = usage_by_key.get(key.id, (0, None))
            key.call_count = calls
            key.last_used = last_used or False

    # Authentication

    def _check_credentials(self, *, scope, key):
        if self._name != "res.users.apikeys":
            return super()._check_credentials(scope=scope, key=key)
        # an RPC call may name another database than the one it was routed to
        audit.note_database(self.env.cr.dbname)
        if audit.current_call() is None:
            # Served without the database's routes (a server hosting several
            # databases, with no dbfilter nor X-Odoo-Database header), the
            # call could not be audited: keys are refused there.
            return self._refuse(self._find_key_id(key), "not routed to a database")
        grant = self._grant_for_key(scope, key)
        if grant is None:
            return None
        narrowing.activate(self.env, grant)
        audit.note_grant(grant)
        return grant.user_id

    def _grant_for_key(self, scope, key):
        """Return the grant of ``key`` for ``scope``, or None if it is refused.

        The key's identity may come from a cache, but its state, expiry, owner
        and role are read from the database on every call: a change made by
        any worker or server sharing the database holds from the next call.
        """
        key_id = self._find_key_id(key)
        if not key_id:
            return self._refuse(None, "unknown key")

        row = own_connection.fetchone(
            self.env.cr,
            SQL(
                """
                SELECT apikey.user_id, apikey.name, apikey.scope, apikey.state,
                       apikey.role_id, owner.active,
                       apikey.expiration_date < now() at time zone 'utc',
                       EXISTS (
                           SELECT FROM res_users_role_line line
                            WHERE line.user_id = apikey.user_id
                              AND line.role_id = apikey.role_id
                              AND (line.date_from IS NULL
                                   OR line.date_from <= current_date)
                              AND (line.date_to IS NULL
                                   OR line.date_to >= current_date)
                       )
                  FROM res_users_apikeys apikey
                  JOIN res_users owner ON owner.id = apikey.user_id
                 WHERE apikey.id = %s
                """,
                key_id,
            ),
        )
        if row is None:
            return self._refuse(key_id, "deleted")
        (
            user_id,
            key_name,
            key_scope,
            state,
            role_id,
            owner_active,
            expired,
            role_held,
        ) = row
        if key_scope and key_scope != scope:
            return self._refuse(key_id, f"scope {key_scope!r} is not {scope!r}")
        if state != "active":
            return self._refuse(key_id, state)
        if expired:
            return self._refuse(key_id, "expired")
        if not owner_active:
            return self._refuse(key_id, "owner archived")
        if not role_id:
            return narrowing.KeyGrant(
                self.env.cr.dbname, user_id, key_id, key_name, None, None
            )

        if not role_held:
            return self._refuse(key_id, "role no longer held by its owner")
        group_ids = self._role_group_ids(user_id, role_id)
        if group_ids is None:
            return self._refuse(key_id, "role lacks the owner's user type")
        return narrowing.KeyGrant(
            self.env.cr.dbname, user_id, key_id, key_name, role_id, group_ids
        )

    def _find_key_id(self, key):
        """Return the id of the stored key ``key``, or None."""
        if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
            return None
        digest = hashlib.sha256(key.encode()).hexdigest()
        try:
            return self._verified_key_id(digest, key)
        except AccessDenied:
            return None

    @tools.ormcache("digest")
    def _verified_key_id(self, digest, key):
        """Return the id of the key whose secret is ``key`` (of hash ``digest``).

        A key's secret never changes and key ids are never reused, so this
        answer holds for the life of the process; only the digest is kept as
        the cache key. Raises AccessDenied when no key matches, so that misses
        are never cached.
        """
        self.env.cr.execute(
            SQL(
                "SELECT id, key FROM res_users_apikeys WHERE index = %s",
                key[:INDEX_SIZE],
            )
        )
        for key_id, hashed_key in self.env.cr.fetchall():
            if KEY_CRYPT_CONTEXT.verify(key, hashed_key):
                return key_id
        raise AccessDenied()

    @tools.ormcache("user_id", "role_id")
    def _role_group_ids(self, user_id, role_id):
        """Return the groups a key bound to ``role_id`` grants ``user_id``,
        closed under implication, or None if they lack the user's type.

        Plain SQL on purpose: this runs during authentication, before the
        environment has a user to compute groups with. Cached like core's own
        group caches, which every change of a user's or a group's groups
        clears; whether the user still holds the role is checked on each call.
        """
        self.env.cr.execute(
            SQL(
                """
                WITH RECURSIVE role_groups(id) AS (
                    SELECT group_id FROM res_users_role WHERE id = %(role)s
                    UNION
                    SELECT implied.hid
                      FROM res_groups_implied_rel implied
                      JOIN role_groups ON role_groups.id = implied.gid
                ), owner_groups(id) AS (
                    SELECT gid FROM res_groups_users_rel WHERE uid = %(user)s
                    UNION
                    SELECT implied.hid
                      FROM res_groups_implied_rel implied
                      JOIN owner_groups ON owner_groups.id = implied.gid
                ), user_types AS (
                    SELECT res_id AS id
                      FROM ir_model_data
                     WHERE module = 'base' AND model = 'res.groups'
                       AND name IN ('group_user', 'group_portal', 'group_public')
                )
                SELECT ARRAY(SELECT id FROM role_groups
                             INTERSECT
                             SELECT id FROM owner_groups
                             ORDER BY 1),
                       ARRAY(SELECT id FROM owner_groups
                             INTERSECT
                             SELECT id FROM user_types)
                """,
                role=role_id,
                user=user_id,
            )
        )
        group_ids, owner_type_ids = self.env.cr.fetchone()
        # Without its owner's user type (employee, portal...) a key would make
        # a user of no type, which core checks such as `share` do not expect.
        if not owner_type_ids or not set(owner_type_ids) <= set(group_ids):
            return None
        return tuple(group_ids)

    def _refuse(self, key_id, reason):
        _logger.warning(
            "API key #%s refused: %s (from %s)",
            key_id or "?",
            reason,
            self._remote_address(),
        )
        audit.note_refusal(key_id, reason)

    @api.model
    def _remote_address(self):
        # (behind a proxy, the address is what the client says it is)
        if not request:
            return "n/a"
        return audit.clip(request.httprequest.remote_addr, audit.ADDRESS_SIZE)

    # Lifecycle

    def action_suspend(self):
        """Stop the keys from authenticating until they are resumed."""
        return self._change_state("suspended", ["active"], "suspended")

    def action_resume(self):
        """Let suspended keys authenticate again."""
        return self._change_state("active", ["suspended"], "resumed")

    def action_revoke(self):
        """Stop the keys from authenticating, for good."""
        return self._change_state("revoked", ["active", "suspended"], "revoked")

    def _change_state(self, state, from_states, change):
        self._check_can_manage()
        state_labels = dict(self._fields["state"]._description_selection(self.env))
        for key in self:
            if key.state not in from_states:
                raise UserError(
                    self.env._(
                        "The API key %(key)s is %(state)s.",
                        key=key.name,
                        state=state_labels[key.state],
                    )
                )
        self.sudo().write({"state": state})
        _logger.info(
            "API key(s) %s %s by %s (#%s) from %s",
            self.ids,
            change,
            self.env.user.login,
            self.env.uid,
            self._remote_address(),
        )
        return True

    def _check_can_manage(self):
        # A key limited to a role manages keys only if its role makes it an
        # administrator; otherwise owners manage their own keys.
        if self.env.su or self.env.user.has_group(
            "pan_mcp_pro_governance.group_mcp_manager"
        ):
            return
        if narrowing.narrowed_grant(self.env) is None and all(
            key.user_id == self.env.user for key in self.sudo()
        ):
            return
        raise AccessError(
            self.env._("Only their owner or an administrator can manage API keys.")
        )
