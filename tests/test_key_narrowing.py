# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.fields import Command
from odoo.tests import tagged

from .common import FORBIDDEN, OK, ROUTES, ApiKeyCase


@tagged("post_install", "-at_install")
class TestKeyNarrowing(ApiKeyCase):
    """A key bound to a role has its role's share of its owner's rights: no
    right of the owner outside the role, and nothing the owner lacks."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.reader_key = cls.create_key(cls.owner, cls.reader_role)
        cls.owner_key = cls.create_key(cls.owner)
        cls.admin_key = cls.create_key(cls.admin_owner)
        cls.admin_employee_key = cls.create_key(cls.admin_owner, cls.employee_role)

        # Employees read every tag; members of "Restricted tags" read one only.
        # Dropping that group from a key would widen what the key sees, since
        # record rules only ever restrict the members of their groups.
        cls.group_restricted = cls.env["res.groups"].create({"name": "Restricted tags"})
        cls.env["ir.rule"].create(
            {
                "name": "Restricted tags: one tag only",
                "model_id": cls.env.ref("base.model_res_partner_category").id,
                "groups": [Command.link(cls.group_restricted.id)],
                "domain_force": "[('name', '=', 'Key tag onlythis')]",
            }
        )
        cls.restricted_role = cls.create_role(
            "Restricted tags reader", cls.group_user | cls.group_restricted
        )
        cls.restricted_owner = cls.create_owner(
            "key_restricted", cls.restricted_role | cls.reader_role
        )
        cls.tags = cls.env["res.partner.category"].create(
            [
                {"name": "Key tag onlythis"},
                {"name": "Key tag other 1"},
                {"name": "Key tag other 2"},
            ]
        )

    def tag_names(self, route, key, user):
        outcome = self.call(
            route,
            key,
            "res.partner.category",
            "search_read",
            user=user,
            domain=[("name", "=like", "Key tag %")],
            fields=["name"],
        )
        self.assertOutcome(outcome, OK)
        return sorted(tag["name"] for tag in outcome.result)

    def test_reader_key_reads_but_cannot_write(self):
        for route in ROUTES:
            with self.subTest(route=route):
                outcome = self.call(
                    route,
                    self.reader_key,
                    "res.partner",
                    "read",
                    [self.partner.id],
                    fields=["name"],
                )
                self.assertOutcome(outcome, OK)
                self.assertEqual(outcome.result[0]["name"], "Scoped Partner")

                outcome = self.call(
                    route,
                    self.reader_key,
                    "res.partner",
                    "write",
                    [self.partner.id],
                    vals={"name": "Renamed by a reader"},
                )
                self.assertOutcome(outcome, FORBIDDEN, self.reader_role)
        self.partner.invalidate_recordset()
        self.assertEqual(self.partner.name, "Scoped Partner")

    def test_narrowed_admin_key_is_refused_system_models(self):
        for route in ROUTES:
            with self.subTest(route=route):
                outcome = self.call(
                    route,
                    self.admin_employee_key,
                    "ir.config_parameter",
                    "search_count",
                    user=self.admin_owner,
                    domain=[],
                )
                self.assertOutcome(outcome, FORBIDDEN, self.employee_role)
                outcome = self.call(
                    route,
                    self.admin_employee_key,
                    "ir.config_parameter",
                    "get_param",
                    user=self.admin_owner,
                    key="web.base.url",
                )
                self.assertOutcome(outcome, FORBIDDEN, self.employee_role)

                # the same owner's full key is a settings administrator
                outcome = self.call(
                    route,
                    self.admin_key,
                    "ir.config_parameter",
                    "get_param",
                    user=self.admin_owner,
                    key="web.base.url",
                )
                self.assertOutcome(outcome, OK)
                self.assertEqual(outcome.result, self.base_url())

    def test_key_sees_no_record_its_owner_cannot_see(self):
        everything = ["Key tag onlythis", "Key tag other 1", "Key tag other 2"]
        restricted_key = self.create_key(self.restricted_owner, self.reader_role)
        restricted_full_key = self.create_key(self.restricted_owner)
        other_tag = self.tags[1]
        for route in ROUTES:
            with self.subTest(route=route):
                # the same role on an unrestricted owner sees every tag
                self.assertEqual(
                    self.tag_names(route, self.reader_key, self.owner), everything
                )
                self.assertEqual(
                    self.tag_names(route, restricted_full_key, self.restricted_owner),
                    ["Key tag onlythis"],
                )
                self.assertEqual(
                    self.tag_names(route, restricted_key, self.restricted_owner),
                    ["Key tag onlythis"],
                )
                outcome = self.call(
                    route,
                    restricted_key,
                    "res.partner.category",
                    "read",
                    other_tag.ids,
                    user=self.restricted_owner,
                    fields=["name"],
                )
                self.assertOutcome(outcome, FORBIDDEN)
                outcome = self.call(
                    route,
                    restricted_key,
                    "res.partner.category",
                    "search_count",
                    user=self.restricted_owner,
                    domain=[("id", "=", other_tag.id)],
                )
                self.assertEqual(outcome, (OK, 0, ""))

    def test_admin_role_key_sees_no_record_its_owner_cannot_see(self):
        """Even a key whose role makes it a settings administrator."""
        self.admin_owner.role_line_ids = [
            Command.create({"role_id": self.restricted_role.id})
        ]
        admin_role_key = self.create_key(self.admin_owner, self.admin_role)
        for route in ROUTES:
            with self.subTest(route=route):
                for key in (self.admin_key, admin_role_key):
                    self.assertEqual(
                        self.tag_names(route, key, self.admin_owner),
                        ["Key tag onlythis"],
                    )

    def test_has_group_is_narrowed(self):
        user = self.admin_owner
        system_id = self.group_system.id
        for route in ROUTES:
            with self.subTest(route=route):
                expectations = [
                    (self.admin_employee_key, "base.group_system", False),
                    (self.admin_employee_key, "base.group_user", True),
                    (self.admin_key, "base.group_system", True),
                ]
                for key, group, expected in expectations:
                    outcome = self.call(
                        route,
                        key,
                        "res.users",
                        "has_group",
                        user.ids,
                        user,
                        group_ext_id=group,
                    )
                    self.assertEqual(outcome, (OK, expected, ""), group)

                outcome = self.call(
                    route,
                    self.admin_employee_key,
                    "res.users",
                    "read",
                    user.ids,
                    user,
                    fields=["all_group_ids"],
                )
                self.assertOutcome(outcome, OK)
                group_ids = outcome.result[0]["all_group_ids"]
                self.assertIn(self.group_user.id, group_ids)
                self.assertNotIn(system_id, group_ids)
                self.assertNotIn(self.admin_role.group_id.id, group_ids)

    def test_narrowed_admin_key_sees_only_its_own_keys(self):
        """Administrators see every key, through a record rule of theirs."""
        owner_key_ids = self.env["res.users.apikeys"].search(
            [("user_id", "=", self.owner.id)]
        )
        self.assertTrue(owner_key_ids)
        for route in ROUTES:
            with self.subTest(route=route):
                for key, sees_others in (
                    (self.admin_employee_key, False),
                    (self.admin_key, True),
                ):
                    outcome = self.call(
                        route,
                        key,
                        "res.users.apikeys",
                        "search_read",
                        user=self.admin_owner,
                        domain=[],
                        fields=["user_id"],
                    )
                    self.assertOutcome(outcome, OK)
                    user_ids = {row["user_id"][0] for row in outcome.result}
                    self.assertIn(self.admin_owner.id, user_ids)
                    self.assertEqual(self.owner.id in user_ids, sees_others)

    def test_system_fields_are_refused_to_a_narrowed_admin_key(self):
        """`presence_ids` of users is for settings administrators only."""
        user = self.admin_owner
        for route in ROUTES:
            with self.subTest(route=route):
                outcome = self.call(
                    route,
                    self.admin_employee_key,
                    "res.users",
                    "read",
                    user.ids,
                    user,
                    fields=["presence_ids"],
                )
                self.assertOutcome(outcome, FORBIDDEN)
                outcome = self.call(
                    route,
                    self.admin_key,
                    "res.users",
                    "read",
                    user.ids,
                    user,
                    fields=["presence_ids"],
                )
                self.assertOutcome(outcome, OK)

                for key, listed in (
                    (self.admin_employee_key, False),
                    (self.admin_key, True),
                ):
                    outcome = self.call(
                        route,
                        key,
                        "res.users",
                        "fields_get",
                        user=user,
                        attributes=["type"],
                    )
                    self.assertOutcome(outcome, OK)
                    self.assertIn("login", outcome.result)
                    self.assertEqual("presence_ids" in outcome.result, listed)

    def test_key_without_role_keeps_its_owner_rights(self):
        for route in ROUTES:
            with self.subTest(route=route):
                outcome = self.call(
                    route,
                    self.owner_key,
                    "res.partner",
                    "write",
                    [self.partner.id],
                    vals={"name": f"Renamed on {route}"},
                )
                self.assertOutcome(outcome, OK)
                self.partner.invalidate_recordset()
                self.assertEqual(self.partner.name, f"Renamed on {route}")

                outcome = self.call(
                    route,
                    self.admin_key,
                    "ir.config_parameter",
                    "search_count",
                    user=self.admin_owner,
                    domain=[],
                )
                self.assertOutcome(outcome, OK)
                self.assertGreater(outcome.result, 0)
