# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import time
from datetime import date, timedelta

from odoo.fields import Command
from odoo.tests import tagged
from odoo.tests.common import JsonRpcException

from .common import FORBIDDEN, OK, ApiKeyCase

WIZARD = "res.users.apikeys.description"


@tagged("post_install", "-at_install")
class TestKeyWizard(ApiKeyCase):
    """The "New API Key" wizard, driven as the web client does: a user's
    session whose identity was checked a minute ago."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.outsider_role = cls.create_role("Not held", cls.group_user)
        cls.future_role = cls.create_role("Held from tomorrow", cls.group_user)
        cls.untyped_role = cls.create_role(
            "No user type", cls.env["res.groups"].create({"name": "Untyped"})
        )
        cls.owner.role_line_ids = [
            Command.create(
                {
                    "role_id": cls.future_role.id,
                    "date_from": date.today() + timedelta(days=1),
                }
            ),
            Command.create({"role_id": cls.untyped_role.id}),
        ]

    def setUp(self):
        super().setUp()
        self.authenticate(
            self.owner.login,
            "key_owner_password",
            session_extra={"identity-check-last": time.time()},
        )

    def session_call(self, model, method, *args, **kwargs):
        """Call ``method`` through the web client's route; return its result
        or raise JsonRpcException, whose message is the error's name."""
        return self.make_jsonrpc_request(
            "/web/dataset/call_kw",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def key_count(self):
        return self.env["res.users.apikeys"].search_count(
            [("user_id", "=", self.owner.id)]
        )

    def test_role_choices_are_the_users_own_roles(self):
        fields = self.session_call(WIZARD, "fields_get", ["role"], ["selection"])
        choices = dict(fields["role"]["selection"])
        self.assertEqual(
            choices,
            {
                str(self.reader_role.id): self.reader_role.name,
                str(self.editor_role.id): self.editor_role.name,
            },
        )

    def test_make_key_binds_the_chosen_role(self):
        wizard_id = self.session_call(
            WIZARD, "create", {"name": "reader", "role": str(self.reader_role.id)}
        )
        action = self.session_call(WIZARD, "make_key", [wizard_id])
        key = action["context"]["default_key"]
        self.assertEqual(self.key_record(key).role_id, self.reader_role)
        self.assertEqual(self.key_record(key).state, "active")

        outcome = self.call(
            "json2", key, "res.partner", "write", self.partner.ids, vals={"name": "X"}
        )
        self.assertOutcome(outcome, FORBIDDEN, self.reader_role)
        outcome = self.call(
            "json2", key, "res.partner", "read", self.partner.ids, fields=["name"]
        )
        self.assertOutcome(outcome, OK)

    def test_make_key_without_role_gives_all_the_users_rights(self):
        wizard_id = self.session_call(WIZARD, "create", {"name": "full"})
        key = self.session_call(WIZARD, "make_key", [wizard_id])["context"][
            "default_key"
        ]
        self.assertFalse(self.key_record(key).role_id)
        outcome = self.call(
            "json2", key, "res.partner", "write", self.partner.ids, vals={"name": "X"}
        )
        self.assertOutcome(outcome, OK)

    def test_forged_role_is_refused(self):
        """Roles not offered may be sent all the same: no key is made."""
        keys = self.key_count()
        for role in (self.outsider_role, self.future_role, self.untyped_role):
            with self.subTest(role=role.name):
                self.assertMakeKeyRefused({"name": "forged", "role": str(role.id)})
                wizard_id = self.session_call(WIZARD, "create", {"name": "forged"})
                try:
                    self.session_call(
                        WIZARD, "write", [wizard_id], {"role": str(role.id)}
                    )
                except JsonRpcException:
                    continue  # refused at once: as good
                with self.assertRaises(JsonRpcException):
                    self.session_call(WIZARD, "make_key", [wizard_id])
        self.assertEqual(self.key_count(), keys)

    def assertMakeKeyRefused(self, vals):
        """Assert that no key is made from a wizard filled with ``vals``."""
        try:
            wizard_id = self.session_call(WIZARD, "create", vals)
        except JsonRpcException:
            return  # refused at once: as good
        with self.assertRaises(JsonRpcException) as error:
            self.session_call(WIZARD, "make_key", [wizard_id])
        self.assertEqual(error.exception.args[0], "odoo.exceptions.UserError")

    def test_role_lost_before_make_key_is_refused(self):
        keys = self.key_count()
        wizard_id = self.session_call(
            WIZARD, "create", {"name": "late", "role": str(self.editor_role.id)}
        )
        self.owner.role_line_ids.filtered(
            lambda line: line.role_id == self.editor_role
        ).unlink()
        with self.assertRaises(JsonRpcException) as error:
            self.session_call(WIZARD, "make_key", [wizard_id])
        self.assertEqual(error.exception.args[0], "odoo.exceptions.UserError")
        self.assertEqual(self.key_count(), keys)

    def test_make_key_requires_a_recent_identity_check(self):
        self.authenticate(self.owner.login, "key_owner_password")
        keys = self.key_count()
        wizard_id = self.session_call(
            WIZARD, "create", {"name": "unchecked", "role": str(self.reader_role.id)}
        )
        action = self.session_call(WIZARD, "make_key", [wizard_id])
        self.assertEqual(action["res_model"], "res.users.identitycheck")
        self.assertNotIn("default_key", str(action))
        self.assertEqual(self.key_count(), keys)
