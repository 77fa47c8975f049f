# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.fields import Command
from odoo.tests import tagged

from .audit_common import AuditCase


@tagged("post_install", "-at_install")
class TestAuditTour(AuditCase):
    """The audit and the keys' roles, in the web client."""

    def test_audit_log_shows_the_change_of_a_key_call(self):
        partner = self.env["res.partner"].create({"name": "Tour Partner"})
        key = self.create_key(self.owner, self.editor_role, name="Tour key")
        with self.post_commit_hooks():
            row, reply = self.audited(
                "json2",
                key,
                "res.partner",
                "write",
                [partner.id],
                vals={"name": "Tour Partner Renamed"},
            )
        self.assertEqual(reply.status, 200, reply)
        self.assertEqual(row.auditlog_log_ids.res_id, partner.id)

        self.start_tour("/odoo", "pan_mcp_pro_governance_audit_tour", login="admin")

    def test_admin_creates_a_key_limited_to_a_role(self):
        admin = self.env.ref("base.user_admin")
        # Roles replace their holders' groups: the first keeps the admin's.
        all_rights = self.create_role("Tour all rights", admin.group_ids)
        employee = self.create_role("Tour employee", self.group_user)
        admin.role_line_ids = [
            Command.create({"role_id": all_rights.id}),
            Command.create({"role_id": employee.id}),
        ]
        self.assertTrue(admin.has_group("base.group_system"))

        self.start_tour("/odoo", "pan_mcp_pro_governance_key_role_tour", login="admin")

        key = self.env["res.users.apikeys"].search(
            [("user_id", "=", admin.id), ("name", "=", "Tour role key")]
        )
        self.assertEqual(len(key), 1)
        self.assertEqual(key.role_id, employee)
        self.assertEqual(key.state, "active")
