# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL


class ResUsersApikeysUsage(models.Model):
    """The calls of each API key counted from its audit rows, up to a date.

    A key's usage is counted from its audit rows: the rows of its calls are
    written anyway, and a counter of its own would be one row that all of
    the key's concurrent calls update. A daily job counts the rows of the
    past day here, so that showing a key reads only its rows since; the
    retention adds the rows it deletes that were not counted yet, so that a
    key's count and last use outlive its rows.
    """

    _name = "res.users.apikeys.usage"
    _description = "API Key Usage"
    _log_access = False

    key_id = fields.Many2one(
        "res.users.apikeys", required=True, readonly=True, ondelete="cascade"
    )
    call_count = fields.Integer(readonly=True)
    last_used = fields.Datetime(readonly=True)
    counted_before = fields.Datetime(
        readonly=True,
        help="The calls made before this date are counted here; empty: only "
        "those whose audit rows the retention deleted.",
    )

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
        key_ref, key_accepted and request_date) not counted yet. Keys deleted
        meanwhile are left out: their usage went with them."""
        return SQL(
            """
            INSERT INTO %(table)s AS usage (key_id, call_count, last_used)
            SELECT apikey.id, count(*), max(expired.request_date)
              FROM %(expired)s AS expired
              JOIN res_users_apikeys apikey ON apikey.id = expired.key_ref
              LEFT JOIN %(table)s AS counted ON counted.key_id = apikey.id
             WHERE expired.key_accepted
               AND expired.request_date
                   >= coalesce(counted.counted_before, '-infinity')
             GROUP BY apikey.id
            ON CONFLICT (key_id) DO UPDATE
               SET call_count = usage.call_count + excluded.call_count,
                   last_used = greatest(usage.last_used, excluded.last_used)
            """,
            table=SQL.identifier(self._table),
            expired=SQL.identifier(expired),
        )

    @api.autovacuum
    def _count_past_calls(self):
        """Count, for every key, the calls of its audit rows made before an
        hour ago and not counted yet.

        An hour back, not now: a call's row is dated when it is written and
        committed at once, so that no row may appear later before that date.
        """
        until = fields.Datetime.now() - timedelta(hours=1)
        self.env.cr.execute(
            SQL(
                """
                WITH bounds AS (
                    SELECT apikey.id AS key_id, usage.counted_before AS since
                      FROM res_users_apikeys apikey
                      LEFT JOIN %(table)s usage ON usage.key_id = apikey.id
                ), counted AS (
                    SELECT bounds.key_id, count(request.id) AS calls,
                           max(request.request_date) AS last_used
                      FROM bounds
                      LEFT JOIN mcp_audit_request request
                        ON request.key_ref = bounds.key_id
                       AND request.key_accepted
                       AND request.request_date
                           >= coalesce(bounds.since, '-infinity')
                       AND request.request_date < %(until)s
                     GROUP BY bounds.key_id
                )
                INSERT INTO %(table)s AS usage (
                    key_id, call_count, last_used, counted_before
                )
                SELECT key_id, calls, last_used, %(until)s FROM counted
                ON CONFLICT (key_id) DO UPDATE
                   SET call_count = usage.call_count + excluded.call_count,
                       last_used = greatest(usage.last_used, excluded.last_used),
                       counted_before = excluded.counted_before
                """,
                table=SQL.identifier(self._table),
                until=until,
            )
        )
        self.invalidate_model()
