# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import hashlib
import json
import uuid
import xmlrpc.client
from typing import NamedTuple

from odoo.fields import Command
from odoo.tests import tagged
from odoo.tools import SQL

from .common import ApiKeyCase

# The headers a browser adds to a top-level navigation: with them, /json/2
# accepts the caller's session instead of a key (core's CSRF protection).
BROWSER_FETCH_HEADERS = {
    "Sec-Fetch-Dest": "document",
    "Sec-Fetch-Mode": "navigate",
    "Sec-Fetch-Site": "same-origin",
    "Sec-Fetch-User": "?1",
}

# The tables where the audit and OCA auditlog keep what they record.
AUDIT_TABLES = (
    "mcp_audit_request",
    "auditlog_log",
    "auditlog_log_line",
    "auditlog_http_request",
    "auditlog_http_session",
)


class Reply(NamedTuple):
    """What a client received, whatever the route.

    ``error`` is the exception name on /json/2 and /jsonrpc, the fault code on
    /xmlrpc; None for a success.
    """

    route: str
    status: int | None
    result: object
    error: object
    headers: dict


def sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()


class AuditRowsMixin:
    """Read, write and search the audit rows of a test."""

    def last_row_id(self):
        self.env.cr.execute("SELECT COALESCE(MAX(id), 0) FROM mcp_audit_request")
        return self.env.cr.fetchone()[0]

    def rows_after(self, row_id):
        """Return the audit rows written after the row ``row_id``."""
        self.env.invalidate_all()
        return self.env["mcp.audit.request"].search([("id", ">", row_id)], order="id")

    def insert_row(self, request_date, **values):
        """Insert the row of a call made at ``request_date``, as the audit
        does (in SQL); return it."""
        values = {
            "request_uid": uuid.uuid4().hex,
            "route_kind": "json2",
            "status": 200,
            "status_class": "2xx",
            **values,
        }
        self.env.cr.execute(
            SQL(
                "INSERT INTO mcp_audit_request (request_date, %s) "
                "VALUES (%s, %s) RETURNING id",
                SQL(", ").join(SQL.identifier(name) for name in values),
                request_date,
                SQL(", ").join(values.values()),
            )
        )
        return self.env["mcp.audit.request"].browse(self.env.cr.fetchone()[0])

    def assertRow(self, row, **expected):
        """Assert the fields of the audit row ``row``, named as in the model;
        records compare by id."""
        values = row.read(list(expected), load=None)[0]
        expected = {
            name: value.id if hasattr(value, "_name") else value
            for name, value in expected.items()
        }
        self.assertEqual({name: values[name] for name in expected}, expected)

    def find_in_audit_tables(self, secret):
        """Return the audit tables whose rows contain ``secret``, in any
        column."""
        tables = []
        for table in AUDIT_TABLES:
            self.env.cr.execute(
                SQL(
                    "SELECT COUNT(*) FROM %s t WHERE strpos(t::text, %s) > 0",
                    SQL.identifier(table),
                    secret,
                )
            )
            if self.env.cr.fetchone()[0]:
                tables.append(table)
        return tables


@tagged("post_install", "-at_install")
class AuditCase(AuditRowsMixin, ApiKeyCase):
    """API calls whose audit rows are read back after the call.

    Besides the owner's keys of `ApiKeyCase`, a key bound to the role
    "Contacts editor" (may change contacts) and one bound to "Contacts reader"
    (may not).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner_rule = cls.env.ref(
            "pan_mcp_pro_governance.auditlog_rule_res_partner"
        )
        # Some test suites (auditlog's own) unpatch every audited model when
        # they end: make sure contacts are audited in this process.
        cls.partner_rule._register_hook()
        cls.editor_key = cls.create_key(cls.owner, cls.editor_role, name="editor key")
        cls.editor_key_record = cls.key_record(cls.editor_key)
        cls.reader_key = cls.create_key(cls.owner, cls.reader_role, name="reader key")

    def enable_post_commit_hooks(self):
        """Run the post-commit hooks of requests until the test ends."""
        self.enterContext(self.post_commit_hooks())

    # Calls

    def send(self, route, key, model, method, ids=None, uid=None, **params):
        """Call ``method`` of ``model`` on ``route`` with ``key`` as the user
        ``uid`` (default: the owner); ``params`` go by name, ``ids`` first."""
        uid = uid or self.owner.id
        if route == "json2":
            if ids is not None:
                params = {"ids": ids, **params}
            status, body, response = self.json2(key, model, method, **params)
            error = None
            if status != 200:
                error = body.get("name") if isinstance(body, dict) else body
            return Reply(route, status, body, error, response.headers)
        args = [ids] if ids is not None else []
        if route == "jsonrpc":
            result, error = self.jsonrpc(key, model, method, *args, uid=uid, **params)
            return Reply(route, 200, result, error and error["data"]["name"], {})
        try:
            result = self.xmlrpc_object.execute_kw(
                self.env.cr.dbname, uid, key, model, method, args, params
            )
        except xmlrpc.client.Fault as fault:
            return Reply(route, 200, fault.faultString, fault.faultCode, {})
        return Reply(route, 200, result, None, {})

    def browser_call_kw(self, model, method, *args, **kwargs):
        """Call ``method`` as the web client does, with the test's session."""
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {
                "model": model,
                "method": method,
                "args": args,
                "kwargs": kwargs,
            },
        }
        response = self.url_open(
            f"/web/dataset/call_kw/{model}/{method}",
            data=json.dumps(payload),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertNotIn("error", body)
        return body["result"]

    def audited(self, route, key, model, method, ids=None, **params):
        """Make the call, assert it left exactly one audit row; return the
        row and what the client received."""
        row_id = self.last_row_id()
        reply = self.send(route, key, model, method, ids, **params)
        rows = self.rows_after(row_id)
        self.assertEqual(
            len(rows),
            1,
            f"{route} {model}.{method}: one audit row expected, got "
            f"{rows.read(['route_kind', 'method_name', 'status'])}; "
            f"client got {reply.status} {reply.error}",
        )
        if route == "json2":
            self.assertEqual(reply.headers.get("X-Request-Id"), rows.request_uid)
        return rows, reply

    # Users

    @classmethod
    def create_user(cls, login, groups):
        """Return a new user of ``groups``, whose password is its login."""
        return cls.env["res.users"].create(
            {
                "name": login.replace("_", " ").title(),
                "login": login,
                "password": login,
                "group_ids": [Command.set(groups.ids)],
            }
        )
