# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.tests import tagged

from .common import FORBIDDEN, OK, ROUTES, ApiKeyCase


@tagged("post_install", "-at_install")
class TestKeyCacheIsolation(ApiKeyCase):
    """Odoo caches access rights, record rules and groups per user id: the
    keys of one user bound to different roles, or to none, and its password
    must each get exactly their own rights at every call, whatever call of
    the same user came before."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.owner_key = cls.create_key(cls.owner)
        cls.reader_key = cls.create_key(cls.owner, cls.reader_role)
        cls.editor_key = cls.create_key(cls.owner, cls.editor_role)
        cls.admin_key = cls.create_key(cls.admin_owner)
        cls.admin_employee_key = cls.create_key(cls.admin_owner, cls.employee_role)

    def test_interleaved_reader_and_editor_keys(self):
        password = "key_owner_password"
        steps = [
            ("full key", self.owner_key, OK),
            ("reader key", self.reader_key, FORBIDDEN),
            ("full key", self.owner_key, OK),
            ("editor key", self.editor_key, OK),
            ("reader key", self.reader_key, FORBIDDEN),
            ("editor key", self.editor_key, OK),
            ("password", password, OK),
            ("reader key", self.reader_key, FORBIDDEN),
            ("reader key", self.reader_key, FORBIDDEN),
            ("editor key", self.editor_key, OK),
            ("password", password, OK),
            ("full key", self.owner_key, OK),
            ("reader key", self.reader_key, FORBIDDEN),
        ]
        for route in ROUTES:
            for step, (label, secret, expected) in enumerate(steps):
                if route == "json2" and secret == password:
                    continue  # /json/2 only takes API keys
                with self.subTest(route=route, step=step, credential=label):
                    outcome = self.call(
                        route,
                        secret,
                        "res.partner",
                        "write",
                        [self.partner.id],
                        vals={"name": f"Partner {route} {step}"},
                    )
                    self.assertOutcome(outcome, expected)
                    if expected == FORBIDDEN:
                        self.assertIn(self.reader_role.name, outcome.message)

    def test_interleaved_admin_and_narrowed_admin_keys(self):
        """Access rights (settings), record rules (other users' keys, which
        only administrators see) and groups, in both orders."""
        password = self.admin_owner.login
        full = (OK, True, True)
        narrowed = (FORBIDDEN, False, False)
        steps = [
            ("narrowed key", self.admin_employee_key, narrowed),
            ("full key", self.admin_key, full),
            ("narrowed key", self.admin_employee_key, narrowed),
            ("password", password, full),
            ("narrowed key", self.admin_employee_key, narrowed),
            ("full key", self.admin_key, full),
            ("full key", self.admin_key, full),
            ("narrowed key", self.admin_employee_key, narrowed),
            ("password", password, full),
        ]
        for route in ROUTES:
            for step, (label, secret, expected) in enumerate(steps):
                if route == "json2" and secret == password:
                    continue  # /json/2 only takes API keys
                with self.subTest(route=route, step=step, credential=label):
                    self.assertEqual(self.admin_rights(route, secret), expected)

    def admin_rights(self, route, secret):
        """Return what ``secret`` gets of three admin-only rights."""
        user = self.admin_owner
        settings = self.call(
            route,
            secret,
            "ir.config_parameter",
            "search_count",
            user=user,
            domain=[],
        )
        keys = self.call(
            route,
            secret,
            "res.users.apikeys",
            "search_count",
            user=user,
            domain=[("user_id", "=", self.owner.id)],
        )
        self.assertOutcome(keys, OK)
        has_group = self.call(
            route,
            secret,
            "res.users",
            "has_group",
            user.ids,
            user,
            group_ext_id="base.group_system",
        )
        self.assertOutcome(has_group, OK)
        return settings.kind, keys.result > 0, has_group.result

    def test_role_edits_apply_at_the_next_call(self):
        """Rights computed for a role's groups are never served stale."""
        for route in ROUTES:
            with self.subTest(route=route):
                for implied, expected in (
                    (self.group_user, FORBIDDEN),
                    (self.group_user | self.group_partner_manager, OK),
                    (self.group_user, FORBIDDEN),
                ):
                    self.reader_role.implied_ids = implied
                    outcome = self.call(
                        route,
                        self.reader_key,
                        "res.partner",
                        "write",
                        [self.partner.id],
                        vals={"name": f"Partner {route}"},
                    )
                    self.assertOutcome(outcome, expected)
