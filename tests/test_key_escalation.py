# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.tests import tagged

from .common import (
    ALL_DENIED,
    ALL_OK,
    DENIED,
    FORBIDDEN,
    INVALID,
    OK,
    ROUTES,
    ApiKeyCase,
)


@tagged("post_install", "-at_install")
class TestKeyEscalation(ApiKeyCase):
    """A key limited to a role cannot widen its rights by any call: no new
    key, no rewritten key, no role or group of its owner changed.

    Two attackers: a reader key of a plain user, and an employee key of a
    settings administrator, whose owner could do all of it.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.owner_key = cls.create_key(cls.owner)
        cls.admin_key = cls.create_key(cls.admin_owner)
        cls.admin_role_key = cls.create_key(cls.admin_owner, cls.admin_role)
        cls.attackers = []
        for user, role, broader_role, other_key in (
            (cls.owner, cls.reader_role, cls.editor_role, cls.admin_key),
            (cls.admin_owner, cls.employee_role, cls.admin_role, cls.owner_key),
        ):
            sibling_key = cls.create_key(user, name="suspended sibling")
            cls.key_record(sibling_key).action_suspend()
            cls.attackers.append(
                {
                    "user": user,
                    "role": role,
                    "broader_role": broader_role,
                    "key": cls.create_key(user, role, name="attacker"),
                    "sibling": cls.key_record(sibling_key),
                    "other": cls.key_record(other_key),
                }
            )

    def attempts(self):
        """Return every (route, attacker, subtest) to attack with."""
        return [
            (
                route,
                attacker,
                self.subTest(route=route, attacker=attacker["role"].name),
            )
            for attacker in self.attackers
            for route in ROUTES
        ]

    def attack(self, route, attacker, model, method, ids=None, **params):
        return self.call(
            route, attacker["key"], model, method, ids, attacker["user"], **params
        )

    @staticmethod
    def own_keys(*command):
        """Return the values changing one's keys through one's own user."""
        return {"api_key_ids": [command]}

    def key_states(self):
        self.env.invalidate_all()
        keys = self.env["res.users.apikeys"].search([])
        return {
            key.id: (key.state, key.role_id.id, key.expiration_date) for key in keys
        }

    def test_narrowed_key_cannot_mint_keys(self):
        states = self.key_states()
        for route, attacker, subtest in self.attempts():
            with subtest:
                outcome = self.attack(
                    route,
                    attacker,
                    "res.users.apikeys",
                    "_generate",
                    scope=False,
                    name="minted",
                    expiration_date=False,
                )
                self.assertOutcome(outcome, FORBIDDEN)

                # employees may fill the wizard in, as in core, with any of
                # their owner's roles
                role_id = str(attacker["broader_role"].id)
                outcome = self.attack(
                    route,
                    attacker,
                    "res.users.apikeys.description",
                    "create",
                    vals_list=[{"name": "minted", "role": role_id}],
                )
                self.assertOutcome(outcome, OK)
                outcome = self.attack(
                    route,
                    attacker,
                    "res.users.apikeys.description",
                    "make_key",
                    outcome.result,
                )
                # the identity check asks for a password, which keys lack
                self.assertNotIn("default_key", str(outcome.result))
                if route == "json2":
                    self.assertOutcome(outcome, OK)
                    self.assertEqual(
                        outcome.result["res_model"], "res.users.identitycheck"
                    )
                else:
                    self.assertOutcome(outcome, INVALID)
        self.assertEqual(self.key_states(), states)

    def test_narrowed_key_cannot_rewrite_keys(self):
        states = self.key_states()
        for route, attacker, subtest in self.attempts():
            with subtest:
                own = self.key_record(attacker["key"])
                for key in (own, attacker["sibling"], attacker["other"]):
                    for vals in (
                        {"role_id": False},
                        {"role_id": attacker["broader_role"].id},
                        {"state": "active"},
                        {"expiration_date": False},
                    ):
                        outcome = self.attack(
                            route,
                            attacker,
                            "res.users.apikeys",
                            "write",
                            key.ids,
                            vals=vals,
                        )
                        self.assertOutcome(outcome, FORBIDDEN)
        self.assertEqual(self.key_states(), states)

    def test_narrowed_key_cannot_manage_keys(self):
        states = self.key_states()
        for route, attacker, subtest in self.attempts():
            with subtest:
                for method, key in (
                    ("unlink", attacker["sibling"]),
                    ("action_resume", attacker["sibling"]),
                    ("action_revoke", attacker["sibling"]),
                    ("action_suspend", attacker["other"]),
                    ("action_revoke", attacker["other"]),
                ):
                    outcome = self.attack(
                        route, attacker, "res.users.apikeys", method, key.ids
                    )
                    self.assertOutcome(outcome, FORBIDDEN)
        self.assertEqual(self.key_states(), states)

    def test_narrowed_key_cannot_grant_itself_rights(self):
        users = self.owner | self.admin_owner
        groups = {user: user.group_ids for user in users}
        roles = self.env["res.users.role"].search([])
        implied = {role: role.implied_ids for role in roles}
        states = self.key_states()
        system = self.group_system.id
        for route, attacker, subtest in self.attempts():
            with subtest:
                user = attacker["user"]
                admin_line = {"user_id": user.id, "role_id": self.admin_role.id}
                own_key = self.key_record(attacker["key"])
                sibling = attacker["sibling"]
                imply_system = {"implied_ids": [(4, system)]}
                for model, ids, vals in (
                    ("res.users.role.line", None, admin_line),
                    ("res.users", user.ids, {"group_ids": [(4, system)]}),
                    ("res.users", user.ids, {"role_line_ids": [(0, 0, admin_line)]}),
                    ("res.users.role", attacker["role"].ids, imply_system),
                    ("res.groups", self.group_user.ids, imply_system),
                    ("res.users", user.ids, self.own_keys(0, 0, {"name": "minted"})),
                    (
                        "res.users",
                        user.ids,
                        self.own_keys(1, own_key.id, {"role_id": 0}),
                    ),
                    (
                        "res.users",
                        user.ids,
                        self.own_keys(1, sibling.id, {"state": "active"}),
                    ),
                ):
                    if ids is None:
                        outcome = self.attack(
                            route, attacker, model, "create", vals_list=[vals]
                        )
                    else:
                        outcome = self.attack(
                            route, attacker, model, "write", ids, vals=vals
                        )
                    self.assertOutcome(outcome, FORBIDDEN)
        self.env.invalidate_all()
        self.assertEqual({user: user.group_ids for user in users}, groups)
        self.assertEqual({role: role.implied_ids for role in roles}, implied)
        self.assertEqual(self.key_states(), states)

    def test_narrowed_key_cannot_take_its_owner_account_over(self):
        """Users may change their own email or password without any right on
        users; a key that could would hand its owner's account to whoever
        resets the password."""
        for route, attacker, subtest in self.attempts():
            with subtest:
                user = attacker["user"]
                for vals in (
                    {"email": "attacker@example.com"},
                    {"login": "attacker"},
                    {"signature": "<p>pwned</p>"},
                ):
                    outcome = self.attack(
                        route, attacker, "res.users", "write", user.ids, vals=vals
                    )
                    self.assertOutcome(outcome, FORBIDDEN, attacker["role"])
        self.env.invalidate_all()
        self.assertNotEqual(self.owner.email, "attacker@example.com")
        self.assertNotEqual(self.admin_owner.email, "attacker@example.com")
        # without a role, the key is its owner, who may
        outcome = self.call(
            "json2",
            self.owner_key,
            "res.users",
            "write",
            self.owner.ids,
            vals={"signature": "<p>mine</p>"},
        )
        self.assertOutcome(outcome, OK)

    def test_key_cannot_act_as_another_user(self):
        """On the legacy routes the client names its user: a key is only
        ever its owner's."""
        admin = self.admin_owner
        for route in ("jsonrpc", "xmlrpc"):
            for key in (self.attackers[0]["key"], self.owner_key):
                with self.subTest(route=route, key=self.key_record(key).name):
                    outcome = self.call(
                        route, key, "res.users", "read", admin.ids, admin
                    )
                    self.assertOutcome(outcome, DENIED)
                    db = self.env.cr.dbname
                    uid = self.xmlrpc_common.authenticate(db, admin.login, key, {})
                    self.assertFalse(uid)

    def test_narrowed_key_is_not_served_menus(self):
        for route, attacker, subtest in self.attempts():
            with subtest:
                for method, params in (
                    ("load_menus", {"debug": False}),
                    ("load_menus_root", {}),
                ):
                    outcome = self.attack(
                        route, attacker, "ir.ui.menu", method, **params
                    )
                    self.assertOutcome(outcome, FORBIDDEN, attacker["role"])
        # keys with all their owner's rights are, as in core (not on XML-RPC,
        # which cannot send the menus' integer keys)
        for route in ("json2", "jsonrpc"):
            with self.subTest(route=route, key="full"):
                outcome = self.call(
                    route, self.owner_key, "ir.ui.menu", "load_menus", debug=False
                )
                self.assertOutcome(outcome, OK)
                self.assertIn("root", outcome.result)

    def test_admin_role_key_manages_keys(self):
        """A key whose role makes it a settings administrator manages any
        key, as its owner may; but not beyond what the model allows."""
        for route in ROUTES:
            with self.subTest(route=route):
                victim_key = self.create_key(self.owner, name=f"victim {route}")
                victim = self.key_record(victim_key)
                for method, state, probe in (
                    ("action_suspend", "suspended", ALL_DENIED),
                    ("action_resume", "active", ALL_OK),
                    ("action_revoke", "revoked", ALL_DENIED),
                ):
                    outcome = self.call(
                        route,
                        self.admin_role_key,
                        "res.users.apikeys",
                        method,
                        victim.ids,
                        self.admin_owner,
                    )
                    self.assertOutcome(outcome, OK)
                    victim.invalidate_recordset()
                    self.assertEqual(victim.state, state)
                    self.assertEqual(self.probe(victim_key), probe)

                outcome = self.call(
                    route,
                    self.admin_role_key,
                    "res.users.apikeys",
                    "action_resume",
                    victim.ids,
                    self.admin_owner,
                )
                self.assertOutcome(outcome, INVALID)
                outcome = self.call(
                    route,
                    self.admin_role_key,
                    "res.users.apikeys",
                    "write",
                    victim.ids,
                    self.admin_owner,
                    vals={"state": "active"},
                )
                self.assertOutcome(outcome, FORBIDDEN)
                victim.invalidate_recordset()
                self.assertEqual(victim.state, "revoked")
