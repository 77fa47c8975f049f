# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date, timedelta

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import (
    ALL_DENIED,
    ALL_OK,
    INVALID,
    OK,
    ROUTES,
    ApiKeyCase,
)


@tagged("post_install", "-at_install")
class TestKeyLifecycle(ApiKeyCase):
    """A key that is not active, or whose owner or role is gone, is refused
    on every route from the very next call, even right after a call that
    warmed every cache; it never falls back to its owner's full rights."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.owner_key = cls.create_key(cls.owner)

    def assertRefusedEverywhere(self, key, user=None):
        """Assert ``key`` of ``user`` is refused on every route, at login too."""
        user = user or self.owner
        self.assertEqual(self.probe(key, user), ALL_DENIED)
        # nor can it log in, on the legacy routes
        uid = self.xmlrpc_common.authenticate(self.env.cr.dbname, user.login, key, {})
        self.assertFalse(uid)

    def warmed_key(self, user=None, role=None):
        """Return a new key of ``user`` that just worked on every route."""
        user = user or self.owner
        key = self.create_key(user, role)
        self.assertEqual(self.probe(key, user), ALL_OK)
        return key

    def change_state(self, key, method):
        """Run ``method`` on ``key`` as its owner, over /json/2 with the
        owner's full key, as a client would."""
        outcome = self.call(
            "json2", self.owner_key, "res.users.apikeys", method, self.key_ids(key)
        )
        self.assertOutcome(outcome, OK)

    def key_ids(self, key):
        return self.key_record(key).ids

    def test_suspended_key_is_refused_until_resumed(self):
        key = self.warmed_key(role=self.reader_role)
        self.change_state(key, "action_suspend")
        self.assertRefusedEverywhere(key)
        self.change_state(key, "action_resume")
        self.assertEqual(self.probe(key), ALL_OK)

    def test_revoked_key_is_refused_for_good(self):
        key = self.warmed_key()
        self.change_state(key, "action_revoke")
        self.assertRefusedEverywhere(key)
        for route in ROUTES:
            with self.subTest(route=route):
                outcome = self.call(
                    route,
                    self.owner_key,
                    "res.users.apikeys",
                    "action_resume",
                    self.key_ids(key),
                )
                self.assertOutcome(outcome, INVALID)
        with self.assertRaises(UserError):
            self.key_record(key).with_user(self.owner).action_resume()
        self.key_record(key).invalidate_recordset()
        self.assertEqual(self.key_record(key).state, "revoked")
        self.assertRefusedEverywhere(key)

    def test_expired_key_is_refused(self):
        key = self.warmed_key(role=self.reader_role)
        self.env.cr.execute(
            """
            UPDATE res_users_apikeys
               SET expiration_date = now() at time zone 'utc' - interval '1 day'
             WHERE id = %s
            """,
            self.key_ids(key),
        )
        self.assertRefusedEverywhere(key)

    def test_deleted_key_is_refused_at_once(self):
        """Core keeps a deleted key working on /jsonrpc and /xmlrpc as long
        as its (uid, key) check stays cached: not here."""
        for role in (None, self.reader_role):
            with self.subTest(role=role and role.name):
                key = self.warmed_key(role=role)
                self.key_record(key).with_user(self.owner)._remove()
                self.assertFalse(self.key_record(key).exists())
                self.assertRefusedEverywhere(key)

    def test_key_of_archived_owner_is_refused(self):
        full_key = self.warmed_key()
        narrowed_key = self.warmed_key(role=self.reader_role)
        self.owner.active = False
        self.assertRefusedEverywhere(full_key)
        self.assertRefusedEverywhere(narrowed_key)

    def test_key_whose_role_line_was_removed_is_refused(self):
        key = self.warmed_key(role=self.reader_role)
        self.owner.role_line_ids.filtered(
            lambda line: line.role_id == self.reader_role
        ).unlink()
        self.assertRefusedEverywhere(key)
        # the owner still works with its other role
        self.assertEqual(self.probe(self.owner_key), ALL_OK)

    def test_key_whose_role_line_ended_is_refused(self):
        key = self.warmed_key(role=self.editor_role)
        line = self.owner.role_line_ids.filtered(
            lambda line: line.role_id == self.editor_role
        )
        line.date_to = date.today() - timedelta(days=1)
        self.assertRefusedEverywhere(key)

    def test_key_whose_role_line_has_not_started_is_refused(self):
        key = self.warmed_key(role=self.editor_role)
        line = self.owner.role_line_ids.filtered(
            lambda line: line.role_id == self.editor_role
        )
        line.date_from = date.today() + timedelta(days=1)
        self.assertRefusedEverywhere(key)

    def test_key_whose_role_lost_the_user_type_is_refused(self):
        """A key never runs as a user of no type (employee, portal...)."""
        key = self.warmed_key(role=self.reader_role)
        self.reader_role.implied_ids = self.group_partner_manager
        self.assertRefusedEverywhere(key)
        # its owner is still an employee, through its other role
        self.assertEqual(self.probe(self.owner_key), ALL_OK)

    def test_key_whose_role_was_deleted_is_revoked(self):
        key = self.warmed_key(role=self.reader_role)
        self.reader_role.unlink()
        record = self.key_record(key)
        self.assertEqual(record.state, "revoked")
        self.assertFalse(record.role_id)
        self.assertRefusedEverywhere(key)
        with self.assertRaises(UserError):
            record.with_user(self.owner).action_resume()

    def test_refused_keys_are_refused_alike_on_json2(self):
        """A client learns nothing of why a key is refused: the answer to an
        unknown key is the answer to a malformed, suspended, revoked, expired
        or deleted key, to a key of an archived owner, or of a role lost."""
        keys = {
            "unknown": "0123456789abcdef0123456789abcdef01234567",
            "malformed": "not a key",
        }
        for reason in ("suspended", "revoked", "expired", "deleted"):
            keys[reason] = self.create_key(self.owner, name=reason)
        keys["role lost"] = self.create_key(self.owner, self.reader_role)
        keys["archived owner"] = self.create_key(self.admin_owner)
        self.key_record(keys["suspended"]).action_suspend()
        self.key_record(keys["revoked"]).action_revoke()
        self.key_record(keys["expired"]).write({"expiration_date": "2020-01-01"})
        self.key_record(keys["deleted"]).unlink()
        self.owner.role_line_ids.filtered(
            lambda line: line.role_id == self.reader_role
        ).unlink()
        self.admin_owner.active = False

        answers = {}
        for reason, key in keys.items():
            _status, _body, response = self.json2(key, "res.partner", "search")
            answers[reason] = self.refusal(response)
        self.assertEqual(answers["unknown"][0], 401)
        self.assertTrue(answers["unknown"][1].lower().startswith("bearer"))
        for reason, answer in answers.items():
            with self.subTest(reason=reason):
                self.assertEqual(answer, answers["unknown"])

    def test_missing_authorization_is_refused_like_an_unknown_key(self):
        """Nor does a client learn whether a key was expected at all."""
        unknown_key = "0123456789abcdef0123456789abcdef01234567"
        _status, _body, response = self.json2(unknown_key, "res.partner", "search")
        _status, _body, missing = self.json2(None, "res.partner", "search")
        self.assertEqual(self.refusal(missing), self.refusal(response))

    @staticmethod
    def refusal(response):
        """Return all a client sees of a refusal."""
        return (
            response.status_code,
            response.headers.get("WWW-Authenticate", ""),
            response.headers.get("Content-Type"),
            response.content,
        )

    def test_calls_are_counted(self):
        self.enterContext(self.post_commit_hooks())
        key = self.create_key(self.owner, self.reader_role)
        record = self.key_record(key)
        self.assertEqual(record.call_count, 0)
        self.assertFalse(record.last_used)

        expected = 0
        for route in ROUTES:
            for _call in range(2):
                self.assertEqual(self.probe_route(route, key), OK)
                expected += 1
                self.env.invalidate_all()
                self.assertEqual(record.call_count, expected, route)
        self.assertTrue(record.last_used)

        # a refused key is not counted, nor are other keys' calls
        record.action_suspend()
        self.assertEqual(self.probe(key), ALL_DENIED)
        self.assertEqual(self.probe(self.owner_key), ALL_OK)
        self.env.invalidate_all()
        self.assertEqual(record.call_count, expected)
        self.assertEqual(self.key_record(self.owner_key).call_count, len(ROUTES))

    def probe_route(self, route, key):
        outcome = self.call(
            route, key, "res.users", "read", self.owner.ids, fields=["login"]
        )
        return outcome.kind
