# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta
from unittest.mock import ANY, patch

from odoo import fields
from odoo.fields import Command
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from odoo.addons.base.models.ir_autovacuum import is_autovacuum

from ..models import auditlog_rule, mcp_audit_request
from .audit_common import AuditRowsMixin

MODULE = "pan_mcp_pro_governance"
RETENTION_PARAMETER = "pan_mcp_pro_governance.audit_retention_days"


@tagged("post_install", "-at_install")
class TestAuditRuleSeeding(TransactionCase):
    """The audit rules the addon creates at installation."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Rule = cls.env["auditlog.rule"].with_context(active_test=False)

    def seeded_rules(self):
        """Return the rules that carry one of the addon's external ids."""
        xmlids = self.env["ir.model.data"].search(
            [("module", "=", MODULE), ("model", "=", "auditlog.rule")]
        )
        return self.Rule.browse(xmlids.mapped("res_id"))

    def seed(self, *model_names):
        """Seed the rules of ``model_names`` as the installation does;
        unsubscribe the rules it created when the test ends."""
        before = self.Rule.search([])
        with patch.object(auditlog_rule, "SEEDED_MODELS", model_names):
            self.Rule._seed_api_key_rules()
        created = self.Rule.search([]) - before
        # auditlog patches the audited models' methods for the process
        self.addCleanup(created.unlink)
        return created

    def test_contacts_rule_is_seeded_for_api_keys(self):
        rule = self.env.ref(f"{MODULE}.auditlog_rule_res_partner")
        self.assertEqual(rule.model_id.model, "res.partner")
        self.assertRecordValues(
            rule,
            [
                {
                    "api_keys_only": True,
                    "state": "confirmed",
                    "log_type": "full",
                    "log_create": True,
                    "log_write": True,
                    "log_unlink": True,
                    "log_read": False,
                }
            ],
        )

    def test_contacts_rule_shows_its_logs_on_contacts(self):
        # as a rule confirmed from its form does ("View logs" on the model)
        action = self.env.ref(f"{MODULE}.auditlog_rule_res_partner").action_id
        self.assertTrue(action, "the confirmed rule has no 'View logs' action")
        self.assertEqual(action.res_model, "auditlog.log")
        self.assertEqual(action.binding_model_id.model, "res.partner")

    def test_only_installed_models_have_a_rule(self):
        seeded = self.seeded_rules()
        for model_name in auditlog_rule.SEEDED_MODELS:
            with self.subTest(model=model_name):
                rules = self.Rule.search([("model_model", "=", model_name)])
                xmlid = f"{MODULE}.auditlog_rule_{model_name.replace('.', '_')}"
                rule = self.env.ref(xmlid, raise_if_not_found=False)
                if model_name in self.env:
                    # its external id makes uninstalling the addon remove it
                    self.assertEqual(rule, rules)
                    self.assertTrue(rule.api_keys_only)
                else:
                    self.assertFalse(rules)
                    self.assertIsNone(rule)
        self.assertEqual(
            set(seeded.mapped("model_model")),
            {name for name in auditlog_rule.SEEDED_MODELS if name in self.env},
        )

    def test_model_not_installed_gets_no_rule(self):
        self.assertFalse(self.seed("res.partner", "x_mcp_not_installed"))
        self.assertFalse(
            self.Rule.search([("model_model", "=", "x_mcp_not_installed")])
        )

    def test_seeding_again_creates_nothing(self):
        rules, seeded = self.Rule.search([]), self.seeded_rules()
        self.Rule._seed_api_key_rules()
        self.assertEqual(self.Rule.search([]), rules)
        self.assertEqual(self.seeded_rules(), seeded)

    def test_model_installed_later_gets_its_rule_with_an_external_id(self):
        rule = self.seed("res.partner", "res.partner.industry")
        self.assertEqual(rule.model_model, "res.partner.industry")
        self.assertRecordValues(
            rule, [{"api_keys_only": True, "state": "confirmed", "log_type": "full"}]
        )
        xmlid = f"{MODULE}.auditlog_rule_res_partner_industry"
        self.assertEqual(self.env.ref(xmlid), rule)
        self.assertIn(rule, self.seeded_rules())

    def test_existing_rule_of_a_model_is_kept(self):
        own_rule = self.Rule.create(
            {
                "name": "Industries, everybody",
                "model_id": self.env["ir.model"]._get_id("res.partner.industry"),
                "api_keys_only": False,
            }
        )
        self.assertFalse(self.seed("res.partner.industry"))
        self.assertFalse(own_rule.api_keys_only)
        self.assertNotIn(own_rule, self.seeded_rules())


@tagged("post_install", "-at_install")
class TestAuditRetention(AuditRowsMixin, TransactionCase):
    """API calls and their changes older than the retention are deleted."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Request = cls.env["mcp.audit.request"]
        cls.partner = cls.env["res.partner"].create({"name": "Retained"})
        cls.partner_model_id = cls.env["ir.model"]._get_id("res.partner")
        cls.name_field = cls.env["ir.model.fields"]._get("res.partner", "name")

    def call_of(self, days_ago):
        """Insert a call made ``days_ago`` days ago, with the change it made;
        return the call's row and its auditlog log."""
        date = fields.Datetime.now() - timedelta(days=days_ago)
        row = self.insert_row(date)
        log = self.create_log(mcp_request_uid=row.request_uid)
        return row, log

    def create_log(self, **values):
        return self.env["auditlog.log"].create(
            {
                "model_id": self.partner_model_id,
                "res_id": self.partner.id,
                "method": "write",
                "line_ids": [
                    Command.create({"field_id": self.name_field.id, "old_value": "a"})
                ],
                **values,
            }
        )

    def new_key(self, name):
        apikeys = self.env["res.users.apikeys"].with_user(
            self.env.ref("base.user_admin")
        )
        return apikeys.browse(
            apikeys._find_key_id(apikeys.sudo()._generate(None, name, None))
        )

    def set_retention(self, days):
        settings = self.env["res.config.settings"].create(
            {"mcp_audit_retention_days": days}
        )
        settings.execute()

    def assertKept(self, *records):
        self.env.invalidate_all()
        for record in records:
            self.assertTrue(record.exists(), f"{record} was deleted")

    def assertDeleted(self, *records):
        self.env.invalidate_all()
        for record in records:
            self.assertFalse(record.exists(), f"{record} was kept")

    def test_retention_is_a_setting_of_180_days_by_default(self):
        self.env["ir.config_parameter"].set_param(RETENTION_PARAMETER, False)
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.mcp_audit_retention_days, 180)
        self.assertEqual(self.Request._retention_days(), 180)
        self.assertTrue(is_autovacuum(type(self.Request)._gc_expired_requests))

    def test_expired_calls_and_their_changes_are_deleted(self):
        self.env["ir.config_parameter"].set_param(RETENTION_PARAMETER, False)
        expired = [self.call_of(400), self.call_of(181)]
        recent = [self.call_of(179), self.call_of(1)]
        # a change no API call made, however old, is not the audit's to delete
        unrelated_log = self.create_log()
        unrelated_log.flush_recordset()
        self.env.cr.execute(
            "UPDATE auditlog_log SET create_date = now() - interval '2 years' "
            "WHERE id = %s",
            [unrelated_log.id],
        )
        expired_lines = (
            self.env["auditlog.log"].concat(*(log for _row, log in expired)).line_ids
        )

        self.assertEqual(self.Request._gc_expired_requests(), (2, 0))

        self.assertDeleted(*(record for call in expired for record in call))
        self.assertDeleted(*expired_lines)
        self.assertKept(*(record for call in recent for record in call))
        self.assertKept(unrelated_log)

    def test_retention_follows_the_setting(self):
        self.set_retention(30)
        self.assertEqual(
            self.env["ir.config_parameter"].get_param(RETENTION_PARAMETER), "30"
        )
        expired, recent = self.call_of(31), self.call_of(29)
        self.assertEqual(self.Request._gc_expired_requests(), (1, 0))
        self.assertDeleted(*expired)
        self.assertKept(*recent)

    def test_retention_zero_keeps_every_call(self):
        self.env["ir.config_parameter"].set_param(RETENTION_PARAMETER, "0")
        calls = [self.call_of(4000), self.call_of(200)]
        self.assertEqual(self.Request._gc_expired_requests(), (0, 0))
        self.assertKept(*(record for call in calls for record in call))

    def test_retention_zero_in_the_settings_keeps_every_call(self):
        self.set_retention(0)
        calls = [self.call_of(4000), self.call_of(200)]
        self.Request._gc_expired_requests()
        self.assertKept(*(record for call in calls for record in call))
        self.assertEqual(
            self.env["res.config.settings"].create({}).mcp_audit_retention_days,
            0,
            "the settings show the retention saved",
        )

    def test_invalid_retention_falls_back_to_the_default(self):
        self.env["ir.config_parameter"].set_param(RETENTION_PARAMETER, "forever")
        logger = "odoo.addons.pan_mcp_pro_governance.models.mcp_audit_request"
        with mute_logger(logger):
            self.assertEqual(self.Request._retention_days(), 180)

    def test_expired_calls_are_deleted_oldest_first_in_chunks(self):
        self.env["ir.config_parameter"].set_param(RETENTION_PARAMETER, "30")
        oldest, older, old = self.call_of(90), self.call_of(60), self.call_of(40)
        recent = self.call_of(10)
        with patch.object(mcp_audit_request, "RETENTION_CHUNK", 2):
            self.assertEqual(self.Request._gc_expired_requests(), (2, 1))
            self.assertDeleted(*oldest, *older)
            self.assertKept(*old)
            self.assertEqual(self.Request._gc_expired_requests(), (1, 0))
            self.assertDeleted(*old)
            self.assertEqual(self.Request._gc_expired_requests(), (0, 0))
        self.assertKept(*recent)

    def test_a_key_keeps_its_calls_counted_once_their_rows_are_deleted(self):
        key, other_key = self.new_key("retained key"), self.new_key("other key")
        now = fields.Datetime.now().replace(microsecond=0)

        def call(key, days_ago, accepted=True):
            date = now - timedelta(days=days_ago)
            self.insert_row(date, key_ref=key.id, key_accepted=accepted)
            return date

        last_expired = call(key, 200)
        call(key, 300)
        call(key, 250, accepted=False)  # refused: never counted
        recent = call(key, 10)
        other_last = call(other_key, 190)

        def usage(key):
            key.invalidate_recordset()
            return key.call_count, key.last_used

        self.assertEqual(usage(key), (3, recent))
        self.assertEqual(usage(other_key), (1, other_last))

        with patch.object(mcp_audit_request, "RETENTION_CHUNK", 2):
            self.assertEqual(self.Request._gc_expired_requests(), (2, 1))
            self.assertEqual(self.Request._gc_expired_requests(), (2, 1))
            self.assertEqual(self.Request._gc_expired_requests(), (0, 0))
        self.assertFalse(self.Request.search([("key_ref", "=", other_key.id)]))
        self.assertEqual(self.Request.search_count([("key_ref", "=", key.id)]), 1)
        self.assertEqual(usage(key), (3, recent))
        self.assertEqual(usage(other_key), (1, other_last))

        # a later run adds to what earlier ones kept
        call(key, 400)
        self.assertEqual(usage(key), (4, recent))
        self.assertEqual(self.Request._gc_expired_requests(), (1, 0))
        self.assertEqual(usage(key), (4, recent))
        self.assertEqual(
            self.env["res.users.apikeys.usage"]
            .search([("key_id", "=", key.id)])
            .read(["call_count", "last_used"], load=None),
            [{"id": ANY, "call_count": 3, "last_used": last_expired}],
        )

    def test_the_rows_of_a_deleted_key_are_deleted_without_its_usage(self):
        key = self.new_key("gone key")
        key_id = key.id
        self.insert_row(
            fields.Datetime.now() - timedelta(days=365),
            key_ref=key_id,
            key_accepted=True,
        )
        key.sudo().unlink()
        self.assertEqual(self.Request._gc_expired_requests(), (1, 0))
        self.assertFalse(
            self.env["res.users.apikeys.usage"].search([("key_id", "=", key_id)])
        )

    def test_counted_calls_are_read_once(self):
        """The daily count takes a key's past rows out of what showing the key
        reads; the retention then deletes them without counting them again."""
        key = self.new_key("counted key")
        now = fields.Datetime.now().replace(microsecond=0)
        dates = [now - timedelta(days=days) for days in (300, 200, 2, 0)]
        for date in dates:
            self.insert_row(date, key_ref=key.id, key_accepted=True)
        self.insert_row(now - timedelta(days=250), key_ref=key.id, key_accepted=False)
        Usage = self.env["res.users.apikeys.usage"]

        def usage():
            key.invalidate_recordset()
            return key.call_count, key.last_used

        self.assertEqual(usage(), (4, dates[-1]))
        Usage._count_past_calls()
        counted = Usage.search([("key_id", "=", key.id)])
        self.assertEqual(counted.call_count, 3, "the rows of the past hour wait")
        self.assertEqual(usage(), (4, dates[-1]))
        # a key that never made a call gets its date too
        idle_key = self.new_key("idle key")
        Usage._count_past_calls()
        self.assertEqual(usage(), (4, dates[-1]))
        self.assertEqual(Usage.search([("key_id", "=", idle_key.id)]).call_count, 0)

        self.assertEqual(self.Request._gc_expired_requests(), (3, 0))
        self.assertEqual(usage(), (4, dates[-1]))
        self.assertEqual(counted.call_count, 3)
