# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import contextlib

from odoo.fields import Command
from odoo.tests import TransactionCase, tagged

MODULE = "pan_mcp_pro_governance"


class UndoWrite(Exception):
    """Raised to roll a write back to its savepoint."""


@tagged("post_install", "-at_install")
class TestAuditedWriteCapture(TransactionCase):
    """A write audited in full mode reads only the fields it may change, yet
    logs the same old and new values as OCA auditlog's full mode."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rule = cls.env.ref(f"{MODULE}.auditlog_rule_res_partner")
        # every user's writes are audited, keys or not
        cls.rule.api_keys_only = False
        Partner = cls.env["res.partner"]
        cls.country = cls.env.ref("base.be")
        cls.company = Partner.create(
            {
                "name": "Capture Company",
                "is_company": True,
                "street": "Rue de la Loi 16",
                "city": "Brussels",
                "zip": "1000",
                "country_id": cls.country.id,
                "vat": "BE0477472701",
            }
        )
        cls.contact = Partner.create(
            {"name": "Capture Contact", "email": "contact@capture.example"}
        )
        cls.other_contact = Partner.create({"name": "Capture Other"})
        cls.tag = cls.env["res.partner.category"].create({"name": "Capture tag"})
        cls.Log = cls.env["auditlog.log"]

    def logged_lines(self, write, records, vals):
        """Write ``vals`` on ``records`` with ``write``; return what the write
        logged, then undo it."""
        last_log = self.Log.search([], order="id desc", limit=1).id or 0
        lines = set()
        with contextlib.suppress(UndoWrite), self.env.cr.savepoint():
            write(records, vals)
            logs = self.Log.search(
                [("id", ">", last_log), ("model_model", "=", "res.partner")]
            )
            for log in logs:
                for line in log.line_ids:
                    lines.add(
                        (
                            log.res_id,
                            line.field_name,
                            line.old_value,
                            line.new_value,
                            line.old_value_text,
                            line.new_value_text,
                        )
                    )
            raise UndoWrite()
        self.env.invalidate_all()
        return lines

    def assertLoggedAsFullMode(self, records, vals, *changed_fields):
        write = type(records).write
        full_mode = self.logged_lines(write.logged, records, vals)
        captured = self.logged_lines(write, records, vals)
        logged_fields = {line[1] for line in full_mode}
        self.assertLessEqual(set(changed_fields), logged_fields)
        self.assertEqual(captured, full_mode)

    def test_one_field(self):
        self.assertLoggedAsFullMode(self.contact, {"function": "Buyer"}, "function")

    def test_stored_fields_computed_from_the_written_ones(self):
        self.assertLoggedAsFullMode(
            self.contact,
            {"email": "Someone Else <Else@Capture.example>"},
            "email",
            "email_normalized",
        )

    def test_fields_an_override_writes_on_the_same_records(self):
        # a contact joining a company takes its address with `super().write()`
        # and its tax id with a write of its own
        self.assertLoggedAsFullMode(
            self.contact,
            {"parent_id": self.company.id},
            "parent_id",
            "street",
            "city",
            "country_id",
            "vat",
            "commercial_partner_id",
        )

    def test_changes_to_other_records(self):
        self.contact.parent_id = self.company
        # the company's new address reaches its contact
        self.assertLoggedAsFullMode(
            self.company, {"street": "Wetstraat 16", "city": "Brussel"}, "street"
        )

    def test_many2many_and_several_records(self):
        self.assertLoggedAsFullMode(
            self.contact | self.other_contact,
            {"category_id": [Command.link(self.tag.id)], "comment": "<p>Tagged</p>"},
            "category_id",
            "comment",
        )

    def test_the_rule_holds_as_it_is_now(self):
        write = type(self.contact).write
        vals = {"function": "Changed"}
        self.assertTrue(self.logged_lines(write, self.contact, vals))

        self.rule.users_to_exclude_ids = self.env.user
        self.assertFalse(self.logged_lines(write, self.contact, vals))

        self.rule.users_to_exclude_ids = False
        self.rule.api_keys_only = True
        self.assertFalse(
            self.logged_lines(write, self.contact, vals),
            "a write made without a key is logged by a rule for API keys only",
        )

        self.rule.api_keys_only = False
        self.rule.log_type = "fast"
        self.assertEqual(
            {line[1:4] for line in self.logged_lines(write, self.contact, vals)},
            {("function", False, "Changed")},
            "fast mode logs the values given, not the old ones",
        )
