# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from unittest.mock import patch

from odoo import api
from odoo.tests import tagged

from .audit_common import BROWSER_FETCH_HEADERS, AuditCase, sha256
from .common import ROUTES, json_rpc_payload

PATHS = {
    "json2": "/json/2/res.partner/{method}",
    "jsonrpc": "/jsonrpc",
    "xmlrpc": "/xmlrpc/2/object",
}
# What the client is told, route by route, for each status the row records.
CLIENT_ERRORS = {
    401: {
        "json2": "werkzeug.exceptions.Unauthorized",
        "jsonrpc": "odoo.exceptions.AccessDenied",
        "xmlrpc": 3,
    },
    403: {
        "json2": "odoo.exceptions.AccessError",
        "jsonrpc": "odoo.exceptions.AccessError",
        "xmlrpc": 4,
    },
    404: {
        "json2": "odoo.exceptions.MissingError",
        "jsonrpc": "odoo.exceptions.MissingError",
        "xmlrpc": 2,
    },
    422: {
        "json2": "odoo.exceptions.ValidationError",
        "jsonrpc": "odoo.exceptions.ValidationError",
        "xmlrpc": 2,
    },
    500: {
        "json2": "builtins.RuntimeError",
        "jsonrpc": "builtins.RuntimeError",
        "xmlrpc": 1,
    },
}
# a key of the right shape that was never issued
UNKNOWN_KEY = "0123456789abcdef" * 2 + "01234567"


@tagged("post_install", "-at_install")
class TestAuditTrail(AuditCase):
    """One audit row per API call, on every route, whatever its outcome."""

    def setUp(self):
        super().setUp()
        self.enable_post_commit_hooks()

    def partner_logs(self):
        self.env.invalidate_all()
        return self.env["auditlog.log"].search(
            [("model_model", "=", "res.partner"), ("res_id", "=", self.partner.id)]
        )

    def assertRefused(self, reply, status):
        self.assertEqual(reply.error, CLIENT_ERRORS[status][reply.route], reply)
        if reply.route == "json2":
            self.assertEqual(reply.status, status)

    def assertFailedWrite(self, route, key, status, ids=None, **vals):
        """Write ``vals`` with ``key`` on ``route``; assert the client is
        refused with ``status``, which the single row of the call records
        with no change; return the row."""
        name = self.partner.name
        row, reply = self.audited(
            route, key, "res.partner", "write", ids or [self.partner.id], vals=vals
        )
        self.assertRefused(reply, status)
        self.assertRow(
            row,
            route_kind=route,
            model_name="res.partner",
            method_name="write",
            status=status,
            status_class="4xx" if status < 500 else "5xx",
            user_id=self.owner,
        )
        self.assertTrue(row.error_message)
        self.assertFalse(row.auditlog_log_ids)
        self.assertEqual(self.partner.name, name)
        return row

    def write_partner_name(self, route, name):
        """Rename the partner on ``route`` with the editor's key; return the
        call's row."""
        row, reply = self.audited(
            route,
            self.editor_key,
            "res.partner",
            "write",
            [self.partner.id],
            vals={"name": name},
        )
        self.assertIsNone(reply.error, reply)
        return row

    def test_successful_write_records_the_call_and_its_change(self):
        for route in ROUTES:
            with self.subTest(route=route):
                self.partner.name = f"Before {route}"
                row = self.write_partner_name(route, f"After {route}")
                self.assertRow(
                    row,
                    route_kind=route,
                    http_method="POST",
                    path=PATHS[route].format(method="write"),
                    model_name="res.partner",
                    method_name="write",
                    status=200,
                    status_class="2xx",
                    user_id=self.owner,
                    key_id=self.editor_key_record,
                    key_ref=self.editor_key_record.id,
                    key_name="editor key",
                    role_id=self.editor_role,
                    error_message=False,
                    error_count=0,
                )
                self.assertGreater(row.duration_ms, 0)
                self.assertTrue(row.remote_address)
                self.assertTrue(row.user_agent)

                log = row.auditlog_log_ids
                self.assertEqual(len(log), 1)
                self.assertEqual(
                    (log.model_model, log.res_id, log.method, log.user_id),
                    ("res.partner", self.partner.id, "write", self.owner),
                )
                self.assertEqual(log.mcp_request_uid, row.request_uid)
                self.assertEqual(log.mcp_request_id, row)
                line = log.line_ids.filtered(lambda line: line.field_name == "name")
                self.assertEqual(
                    (line.old_value_text, line.new_value_text),
                    (f"Before {route}", f"After {route}"),
                )

    def test_successful_create_records_the_new_values(self):
        for route in ROUTES:
            with self.subTest(route=route):
                name = f"Created by a key on {route}"
                if route == "json2":
                    params = {"vals_list": [{"name": name}]}
                    row, reply = self.audited(
                        route, self.editor_key, "res.partner", "create", **params
                    )
                else:
                    # the legacy routes pass the values as the first argument
                    row, reply = self.audited(
                        route, self.editor_key, "res.partner", "create", {"name": name}
                    )
                self.assertIsNone(reply.error, reply)
                partner = self.env["res.partner"].search([("name", "=", name)])
                self.assertEqual(len(partner), 1)
                log = row.auditlog_log_ids
                self.assertEqual((log.method, log.res_id), ("create", partner.id))
                line = log.line_ids.filtered(lambda line: line.field_name == "name")
                self.assertEqual(line.new_value_text, name)

    def test_key_calls_name_no_session(self):
        Session = self.env["auditlog.http.session"]
        sessions = Session.search([])
        for route in ROUTES:
            with self.subTest(route=route):
                row = self.write_partner_name(route, f"Sessionless {route}")
                self.assertTrue(row.auditlog_log_ids)
                self.assertFalse(row.auditlog_log_ids.http_session_id)
        self.assertEqual(Session.search([]), sessions)

    def test_nul_characters_lose_no_row(self):
        # in the model name, which /jsonrpc takes from its body (XML cannot
        # carry the character: such an /xmlrpc body is unreadable, key and all)
        row, reply = self.audited(
            "jsonrpc", self.editor_key, "res.partner\x00", "search_count", []
        )
        self.assertTrue(reply.error, reply)
        self.assertEqual(row.model_name, "res.partner")
        # in the user agent, on /json/2
        row_id = self.last_row_id()
        status, _body, response = self.json2(
            self.editor_key,
            "res.partner",
            "search_count",
            headers={"User-Agent": "agent\x00 007"},
            domain=[],
        )
        self.assertEqual(status, 200)
        row = self.rows_after(row_id)
        self.assertEqual(row.user_agent, "agent 007")
        self.assertEqual(response.headers.get("X-Request-Id"), row.request_uid)

    def test_odd_jsonrpc_calls_record_what_they_run(self):
        # Core unpacks the arguments of `execute` from any iterable, the keys
        # of an object included, and serves /jsonrpc/ as /jsonrpc.
        db = self.env.cr.dbname
        for path, name, shape in (
            ("/jsonrpc/", "Slash Corp", "list"),
            ("/jsonrpc", "Object Corp", "object"),
        ):
            with self.subTest(path=path, args=shape):
                values = [db, str(self.owner.id), self.editor_key, "res.partner"]
                values += ["name_create", name]
                row_id = self.last_row_id()
                args = dict.fromkeys(values) if shape == "object" else values
                response = self.url_open(
                    path, json=json_rpc_payload("object", "execute", args)
                )
                partner_id, _name = response.json()["result"]
                self.assertRow(
                    self.rows_after(row_id),
                    route_kind="jsonrpc",
                    model_name="res.partner",
                    method_name="name_create",
                    status=200,
                    key_id=self.editor_key_record,
                )
                self.assertEqual(self.env["res.partner"].browse(partner_id).name, name)

    def test_unknown_key_leaves_a_401_row_without_user(self):
        for route in ROUTES:
            with self.subTest(route=route):
                row, reply = self.audited(
                    route, UNKNOWN_KEY, "res.partner", "read", [self.partner.id]
                )
                self.assertRefused(reply, 401)
                self.assertRow(
                    row,
                    route_kind=route,
                    status=401,
                    status_class="4xx",
                    user_id=False,
                    key_id=False,
                    key_name=False,
                    role_id=False,
                    error_message="unknown key",
                    error_count=1,
                )
                self.assertFalse(row.key_ref)

    def test_suspended_key_leaves_a_401_row_naming_the_key(self):
        key = self.create_key(self.owner, self.editor_role, name="suspended key")
        key_record = self.key_record(key)
        key_record.action_suspend()
        for route in ROUTES:
            with self.subTest(route=route):
                row, reply = self.audited(
                    route,
                    key,
                    "res.partner",
                    "write",
                    [self.partner.id],
                    vals={"name": "Never written"},
                )
                self.assertRefused(reply, 401)
                self.assertRow(
                    row,
                    route_kind=route,
                    status=401,
                    key_id=key_record,
                    key_ref=key_record.id,
                    error_message="suspended",
                )
                self.assertFalse(row.auditlog_log_ids)
        self.assertEqual(self.partner.name, "Scoped Partner")

    def test_json2_call_without_credentials_leaves_a_401_row(self):
        row, reply = self.audited("json2", None, "res.partner", "read", [1])
        self.assertEqual(reply.status, 401)
        self.assertRow(row, status=401, user_id=False, key_id=False)

    def test_write_outside_the_role_leaves_a_403_row(self):
        key_record = self.key_record(self.reader_key)
        for route in ROUTES:
            with self.subTest(route=route):
                row = self.assertFailedWrite(
                    route, self.reader_key, 403, name="Not for readers"
                )
                self.assertRow(row, key_id=key_record, role_id=self.reader_role)

    def test_write_on_a_missing_record_leaves_a_404_row(self):
        missing_id = self.env["res.partner"].search([], order="id desc", limit=1)
        for route in ROUTES:
            with self.subTest(route=route):
                self.assertFailedWrite(
                    route,
                    self.editor_key,
                    404,
                    ids=[missing_id.id + 1000],
                    name="Nobody",
                )

    def test_invalid_value_leaves_a_422_row(self):
        for route in ROUTES:
            with self.subTest(route=route):
                row = self.assertFailedWrite(
                    route, self.editor_key, 422, parent_id=self.partner.id
                )
                self.assertIn("recursive", row.error_message)

    def test_wrong_signature_on_json2_leaves_a_422_row(self):
        row, reply = self.audited(
            "json2",
            self.editor_key,
            "res.partner",
            "write",
            [self.partner.id],
            values={"name": "Wrong parameter name"},
        )
        self.assertEqual(reply.status, 422)
        self.assertRow(row, status=422, status_class="4xx", method_name="write")

    def test_crash_leaves_a_500_row(self):
        for route in ROUTES:
            with self.subTest(route=route):
                # a bug of the server, not a mistake of the client
                @api.model
                def crash(model, *args, **kwargs):
                    raise RuntimeError("no_such_option: the server crashed")

                with patch.object(type(self.env["res.partner"]), "search_read", crash):
                    row, reply = self.audited(
                        route,
                        self.editor_key,
                        "res.partner",
                        "search_read",
                        domain=[],
                        fields=["name"],
                    )
                self.assertRefused(reply, 500)
                self.assertRow(
                    row,
                    route_kind=route,
                    method_name="search_read",
                    status=500,
                    status_class="5xx",
                    key_id=self.editor_key_record,
                    error_count=1,
                )
                self.assertIn("no_such_option", row.error_message)

    def test_browser_json2_call_is_audited_with_its_session_hash(self):
        session = self.authenticate(self.owner.login, "key_owner_password")
        row, reply = self.audited(
            "json2",
            None,
            "res.partner",
            "write",
            [self.partner.id],
            vals={"name": "Renamed in a browser"},
            headers=BROWSER_FETCH_HEADERS,
        )
        self.assertEqual(reply.status, 200, reply)
        self.assertRow(
            row,
            status=200,
            user_id=self.owner,
            key_id=False,
            role_id=False,
            session_hash=sha256(session.sid),
        )
        # no key made this change: contacts are audited for keys only
        self.assertFalse(row.auditlog_log_ids)
        self.assertFalse(self.partner_logs())

    def test_browser_changes_are_logged_only_once_the_rule_covers_all_users(self):
        self.assertTrue(self.partner_rule.api_keys_only)
        session = self.authenticate(self.owner.login, "key_owner_password")
        row_id = self.last_row_id()
        self.browser_call_kw(
            "res.partner", "write", [self.partner.id], {"name": "Browser 1"}
        )
        self.assertFalse(self.partner_logs())
        self.assertFalse(self.rows_after(row_id))

        self.partner_rule.api_keys_only = False
        self.browser_call_kw(
            "res.partner", "write", [self.partner.id], {"name": "Browser 2"}
        )
        log = self.partner_logs()
        self.assertEqual(len(log), 1)
        self.assertEqual(log.user_id, self.owner)
        line = log.line_ids.filtered(lambda line: line.field_name == "name")
        self.assertEqual(
            (line.old_value_text, line.new_value_text), ("Browser 1", "Browser 2")
        )
        # the call that made an audited change is recorded too
        row = self.rows_after(row_id)
        self.assertEqual(len(row), 1)
        self.assertRow(
            row,
            route_kind="other",
            status=200,
            user_id=self.owner,
            key_id=False,
            session_hash=sha256(session.sid),
        )
        self.assertEqual(row.auditlog_log_ids, log)

    def test_deleted_key_keeps_its_rows(self):
        key = self.create_key(self.owner, self.editor_role, name="short-lived key")
        key_id = self.key_record(key).id
        row, _reply = self.audited(
            "json2", key, "res.partner", "write", [self.partner.id], vals={"name": "K"}
        )
        self.key_record(key)._remove()

        self.env.invalidate_all()
        self.assertTrue(row.exists())
        self.assertRow(
            row,
            key_ref=key_id,
            key_name="short-lived key",
            user_id=self.owner,
            role_id=self.editor_role,
        )
        self.assertTrue(row.auditlog_log_ids)
        self.assertFalse(row.key_id.exists())
        self.assertFalse(row.key_id, "the deleted key must not stay referenced")

    def test_call_of_a_deleted_key_still_opens_in_the_audit_log(self):
        key = self.create_key(self.owner, self.editor_role, name="short-lived key")
        row, _reply = self.audited(
            "json2", key, "res.partner", "write", [self.partner.id], vals={"name": "K"}
        )
        self.key_record(key)._remove()

        self.env.invalidate_all()
        # what the Audit Log form reads
        [values] = row.web_read(
            {
                "key_id": {"fields": {"display_name": {}}},
                "key_name": {},
                "auditlog_log_ids": {"fields": {"name": {}}},
            }
        )
        self.assertFalse(values["key_id"])
        self.assertEqual(values["key_name"], "short-lived key")
