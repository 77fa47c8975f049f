# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.tools import SQL


class ResUsersApikeysUsage(models.Model):
    """How often and how lately each API key was used.

    Kept apart from the key row so that counting never locks the key: an
    administrator suspending a key must not wait for, nor conflict with, the
    calls it is making.
    """

    _name = "res.users.apikeys.usage"
    _description = "API Key Usage"
    _log_access = False

    key_id = fields.Many2one(
        "res.users.apikeys", required=True, readonly=True, ondelete="cascade"
    )
    call_count = fields.Integer(readonly=True)
    last_used = fields.Datetime(readonly=True)

    _key_unique = models.Constraint("UNIQUE (key_id)", "One usage row per API key.")

    def init(self):
        result = super().init()
        self.env["res.users.apikeys"]._add_foreign_key_from(
            self._table, "key_id", "cascade"
        )
        return result

    @api.model
    def _count_call_query(self, key_id):
        """Return the query counting one call of the key ``key_id``, now.

        Meant for a transaction of its own, committed at once, under READ
        COMMITTED: concurrent increments then queue on the row for microseconds
        instead of failing with serialization errors, as they would under
        Odoo's REPEATABLE READ. A key deleted meanwhile is not counted.
        """
        return SQL(
            """
                INSERT INTO %(table)s AS usage (key_id, call_count, last_used)
                SELECT id, 1, now() at time zone 'utc'
                  FROM res_users_apikeys
                 WHERE id = %(key)s
                ON CONFLICT (key_id) DO UPDATE
                   SET call_count = usage.call_count + 1,
                       last_used = excluded.last_used
                """,
            table=SQL.identifier(self._table),
            key=key_id,
        )
