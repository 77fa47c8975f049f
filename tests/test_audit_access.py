# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .audit_common import BROWSER_FETCH_HEADERS, AuditCase, sha256
from .common import ROUTES

AUDIT_MODELS = ("mcp.audit.request", "auditlog.log", "auditlog.log.line")


@tagged("post_install", "-at_install")
class TestAuditAccess(AuditCase):
    """Who reads the audit, that nobody changes it, and that it keeps no
    secret."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = cls.env.ref("base.user_admin")
        cls.admin_key = cls.create_key(cls.admin, name="admin key")
        cls.group_mcp_user = cls.env.ref("pan_mcp_pro_governance.group_mcp_user")
        cls.group_mcp_manager = cls.env.ref("pan_mcp_pro_governance.group_mcp_manager")
        contact_editor = cls.group_user | cls.group_partner_manager
        cls.plain_user = cls.create_user("audit_plain", contact_editor)
        cls.plain_key = cls.create_key(cls.plain_user, name="plain key")
        # an MCP user whose key is limited to a role, which they may not read
        cls.mcp_role = cls.create_role(
            "MCP contacts", contact_editor | cls.group_mcp_user
        )
        cls.mcp_user = cls.create_owner("audit_mcp_user", cls.mcp_role)
        cls.mcp_user_key = cls.create_key(
            cls.mcp_user, cls.mcp_role, name="mcp user key"
        )
        cls.mcp_manager = cls.create_user(
            "audit_mcp_manager", cls.group_user | cls.group_mcp_manager
        )
        cls.mcp_manager_key = cls.create_key(cls.mcp_manager, name="manager key")

    def setUp(self):
        super().setUp()
        self.enable_post_commit_hooks()

    def rename_partner(self, key, name):
        """Rename the partner with ``key``; return the call's row."""
        row, reply = self.audited(
            "json2",
            key,
            "res.partner",
            "write",
            [self.partner.id],
            vals={"name": name},
        )
        self.assertEqual(reply.status, 200, reply)
        self.assertTrue(row.auditlog_log_ids)
        return row

    def read_as(self, key, model):
        """Return the ids of ``model`` that ``key`` reads, or the refusal."""
        status, body, _response = self.json2(
            key, model, "search_read", domain=[], fields=["id"]
        )
        if status != 200:
            return status
        return {record["id"] for record in body}

    # Reading

    def test_audit_groups(self):
        self.assertTrue(
            self.admin.has_group("pan_mcp_pro_governance.group_mcp_manager")
        )
        self.assertTrue(
            self.mcp_manager.has_group("pan_mcp_pro_governance.group_mcp_user")
        )
        for user in (self.plain_user, self.owner):
            self.assertFalse(user.has_group("pan_mcp_pro_governance.group_mcp_user"))
            self.assertFalse(user.has_group("auditlog.group_auditlog_user"))

    def test_user_in_no_audit_group_reads_nothing(self):
        self.rename_partner(self.plain_key, "Renamed by plain")
        for model in AUDIT_MODELS:
            with self.subTest(model=model):
                self.assertEqual(self.read_as(self.plain_key, model), 403)
                with self.assertRaises(AccessError):
                    self.env[model].with_user(self.plain_user).search([])

    def test_mcp_user_reads_own_calls_and_changes_only(self):
        others_row = self.rename_partner(self.editor_key, "By owner")
        own_row = self.rename_partner(self.mcp_user_key, "By MCP user")
        # a change of the same user that no API call made
        unrelated_log = self.env["auditlog.log"].create(
            {
                "model_id": self.env["ir.model"]._get_id("res.partner"),
                "res_id": self.partner.id,
                "method": "write",
                "user_id": self.mcp_user.id,
            }
        )

        rows = self.read_as(self.mcp_user_key, "mcp.audit.request")
        self.assertIn(own_row.id, rows)
        self.assertNotIn(others_row.id, rows)
        self.assertEqual(
            self.env["mcp.audit.request"].browse(rows).user_id, self.mcp_user
        )
        logs = self.read_as(self.mcp_user_key, "auditlog.log")
        self.assertEqual(logs, set(own_row.auditlog_log_ids.ids))
        self.assertNotIn(unrelated_log.id, logs)
        self.assertEqual(
            self.read_as(self.mcp_user_key, "auditlog.log.line"),
            set(own_row.auditlog_log_ids.line_ids.ids),
        )
        status, _body, _response = self.json2(
            self.mcp_user_key, "mcp.audit.request", "read", ids=[others_row.id]
        )
        self.assertEqual(status, 403)

    def test_mcp_user_opens_own_calls_in_the_audit_log(self):
        row = self.rename_partner(self.mcp_user_key, "By MCP user")
        Request = self.env["mcp.audit.request"].with_user(self.mcp_user)
        views = Request.get_views([(False, "list"), (False, "form")])["views"]
        self.assertEqual(set(views), {"list", "form"})
        self.assertIn(row, Request.search([]))
        # what the list and the form of the Audit Log read
        many2one = {"fields": {"display_name": {}}}
        [values] = Request.browse(row.id).web_read(
            {
                "user_id": many2one,
                "key_id": many2one,
                "role_id": many2one,
                "auditlog_log_ids": {
                    "fields": {
                        "name": {},
                        "model_id": many2one,
                        "res_id": {},
                        "method": {},
                        "user_id": many2one,
                    }
                },
            }
        )
        self.assertEqual(values["role_id"]["display_name"], "MCP contacts")
        self.assertEqual(values["key_id"]["display_name"], "mcp user key")
        [log] = values["auditlog_log_ids"]
        self.assertEqual((log["name"], log["method"]), ("By MCP user", "write"))

    def test_mcp_manager_reads_every_call_and_change(self):
        rows = self.rename_partner(self.editor_key, "By owner")
        rows |= self.rename_partner(self.mcp_user_key, "By MCP user")
        for key in (self.mcp_manager_key, self.admin_key):
            with self.subTest(key=self.key_record(key).name):
                self.assertLessEqual(
                    set(rows.ids), self.read_as(key, "mcp.audit.request")
                )
                self.assertLessEqual(
                    set(rows.auditlog_log_ids.ids), self.read_as(key, "auditlog.log")
                )
                self.assertLessEqual(
                    set(rows.auditlog_log_ids.line_ids.ids),
                    self.read_as(key, "auditlog.log.line"),
                )

    # Nobody changes the audit

    def test_audit_rows_are_read_only_even_for_admin(self):
        row = self.insert_row("2026-01-01 00:00:00", status=200)
        as_admin = self.env["mcp.audit.request"].with_user(self.admin)
        with self.assertRaises(AccessError):
            as_admin.create({"request_uid": "forged", "request_date": "2026-01-01"})
        with self.assertRaises(AccessError):
            as_admin.browse(row.id).write({"status": 500})
        with self.assertRaises(AccessError):
            as_admin.browse(row.id).unlink()
        self.assertRow(row, status=200)

    def test_audit_rows_are_read_only_over_json2(self):
        row = self.insert_row("2026-01-01 00:00:00", status=200)
        for method, params in (
            ("create", {"vals_list": [{"request_uid": "forged"}]}),
            ("write", {"ids": [row.id], "vals": {"status": 500}}),
            ("unlink", {"ids": [row.id]}),
        ):
            with self.subTest(method=method):
                status, body, _response = self.json2(
                    self.admin_key, "mcp.audit.request", method, **params
                )
                self.assertEqual(status, 403, body)
                self.assertEqual(body["name"], "odoo.exceptions.AccessError")
        self.env.invalidate_all()
        self.assertRow(row, status=200)
        self.assertFalse(
            self.env["mcp.audit.request"].search([("request_uid", "=", "forged")])
        )

    # No secret

    def test_no_api_key_is_stored(self):
        unknown_key = "fedcba9876543210" * 2 + "fedcba98"
        suspended_key = self.create_key(self.owner, self.editor_role, name="paused")
        self.key_record(suspended_key).action_suspend()
        keys = (self.editor_key, self.reader_key, unknown_key, suspended_key)
        for route in ROUTES:
            for key in keys:
                self.send(
                    route,
                    key,
                    "res.partner",
                    "write",
                    [self.partner.id],
                    vals={"name": f"Renamed on {route}"},
                )
            # the key of another user
            self.send(route, self.editor_key, "res.partner", "read", [1], uid=2)
        # logging in with a key, as RPC clients do
        db = self.env.cr.dbname
        self.xmlrpc_common.authenticate(db, self.owner.login, self.editor_key, {})
        self.xmlrpc_common.login(db, self.owner.login, unknown_key)

        self.assertEqual(
            self.find_in_audit_tables("editor key"),
            ["mcp_audit_request"],
            "the calls were recorded",
        )
        self.assertIn("auditlog_log_line", self.find_in_audit_tables("Renamed on"))
        for key in keys:
            self.assertFalse(self.find_in_audit_tables(key), "a clear key is stored")

    def test_session_id_is_stored_only_hashed(self):
        sid = self.authenticate(self.owner.login, "key_owner_password").sid
        row_id = self.last_row_id()
        # the web client's own use of /json/2
        self.json2(
            None,
            "res.partner",
            "write",
            headers=BROWSER_FETCH_HEADERS,
            ids=[self.partner.id],
            vals={"name": "Renamed in a browser"},
        )
        # a key used beside the browser session of its owner
        self.send(
            "json2",
            self.editor_key,
            "res.partner",
            "write",
            [self.partner.id],
            vals={"name": "Renamed with a key"},
        )
        # a change of the web client, once contacts are audited for everyone
        self.partner_rule.api_keys_only = False
        self.browser_call_kw(
            "res.partner", "write", [self.partner.id], {"name": "Renamed in a form"}
        )

        rows = self.rows_after(row_id)
        self.assertEqual(len(rows), 3)
        self.assertEqual(set(rows.mapped("session_hash")), {sha256(sid)})
        self.assertEqual(len(rows.auditlog_log_ids), 2)
        self.assertEqual(
            self.find_in_audit_tables(sid), [], "the session id is stored in clear"
        )

    def test_audit_log_menu_is_for_mcp_users(self):
        action = self.env.ref("pan_mcp_pro_governance.mcp_audit_request_action")
        menu = self.env.ref("pan_mcp_pro_governance.mcp_audit_request_menu")
        self.assertEqual(menu.action, action)
        for user, visible in (
            (self.plain_user, False),
            (self.mcp_user, True),
            (self.mcp_manager, True),
        ):
            with self.subTest(user=user.login):
                menus = self.env["ir.ui.menu"].with_user(user)._visible_menu_ids()
                self.assertEqual(menu.id in menus, visible)
                self.assertEqual(menu.parent_id.id in menus, visible)
