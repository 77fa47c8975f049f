# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A key's usage is now counted from its audit rows, and the usage table keeps
only the calls whose rows the retention deleted: mark the rows of the calls a
key authenticated, and take them out of the counts kept until now."""


def migrate(cr, version):
    if not version:
        return
    # Until now, only a key that authenticated the call named itself in the
    # row (key_name): those calls, and only those, were counted.
    cr.execute(
        """
        UPDATE mcp_audit_request
           SET key_accepted = key_ref IS NOT NULL AND key_name IS NOT NULL
        """
    )
    cr.execute(
        """
        UPDATE res_users_apikeys_usage AS usage
           SET call_count = greatest(0, usage.call_count - calls.counted)
          FROM (SELECT key_ref, count(*) AS counted
                  FROM mcp_audit_request
                 WHERE key_accepted
                 GROUP BY key_ref) AS calls
         WHERE calls.key_ref = usage.key_id
        """
    )
