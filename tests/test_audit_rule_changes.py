# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from unittest.mock import patch

from odoo.fields import Command
from odoo.service.model import call_kw
from odoo.tests import TransactionCase, tagged

MODULE = "pan_mcp_pro_governance"


@tagged("post_install", "-at_install")
class TestAuditRuleChanges(TransactionCase):
    """A change of an audit rule holds from the next call, although OCA
    auditlog patches the audited model once, with the rule as it was then."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rule = cls.env.ref(f"{MODULE}.auditlog_rule_res_partner")
        # every user's changes are audited, keys or not
        cls.rule.api_keys_only = False
        cls.partner = cls.env["res.partner"].create(
            {"name": "Rule Partner", "function": "Buyer"}
        )
        cls.Log = cls.env["auditlog.log"]

    def patch_models_now(self):
        """Patch the audited models as a server starting now would."""
        with patch.object(type(self.rule), "_update_registry", lambda rule: None):
            self.rule._revert_methods()
            self.rule._register_hook()

    def logged_methods(self):
        """Create, write and delete a contact; return the methods logged."""
        before = self.Log.search([])
        partner = self.env["res.partner"].create({"name": "Rule Contact"})
        partner.write({"function": "Seller"})
        partner.unlink()
        return sorted((self.Log.search([]) - before).mapped("method"))

    def logged_function_change(self):
        """Write the job position; return its old and new values as logged."""
        before = self.Log.search([])
        self.partner.function = f"{self.partner.function} again"
        # as at the end of a call
        self.env.flush_all()
        line = (self.Log.search([]) - before).line_ids.filtered(
            lambda line: line.field_name == "function"
        )
        return line.old_value_text, line.new_value_text

    def test_a_user_no_longer_excluded_is_audited(self):
        self.rule.users_to_exclude_ids = self.env.user
        self.patch_models_now()
        self.addCleanup(self.patch_models_now)
        self.assertEqual(self.logged_methods(), [])

        self.rule.users_to_exclude_ids = False
        self.assertEqual(self.logged_methods(), ["create", "unlink", "write"])

    def test_a_newly_excluded_user_is_not_audited(self):
        self.assertEqual(self.logged_methods(), ["create", "unlink", "write"])
        self.rule.users_to_exclude_ids = self.env.user
        self.assertEqual(self.logged_methods(), [])

    def test_a_method_no_longer_logged_is_not(self):
        self.rule.log_write = False
        self.assertEqual(self.logged_methods(), ["create", "unlink"])
        self.rule.write({"log_create": False, "log_unlink": False})
        self.assertEqual(self.logged_methods(), [])

    def test_a_rule_deleted_meanwhile_fails_no_call(self):
        self.env["auditlog.rule"]._audit_policy("res.partner")
        # as another worker does, its signal to this one yet to come
        self.env.cr.execute("DELETE FROM auditlog_rule WHERE id = %s", [self.rule.id])
        self.env.invalidate_all()
        self.assertEqual(self.logged_methods(), [])

    def test_rpc_creates_records_of_audited_models(self):
        # as /jsonrpc and /xmlrpc call it, with the values as first argument
        partner_id = call_kw(self.env["res.partner"], "create", [{"name": "RPC"}], {})
        self.assertEqual(self.env["res.partner"].browse(partner_id).name, "RPC")
        log = self.Log.search([("res_id", "=", partner_id), ("method", "=", "create")])
        self.assertEqual(len(log), 1)

    def test_the_log_type_holds_at_once(self):
        self.assertEqual(self.logged_function_change(), ("Buyer", "Buyer again"))

        # fast mode logs the values given, not those they replace
        self.rule.log_type = "fast"
        self.assertEqual(self.logged_function_change(), (False, "Buyer again again"))

        self.rule.log_type = "full"
        self.assertEqual(
            self.logged_function_change(),
            ("Buyer again again", "Buyer again again again"),
        )

    def test_keys_only_rules_leave_other_calls_alone(self):
        self.rule.api_keys_only = True
        self.assertEqual(self.logged_methods(), [])
        self.rule.api_keys_only = False
        self.assertEqual(self.logged_methods(), ["create", "unlink", "write"])

    def test_excluded_fields_are_not_logged(self):
        function_field = self.env["ir.model.fields"]._get("res.partner", "function")
        self.rule.fields_to_exclude_ids = [Command.link(function_field.id)]
        self.assertEqual(self.logged_function_change(), (False, False))

        self.rule.fields_to_exclude_ids = [Command.unlink(function_field.id)]
        self.assertEqual(
            self.logged_function_change(), ("Buyer again", "Buyer again again")
        )

    def test_seeded_rules_leave_the_chatter_and_images_out(self):
        excluded = set(self.rule.fields_to_exclude_ids.mapped("name"))
        self.assertLessEqual(
            {"message_ids", "message_follower_ids", "activity_ids", "image_1920"},
            excluded,
        )
        self.assertFalse(excluded & {"name", "function", "category_id", "child_ids"})
        audited = self.env["auditlog.rule"].get_auditlog_fields(self.env["res.partner"])
        self.assertIn("category_id", audited)
        self.assertFalse(excluded & set(audited))
