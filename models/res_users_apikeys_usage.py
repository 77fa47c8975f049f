# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models
from odoo.tools import SQL


class ResUsersApikeysUsage(models.Model):
    """The calls of each API key whose audit rows the retention deleted.

    A key's usage is counted from its audit rows: the rows of its calls are
    written anyway, and a counter of its own would be one row that all of
    the key's concurrent calls update. Only the retention writes here, what
    it deletes, so that a key's count and last use outlive its rows.
    """

    _name = "res.users.apikeys.usage"
    _description = "API Key Usage Before Retention"
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

    def _fold_query(self, expired):
        """Return the query adding to the usage of their keys the calls of
        the audit rows ``expired`` (a table or CTE name, with the columns
        key_ref, key_accepted and request_date). Keys deleted meanwhile are
        left out: their usage went with them."""
        return SQL(
            """
            INSERT INTO %(table)s AS usage (key_id, call_count, last_used)
            SELECT apikey.id, count(*), max(expired.request_date)
              FROM %(expired)s AS expired
              JOIN res_users_apikeys apikey ON apikey.id = expired.key_ref
             WHERE expired.key_accepted
             GROUP BY apikey.id
            ON CONFLICT (key_id) DO UPDATE
               SET call_count = usage.call_count + excluded.call_count,
                   last_used = greatest(usage.last_used, excluded.last_used)
            """,
            table=SQL.identifier(self._table),
            expired=SQL.identifier(expired),
        )
