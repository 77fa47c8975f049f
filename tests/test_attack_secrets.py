# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Standing attacks: after calls of every kind, good and bad, no secret may
be found in what the addon and OCA auditlog store.

Every text, varchar and json column of every table they write is searched
for each clear key used, for the stored hash of every key, and for each
session id used: a session id may appear only as its SHA-256, in the
columns meant for it.
"""

import json
import xmlrpc.client
from unittest.mock import patch
from xml.parsers.expat import ExpatError

from odoo.tests import tagged
from odoo.tools import SQL, config, mute_logger

from .audit_common import BROWSER_FETCH_HEADERS, sha256
from .common import ROUTES, ApiKeyCase, json_rpc_payload

# The tables that the addon and OCA auditlog write during API calls, and the
# core log table they might write to.
SCANNED_TABLES = (
    "mcp_audit_request",
    "res_users_apikeys_usage",
    "auditlog_log",
    "auditlog_log_line",
    "auditlog_http_request",
    "auditlog_http_session",
    "ir_logging",
)
TEXT_TYPES = ("text", "character varying", "json", "jsonb", "character")
# where the SHA-256 of a session id may be kept: the audit row, and OCA
# auditlog's session log, which the addon names after the hash
SESSION_HASH_COLUMNS = {
    ("mcp_audit_request", "session_hash"),
    ("auditlog_http_session", "name"),
}


class SecretsCase(ApiKeyCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner_rule = cls.env.ref(
            "pan_mcp_pro_governance.auditlog_rule_res_partner"
        )
        # other suites may unpatch the audited models when they end
        cls.partner_rule._register_hook()
        cls.editor_key = cls.create_key(cls.owner, cls.editor_role, name="editor")
        cls.reader_key = cls.create_key(cls.owner, cls.reader_role, name="reader")
        cls.full_key = cls.create_key(cls.owner, name="full")
        cls.admin_key = cls.create_key(cls.admin_owner, name="admin")
        suspended = cls.create_key(cls.owner, cls.editor_role, name="paused")
        cls.key_record(suspended).action_suspend()
        cls.suspended_key = suspended
        cls.unknown_key = "a1b2c3d4" * 5
        cls.keys = [
            cls.editor_key,
            cls.reader_key,
            cls.full_key,
            cls.admin_key,
            cls.suspended_key,
            cls.unknown_key,
        ]

    def setUp(self):
        super().setUp()
        self.enterContext(self.post_commit_hooks())
        self.enterContext(mute_logger("odoo.sql_db"))
        self.sessions = []

    def text_columns(self):
        """Return [(table, column)] of every text-like column of the
        scanned tables that exist."""
        self.env.cr.execute(
            """
            SELECT table_name, column_name
              FROM information_schema.columns
             WHERE table_schema = current_schema()
               AND table_name IN %s AND data_type IN %s
             ORDER BY 1, 2
            """,
            (SCANNED_TABLES, TEXT_TYPES),
        )
        columns = self.env.cr.fetchall()
        self.assertIn(("mcp_audit_request", "path"), columns)
        # the keys' own table, but for the hashes it exists to keep
        self.env.cr.execute(
            """
            SELECT table_name, column_name
              FROM information_schema.columns
             WHERE table_schema = current_schema()
               AND table_name = 'res_users_apikeys' AND column_name != 'key'
               AND data_type IN %s
            """,
            (TEXT_TYPES,),
        )
        return columns + self.env.cr.fetchall()

    def columns_containing(self, secret):
        """Return the (table, column) pairs where ``secret`` is found."""
        self.env.flush_all()
        found = []
        for table, column in self.text_columns():
            self.env.cr.execute(
                SQL(
                    "SELECT 1 FROM %s WHERE strpos(%s::text, %s) > 0 LIMIT 1",
                    SQL.identifier(table),
                    SQL.identifier(column),
                    secret,
                )
            )
            if self.env.cr.fetchone():
                found.append((table, column))
        return found

    def stored_hashes(self):
        self.env.cr.execute("SELECT key FROM res_users_apikeys")
        return [row[0] for row in self.env.cr.fetchall()]

    def count_contacts(self, route, key, http_method="POST", headers=None):
        """Count the contacts with ``key`` on ``route``, over HTTP with any
        method and headers; return the count, or None if refused."""
        db = self.env.cr.dbname
        headers = {"X-Odoo-Database": db, **(headers or {})}
        args = [db, self.owner.id, key, "res.partner", "search_count", [[]]]
        if route == "json2":
            headers["Authorization"] = f"Bearer {key}"
            path, body = "/json/2/res.partner/search_count", {"domain": []}
        elif route == "jsonrpc":
            path, body = "/jsonrpc", json_rpc_payload("object", "execute_kw", args)
        else:
            headers["Content-Type"] = "text/xml"
            path = "/xmlrpc/2/object"
            body = xmlrpc.client.dumps(tuple(args), "execute_kw").encode()
        response = self.url_open(
            path,
            **({"data": body} if route == "xmlrpc" else {"json": body}),
            headers=headers,
            method=http_method,
        )
        if response.status_code != 200:
            return None
        try:
            if route == "json2":
                return response.json()
            if route == "jsonrpc":
                return response.json().get("result")
            return xmlrpc.client.loads(response.content)[0][0]
        except (ValueError, xmlrpc.client.Fault, ExpatError):
            # not an answer to the call: refused, or never served
            return None

    def assertNoSecretStored(self, keys=None):
        for key in keys or self.keys:
            with self.subTest(secret=f"key {key[:8]}"):
                self.assertEqual(self.columns_containing(key), [])
        for stored_hash in self.stored_hashes():
            with self.subTest(secret=f"hash {stored_hash[:24]}"):
                self.assertEqual(self.columns_containing(stored_hash), [])
        for sid in self.sessions:
            with self.subTest(secret=f"session {sid[:8]}"):
                self.assertEqual(self.columns_containing(sid), [])
                self.assertLessEqual(
                    set(self.columns_containing(sha256(sid))), SESSION_HASH_COLUMNS
                )

    def login(self):
        """Open a browser session of the owner; return its id."""
        sid = self.authenticate(self.owner.login, "key_owner_password").sid
        self.sessions.append(sid)
        return sid


@tagged("post_install", "-at_install")
class TestAttackSecrets(SecretsCase):
    def test_no_secret_is_stored_after_the_attacks(self):
        """Good calls, refused calls, bad tokens, logins, audited changes,
        keys used beside a browser session, and malformed requests."""
        partner = self.partner
        write = {"vals": {"comment": "changed by an attack"}}
        for route in ROUTES:
            for key in self.keys:
                self.call(route, key, "res.partner", "write", partner.ids, **write)
                self.call(
                    route, key, "res.partner", "read", partner.ids, fields=["name"]
                )
            # a key presented for another user
            self.call(
                route,
                self.editor_key,
                "res.partner",
                "read",
                partner.ids,
                self.admin_owner,
                fields=["name"],
            )
            # tokens close to a key
            for token in (self.editor_key.upper(), self.editor_key[:39]):
                self.call(route, token, "res.partner", "write", partner.ids, **write)
        db = self.env.cr.dbname
        for key in self.keys:
            self.xmlrpc_common.authenticate(db, self.owner.login, key, {})
            self.xmlrpc_common.login(db, self.owner.login, key)
            self.json_rpc("common", "authenticate", db, self.owner.login, key, {})

        # malformed requests carrying a key
        self.url_open(
            "/json/2/res.partner/write",
            data=b'{"ids": [',
            headers={
                "Authorization": f"Bearer {self.editor_key}",
                "Content-Type": "application/json",
            },
        )
        self.json_rpc(
            "object",
            "execute_kw",
            db,
            self.owner.id,
            [self.editor_key],
            "res.partner",
            "write",
            [partner.ids, {"comment": "x"}],
        )
        with self.assertRaises(xmlrpc.client.Fault):
            self.xmlrpc_object.execute_kw(
                db, self.owner.id, self.editor_key, "res.partner", "nope", []
            )

        # a key used beside its owner's browser session, changing audited
        # records; the browser itself, on /json/2 and in a form
        self.login()
        self.json2(
            self.editor_key,
            "res.partner",
            "write",
            ids=partner.ids,
            vals={"comment": "key beside a session"},
        )
        self.json2(
            None,
            "res.partner",
            "write",
            headers=BROWSER_FETCH_HEADERS,
            ids=partner.ids,
            vals={"comment": "browser"},
        )
        self.partner_rule.api_keys_only = False
        self.url_open(
            "/web/dataset/call_kw/res.partner/write",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "id": 1,
                    "params": {
                        "model": "res.partner",
                        "method": "write",
                        "args": [partner.ids, {"comment": "form"}],
                        "kwargs": {},
                    },
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        self.logout()

        self.env.invalidate_all()
        self.assertTrue(self.columns_containing("changed by an attack"))
        self.assertNoSecretStored()

    def test_session_of_a_key_call_is_not_stored(self):
        """A key call made with its owner's session cookie, changing records
        OCA auditlog audits: auditlog records the HTTP session of changes."""
        sid = self.login()
        status, body, _response = self.json2(
            self.editor_key,
            "res.partner",
            "write",
            ids=self.partner.ids,
            vals={"comment": "key beside a session"},
        )
        self.assertEqual(status, 200, body)
        self.assertEqual(self.columns_containing(sid), [])
        self.assertLessEqual(
            set(self.columns_containing(sha256(sid))), SESSION_HASH_COLUMNS
        )

    def test_misplaced_keys_are_not_stored(self):
        """Clients that put the key where no key belongs: in the URL, in the
        parameters, or swapped with the user id or the login. The audit
        records paths, methods and error messages of such calls."""
        key = self.editor_key
        db = self.env.cr.dbname
        for model, method, params in (
            (key, "search", {"domain": []}),
            ("res.partner", key, {}),
            ("res.partner", "read", {"ids": [key], "fields": ["name"]}),
            ("res.partner", "search", {"domain": [[key, "=", 1]]}),
            ("res.partner", "search", {"domain": [["name", key, 1]]}),
            # behind other hexadecimal digits, which no 40-digit window skips
            ("ab" * 115 + key, "search", {"domain": []}),
            # split by a character the audit removes
            (f"{key[:20]}\x00{key[20:]}", "search", {"domain": []}),
        ):
            with self.subTest(model=model[:12], method=method[:12], params=params):
                self.json2(key, model, method, **params)
        # where the audit cuts what it keeps
        self.json2(
            key, "res.partner", "search", headers={"User-Agent": "x" * 220 + key}
        )
        self.json_rpc(
            "object",
            "execute_kw",
            db,
            key,
            self.owner.id,
            "res.partner",
            "search",
            [[]],
        )
        self.json_rpc(
            "object", "execute_kw", db, self.owner.id, key, key, "search", [[]]
        )
        self.json_rpc("common", "authenticate", db, key, key, {})
        # split by a character the audit removes
        self.json_rpc(
            "object",
            "execute_kw",
            db,
            self.owner.id,
            key,
            f"{key[:20]}\x00{key[20:]}",
            "search",
            [[]],
        )
        # as the HTTP method
        count = self.env["res.partner"].search_count([])
        for route in ROUTES:
            with self.subTest(route=route, where="HTTP method"):
                self.assertEqual(self.count_contacts(route, key), count)
                self.count_contacts(route, key, http_method=key)
        # as the client's address behind a proxy, with a refused key: in the
        # row of the call and in the warning of its refusal
        proxied = {"X-Forwarded-For": key, "X-Forwarded-Host": "localhost"}
        for route in ROUTES:
            with (
                self.subTest(route=route, where="address"),
                patch.dict(config.options, {"proxy_mode": True}),
                self.assertLogs(
                    "odoo.addons.pan_mcp_pro_governance.models.res_users_apikeys",
                    "WARNING",
                ) as logs,
            ):
                self.assertIsNone(
                    self.count_contacts(route, self.suspended_key, headers=proxied)
                )
            self.assertNotIn(key[8:], "\n".join(logs.output))
        self.assertNoSecretStored([key])
        # nor any part of it beyond its index, which Odoo stores
        for part in (key[8:28], key[20:]):
            with self.subTest(part=part):
                self.assertEqual(self.columns_containing(part), [])
