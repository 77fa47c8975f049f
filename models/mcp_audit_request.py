# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..audit import (
    ADDRESS_SIZE,
    ERROR_MESSAGE_SIZE,
    HTTP_METHOD_SIZE,
    METHOD_SIZE,
    PATH_SIZE,
    USER_AGENT_SIZE,
    clip,
)

_logger = logging.getLogger(__name__)

RETENTION_PARAMETER = "pan_mcp_pro_governance.audit_retention_days"
DEFAULT_RETENTION_DAYS = 180
# Rows deleted per transaction by the retention job: small enough never to
# hold locks for long, large enough to clear a backlog in minutes.
RETENTION_CHUNK = 20000

ROUTE_KINDS = [
    ("json2", "JSON-2"),
    ("json1", "JSON-1"),
    ("jsonrpc", "JSON-RPC"),
    ("xmlrpc", "XML-RPC"),
    ("other", "Other"),
]
STATUS_CLASSES = [
    ("2xx", "Success"),
    ("4xx", "Refused"),
    ("5xx", "Failed"),
]


class McpAuditRequest(models.Model):
    """One inbound API call: who made it, with which key, and what came of it.

    Rows are written by the HTTP layer on a cursor of their own, so they
    survive the rollback of the call they describe. No group may create,
    change or delete them: only the retention job deletes them.
    """

    _name = "mcp.audit.request"
    _description = "API Call"
    _order = "id desc"
    _rec_name = "request_uid"
    _log_access = False

    request_uid = fields.Char(string="Request ID", required=True, readonly=True)
    request_date = fields.Datetime(
        string="Date", required=True, readonly=True, index=True
    )
    route_kind = fields.Selection(ROUTE_KINDS, string="Route", readonly=True)
    http_method = fields.Char(string="HTTP Method", readonly=True)
    path = fields.Char(readonly=True)
    model_name = fields.Char(string="Model", readonly=True, index=True)
    method_name = fields.Char(string="Method", readonly=True)
    status = fields.Integer(readonly=True, aggregator=False)
    status_class = fields.Selection(STATUS_CLASSES, readonly=True, index=True)
    duration_ms = fields.Float(string="Duration (ms)", readonly=True, digits=(16, 1))
    user_id = fields.Many2one("res.users", string="User", readonly=True, index=True)
    key_id = fields.Many2one(
        "res.users.apikeys",
        string="API Key",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
    )
    # snapshots, so that the row still names its key once the key is deleted
    key_ref = fields.Integer(string="Key ID", readonly=True, aggregator=False)
    key_name = fields.Char(readonly=True)
    key_accepted = fields.Boolean(
        readonly=True,
        help="The key authenticated the call: it counts among the key's calls.",
    )
    role_id = fields.Many2one(
        "res.users.role",
        string="Role",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
    )
    remote_address = fields.Char(readonly=True)
    user_agent = fields.Char(readonly=True)
    session_hash = fields.Char(
        readonly=True, help="SHA-256 of the session id, never the id itself."
    )
    error_message = fields.Char(readonly=True)
    error_count = fields.Integer(
        string="Errors", readonly=True, help="1 for a refused or failed call."
    )
    # Linked by request id rather than a foreign key: the changes are written
    # by the call's transaction, before this row exists.
    auditlog_log_ids = fields.Many2many(
        "auditlog.log", string="Changes", compute="_compute_auditlog_log_ids"
    )

    _request_uid_unique = models.Constraint(
        "UNIQUE (request_uid)", "The request id of an API call is unique."
    )
    # the calls of a key, and its usage counted from the index alone
    _key_usage_index = models.Index("(key_ref, request_date) INCLUDE (key_accepted)")
    _user_date_index = models.Index("(user_id, request_date)")

    def init(self):
        result = super().init()
        # The ORM adds no foreign key towards API keys, whose table it does not
        # manage: without one, a deleted key would leave its calls dangling.
        self.env["res.users.apikeys"]._add_foreign_key_from(
            self._table, "key_id", "set null"
        )
        return result

    def _compute_auditlog_log_ids(self):
        logs = (
            self.env["auditlog.log"]
            .sudo()
            .search([("mcp_request_uid", "in", self.mapped("request_uid"))])
        )
        logs_by_uid = {}
        for log in logs:
            logs_by_uid.setdefault(log.mcp_request_uid, []).append(log.id)
        for row in self:
            row.auditlog_log_ids = logs_by_uid.get(row.request_uid, [])

    @classmethod
    def _row_query(cls, call, status, error_message):
        """Return the query inserting the row of ``call``, which ended with
        ``status``.

        One statement, prepared once per process: each call pays for it. A
        client may put its key where no key belongs (a path, an id, a domain,
        a header): what clients send is redacted, then cut (see
        `audit.clip`), so that what looks like a key is never stored. Written
        twice, the row is kept once. A class method: the row is written once
        the request's cursor is closed, with no environment.
        """
        return SQL(
            """
            INSERT INTO %(table)s (
                request_uid, request_date, route_kind, http_method, path,
                model_name, method_name, status, status_class, duration_ms,
                user_id, key_id, key_ref, key_name, key_accepted, role_id,
                remote_address, user_agent, session_hash, error_message,
                error_count
            )
            VALUES (
                %(uid)s, now() at time zone 'utc', %(kind)s, %(verb)s, %(path)s,
                %(model)s, %(method)s, %(status)s, %(status_class)s,
                %(duration)s,
                (SELECT id FROM res_users WHERE id = %(user)s),
                (SELECT id FROM res_users_apikeys WHERE id = %(key)s),
                %(key)s, %(key_name)s, %(key_accepted)s,
                (SELECT id FROM res_users_role WHERE id = %(role)s),
                %(address)s, %(agent)s, %(session)s, %(error)s, %(errors)s
            )
            ON CONFLICT (request_uid) DO NOTHING
            """,
            table=SQL.identifier(cls._table),
            uid=call.request_uid,
            kind=call.route_kind,
            verb=clip(call.http_method, HTTP_METHOD_SIZE),
            path=clip(call.path, PATH_SIZE),
            model=clip(call.model_name, PATH_SIZE),
            method=clip(call.method_name, METHOD_SIZE),
            status=status,
            status_class=status_class(status),
            duration=round(call.duration_ms, 1),
            user=call.user_id,
            key=call.key_id,
            key_name=call.key_name,
            key_accepted=bool(call.key_id and not call.refusal),
            role=call.role_id,
            address=clip(call.remote_address, ADDRESS_SIZE),
            agent=clip(call.user_agent, USER_AGENT_SIZE),
            session=call.session_hash,
            error=clip(error_message, ERROR_MESSAGE_SIZE),
            errors=int(status_class(status) != "2xx"),
        )

    @api.model
    def _retention_days(self):
        parameter = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(RETENTION_PARAMETER, DEFAULT_RETENTION_DAYS)
        )
        try:
            return int(parameter)
        except ValueError:
            _logger.warning(
                "Ignoring %s=%r: not a number of days", RETENTION_PARAMETER, parameter
            )
            return DEFAULT_RETENTION_DAYS

    @api.autovacuum
    def _gc_expired_requests(self):
        """Delete the calls older than the retention, with their changes,
        adding the calls of each key to the usage that outlives them.

        One bounded chunk per run: the vacuum cleaner commits it and runs this
        again while some remain, so writers are never blocked for long.
        """
        days = self._retention_days()
        if days <= 0:
            return 0, 0
        cutoff = fields.Datetime.now() - timedelta(days=days)
        self.env.cr.execute(
            SQL(
                """
                WITH expired AS (
                    SELECT id, request_uid, request_date, key_ref, key_accepted
                      FROM mcp_audit_request
                     WHERE request_date < %(cutoff)s
                     ORDER BY request_date
                     LIMIT %(chunk)s
                       FOR UPDATE SKIP LOCKED
                ), expired_changes AS (
                    DELETE FROM auditlog_log
                     WHERE mcp_request_uid IN (SELECT request_uid FROM expired)
                ), expired_usage AS (
                    %(fold_usage)s
                )
                DELETE FROM mcp_audit_request
                 WHERE id IN (SELECT id FROM expired)
                """,
                cutoff=cutoff,
                chunk=RETENTION_CHUNK,
                fold_usage=self.env["res.users.apikeys.usage"]._fold_query("expired"),
            )
        )
        deleted = self.env.cr.rowcount
        for model_name in (self._name, "auditlog.log", "res.users.apikeys.usage"):
            self.env[model_name].invalidate_model()
        _logger.info("Retention: %s API calls older than %s deleted", deleted, cutoff)
        return deleted, int(deleted == RETENTION_CHUNK)


def status_class(status):
    if status and status < 400:
        return "2xx"
    if status and status < 500:
        return "4xx"
    return "5xx"
