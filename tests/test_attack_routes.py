# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Standing attacks: every route that accepts an API key, and every way a key
limited to a role could try to widen its rights.

The routes are read from the installed database's routing map, never from a
hand-kept list: a module that adds a route accepting keys gets at least the
generic attack, and a route of a known kind that disappears is noticed.
"""

import json
import re
import threading
import xmlrpc.client
from unittest.mock import patch

from odoo.fields import Command
from odoo.tests import tagged
from odoo.tests.common import Transport

from odoo.addons.rpc.controllers.jsonrpc import JSONRPC
from odoo.addons.rpc.controllers.xmlrpc import XMLRPC

from .common import DENIED, FORBIDDEN, INVALID, OK, ROUTES, ApiKeyCase

# The authentication methods of `ir.http` that take an API key.
KEY_AUTHS = ("bearer", "outlook")

# What a route's path parameters are replaced with, by converter.
PLACEHOLDERS = {"int": "1", "path": "res.partner", "default": "res.partner"}


def is_installed(env, module):
    return bool(
        env["ir.module.module"].search_count(
            [("name", "=", module), ("state", "=", "installed")]
        )
    )


def key_routes(env):
    """Return {path: (auth, type)} for every route of ``env``'s database
    that accepts an API key: bearer and outlook routes, and the RPC routes,
    which take a key as their password."""
    routes = {}
    # core builds the map for the database of the current thread, which the
    # HTTP server's threads have and a test runner's main thread may not
    with patch.object(threading.current_thread(), "dbname", env.cr.dbname, create=True):
        routing_map = env["ir.http"].routing_map()
    for rule in routing_map.iter_rules():
        routing = rule.endpoint.routing
        controller = getattr(rule.endpoint.func, "__self__", None)
        if routing.get("auth") in KEY_AUTHS:
            routes[rule.rule] = (routing["auth"], routing["type"])
        elif isinstance(controller, JSONRPC | XMLRPC) and (
            # the version routes of the RPC controllers take no credentials
            "version" not in rule.endpoint.func.__name__
        ):
            routes[rule.rule] = ("rpc", routing["type"])
    return routes


def concrete_path(rule):
    """Return a path matching the werkzeug rule ``rule``."""

    def replace(match):
        converter = match.group(1) or "default"
        return PLACEHOLDERS.get(converter, "x")

    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?\w+>", replace, rule)


class RouteAttackCase(ApiKeyCase):
    """The admin owner of `ApiKeyCase` also holds roles that keep one of its
    admin-only groups each: export (`/json/1`) and technical documentation
    (`/doc-bearer`). Its keys bound to them must lose every other admin right.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.group_export = env.ref("base.group_allow_export")
        cls.export_role = cls.create_role(
            "Employee exporter", cls.group_user | cls.group_export
        )
        roles = cls.export_role | cls.editor_role
        cls.group_doc = env.ref("api_doc.group_allow_doc", raise_if_not_found=False)
        cls.doc_role = None
        if cls.group_doc:
            cls.doc_role = cls.create_role(
                "Employee documentation reader", cls.group_user | cls.group_doc
            )
            roles |= cls.doc_role
        cls.admin_owner.role_line_ids = [
            Command.create({"role_id": role.id}) for role in roles
        ]
        cls.admin_key = cls.create_key(cls.admin_owner, name="admin full")
        cls.employee_key = cls.create_key(
            cls.admin_owner, cls.employee_role, name="admin employee"
        )
        cls.export_key = cls.create_key(
            cls.admin_owner, cls.export_role, name="admin exporter"
        )
        cls.doc_key = cls.doc_role and cls.create_key(
            cls.admin_owner, cls.doc_role, name="admin doc"
        )
        cls.reader_key = cls.create_key(cls.owner, cls.reader_role, name="reader")
        suspended = cls.create_key(cls.admin_owner, cls.export_role, name="paused")
        cls.key_record(suspended).action_suspend()
        cls.suspended_key = suspended

    def bearer_headers(self, key):
        return {"Authorization": f"Bearer {key}"}

    def assertNarrowedError(self, response, status=403):
        """Assert ``response`` refuses the call with ``status``, and shows
        no traceback."""
        self.assertEqual(response.status_code, status, response.text[:500])
        self.assertNotIn("Traceback (most recent call last)", response.text)


@tagged("post_install", "-at_install")
class TestAttackRoutes(RouteAttackCase):
    """Every route accepting a key is called with keys narrowed to a role, in
    a way whose answer tells whether the narrowing applied there."""

    def test_every_route_accepting_keys_is_attacked(self):
        """Enumerate the routes from the routing map; attack each one."""
        routes = key_routes(self.env)
        self.assertTrue(
            {"/json/2/<__model__>/<__method__>", "/jsonrpc", "/xmlrpc/2/<service>"}
            <= set(routes),
            f"the enumeration misses core routes: {sorted(routes)}",
        )
        attacks = {
            "/json/2/<__model__>/<__method__>": self.attack_json2,
            "/json/1/<path:subpath>": self.attack_json1,
            "/doc-bearer/index.json": self.attack_doc_index,
            "/doc-bearer/<model_name>.json": self.attack_doc_model,
            "/jsonrpc": self.attack_jsonrpc,
            "/xmlrpc/<service>": self.attack_xmlrpc_legacy,
            "/xmlrpc/2/<service>": self.attack_xmlrpc,
        }
        for path, (auth, route_type) in sorted(routes.items()):
            with self.subTest(route=path, auth=auth):
                attack = attacks.get(path)
                if attack is None and auth == "outlook":
                    attack = self.attack_outlook
                elif attack is None and auth == "bearer":
                    attack = self.attack_any_bearer
                self.assertIsNotNone(attack, f"no attack for the key route {path}")
                attack(path, route_type)

    # One attack per kind of route

    def attack_json2(self, path, route_type):
        """Settings are an admin right: refused to the employee key,
        served to the full key; `has_group` tells the same."""
        for key, kind, is_system in (
            (self.employee_key, FORBIDDEN, False),
            (self.admin_key, OK, True),
        ):
            outcome = self.call(
                "json2",
                key,
                "ir.config_parameter",
                "search_count",
                user=self.admin_owner,
                domain=[],
            )
            self.assertOutcome(outcome, kind)
            outcome = self.call(
                "json2",
                key,
                "res.users",
                "has_group",
                self.admin_owner.ids,
                self.admin_owner,
                group_ext_id="base.group_system",
            )
            self.assertEqual(outcome, (OK, is_system, ""))

    def json1(self, key, path):
        self.env["ir.config_parameter"].set_param("web.json.enabled", "1")
        return self.url_open(path, headers=self.bearer_headers(key), timeout=30)

    def attack_json1(self, path, route_type):
        """/json/1 needs the export right, an admin right here; with it, a
        key still may not read settings, nor run, through an action's path,
        a server action bound to administrators."""
        system = self.group_system
        server_action = self.env["ir.actions.server"].create(
            {
                "name": "Attack: system action behind a path",
                "model_id": self.env.ref("base.model_res_partner").id,
                "state": "code",
                "code": "action = env['ir.actions.actions']"
                "._for_xml_id('base.action_partner_form')",
                "group_ids": [Command.set(system.ids)],
                "path": "attack-system-action",
            }
        )
        self.assertTrue(server_action)
        for subpath, key in (
            ("res.partner", self.employee_key),
            ("action-base.ir_config_list_action", self.export_key),
            ("attack-system-action", self.export_key),
        ):
            with self.subTest(json1=subpath):
                response = self.json1(self.admin_key, f"/json/1/{subpath}")
                self.assertEqual(response.status_code, 200, response.text[:500])
                self.assertIn("records", response.json())
                self.assertNarrowedError(self.json1(key, f"/json/1/{subpath}"))
        # the export key may use /json/1 for what its role allows
        response = self.json1(self.export_key, "/json/1/res.partner")
        self.assertEqual(response.status_code, 200, response.text[:500])

    def doc(self, key, path):
        return self.url_open(
            path, headers=self.bearer_headers(key), json={}, method="POST"
        )

    def attack_doc_index(self, path, route_type):
        """The documentation lists the models a key may read: settings are
        listed to the full key only."""
        if not self.doc_key:
            self.skipTest("api_doc is not installed")
        self.assertNarrowedError(self.doc(self.employee_key, path))
        listed = {}
        for key in (self.doc_key, self.admin_key):
            response = self.doc(key, path)
            self.assertEqual(response.status_code, 200, response.text[:500])
            listed[key] = {model["model"] for model in response.json()["models"]}
        self.assertIn("res.partner", listed[self.doc_key])
        self.assertNotIn("ir.config_parameter", listed[self.doc_key])
        self.assertIn("ir.config_parameter", listed[self.admin_key])

    def attack_doc_model(self, path, route_type):
        """A model's documentation is served only if the key may read it."""
        if not self.doc_key:
            self.skipTest("api_doc is not installed")
        settings = path.replace("<model_name>", "ir.config_parameter")
        contacts = path.replace("<model_name>", "res.partner")
        self.assertNarrowedError(self.doc(self.doc_key, settings))
        self.assertNarrowedError(self.doc(self.employee_key, contacts))
        self.assertEqual(self.doc(self.doc_key, contacts).status_code, 200)
        self.assertEqual(self.doc(self.admin_key, settings).status_code, 200)

    def rpc_pair(self, key):
        """Log in with ``key`` on /jsonrpc, then count the settings: return
        the name of the error's exception, None on success."""
        db = self.env.cr.dbname
        login = self.json_rpc(
            "common", "authenticate", db, self.admin_owner.login, key, {}
        )
        uid = login["result"]
        self.assertEqual(uid, self.admin_owner.id)
        body = self.json_rpc(
            "object",
            "execute_kw",
            db,
            uid,
            key,
            "ir.config_parameter",
            "search_count",
            [[]],
        )
        error = body.get("error")
        return error and error["data"]["name"]

    def attack_jsonrpc(self, path, route_type):
        """The `common.authenticate` + `object.execute_kw` pair of RPC
        clients: the login works, the call is narrowed."""
        self.assertEqual(
            self.rpc_pair(self.employee_key), "odoo.exceptions.AccessError"
        )
        self.assertIsNone(self.rpc_pair(self.admin_key))

    def xmlrpc_pair(self, prefix, key):
        common = xmlrpc.client.ServerProxy(
            f"{self.base_url()}{prefix}common", transport=Transport(self)
        )
        proxy = xmlrpc.client.ServerProxy(
            f"{self.base_url()}{prefix}object", transport=Transport(self)
        )
        db = self.env.cr.dbname
        uid = common.authenticate(db, self.admin_owner.login, key, {})
        self.assertEqual(uid, self.admin_owner.id)
        return proxy.execute_kw(
            db, uid, key, "ir.config_parameter", "search_count", [[]]
        )

    def attack_xmlrpc(self, path, route_type):
        """The same pair on /xmlrpc/2: fault 4 for the narrowed key."""
        with self.assertRaises(xmlrpc.client.Fault) as fault:
            self.xmlrpc_pair("/xmlrpc/2/", self.employee_key)
        self.assertEqual(fault.exception.faultCode, 4, fault.exception.faultString)
        self.assertGreater(self.xmlrpc_pair("/xmlrpc/2/", self.admin_key), 0)

    def attack_xmlrpc_legacy(self, path, route_type):
        """The same pair on the legacy /xmlrpc, whose faults are strings."""
        with self.assertRaises(xmlrpc.client.Fault) as fault:
            self.xmlrpc_pair("/xmlrpc/", self.employee_key)
        self.assertTrue(
            str(fault.exception.faultCode).startswith("warning -- AccessError"),
            fault.exception.faultCode,
        )
        self.assertGreater(self.xmlrpc_pair("/xmlrpc/", self.admin_key), 0)

    def last_audit_row(self):
        self.env.cr.execute(
            "SELECT key_ref, role_id, status FROM mcp_audit_request"
            " ORDER BY id DESC LIMIT 1"
        )
        return self.env.cr.fetchone()

    def attack_any_bearer(self, path, route_type):
        """A bearer route of no known kind: a suspended key is refused, and
        a narrowed key's call is recorded with the role that narrowed it."""
        concrete = concrete_path(path)
        # http routes are called with GET: a POST would need a CSRF token
        body = None if route_type == "http" else {}
        response = self.url_open(
            concrete, headers=self.bearer_headers(self.suspended_key), json=body
        )
        self.assertEqual(response.status_code, 401, response.text[:500])
        with self.post_commit_hooks():
            self.url_open(
                concrete, headers=self.bearer_headers(self.export_key), json=body
            )
        key_ref, role_id, _status = self.last_audit_row()
        self.assertEqual(key_ref, self.key_record(self.export_key).id)
        self.assertEqual(role_id, self.export_role.id)

    def attack_outlook(self, path, route_type):
        """A mail plugin route (`auth='outlook'`): same generic attack, as
        a JSON-RPC call with the key as access token."""
        concrete = concrete_path(path)
        payload = {"jsonrpc": "2.0", "method": "call", "id": 1, "params": {}}
        response = self.url_open(
            concrete, headers=self.bearer_headers(self.suspended_key), json=payload
        )
        # JSON-RPC routes refuse with an error object
        self.assertNotIn("result", response.json())
        self.assertIn("error", response.json())
        with self.post_commit_hooks():
            self.url_open(
                concrete, headers=self.bearer_headers(self.export_key), json=payload
            )
        key_ref, role_id, _status = self.last_audit_row()
        self.assertEqual(key_ref, self.key_record(self.export_key).id)
        self.assertEqual(role_id, self.export_role.id)

    def test_errors_of_http_routes_keep_their_status(self):
        """The audit hooks the error handler of every route: an error of a
        `type='http'` route (`/json/1`, but also any page or download) must
        keep its status, with or without a key."""
        self.env["ir.config_parameter"].set_param("web.json.enabled", "1")
        for path, headers, status in (
            ("/web/content/999999999", {}, 404),
            ("/json/1/res.partner", {}, 401),
            ("/json/1/res.partner", self.bearer_headers(self.suspended_key), 401),
            ("/json/1/no-such-action", self.bearer_headers(self.admin_key), 400),
        ):
            with self.subTest(path=path, key=bool(headers)):
                response = self.url_open(path, headers=headers)
                self.assertEqual(response.status_code, status, response.text[:300])

    # Keys sent where they are not expected

    def test_key_sent_to_another_database_is_refused(self):
        """A valid key whose request names a database this server does not
        serve reaches no route of the database, and no RPC call runs."""
        other = {"X-Odoo-Database": f"{self.env.cr.dbname}_not_served"}
        response = self.url_open(
            "/json/2/res.partner/search_count",
            headers={**self.bearer_headers(self.admin_key), **other},
            json={"domain": []},
        )
        self.assertEqual(response.status_code, 404)
        db = self.env.cr.dbname
        body = self.json_rpc(
            "object",
            "execute_kw",
            db,
            self.admin_owner.id,
            self.admin_key,
            "res.partner",
            "search_count",
            [[]],
            headers=other,
        )
        self.assertNotIn("result", body)
        self.assertEqual(body["error"]["data"]["name"], "odoo.exceptions.AccessDenied")

    def test_key_cannot_open_a_browser_session(self):
        """A session would carry the owner's full rights: logging in with a
        key as password is refused, narrowed key or not."""
        for key in (self.employee_key, self.admin_key):
            with self.subTest(key=key[:8]):
                response = self.url_open(
                    "/web/session/authenticate",
                    json={
                        "jsonrpc": "2.0",
                        "method": "call",
                        "id": 1,
                        "params": {
                            "db": self.env.cr.dbname,
                            "login": self.admin_owner.login,
                            "password": key,
                        },
                    },
                )
                body = response.json()
                self.assertNotIn("result", body)
                self.assertEqual(
                    body["error"]["data"]["name"], "odoo.exceptions.AccessDenied"
                )

    def test_session_of_another_user_with_a_key_is_refused(self):
        """A key presented beside another user's browser session."""
        self.authenticate(self.owner.login, "key_owner_password")
        status, body, _response = self.json2(
            self.employee_key, "res.partner", "search_count", domain=[]
        )
        self.assertEqual(status, 403, body)
        self.assertEqual(body["name"], "odoo.exceptions.AccessDenied")

    def test_a_key_refused_after_its_check_is_not_counted(self):
        """The key checks out, but the call is refused all the same: beside
        another user's session (/json/2), for another user's id (/jsonrpc,
        /xmlrpc/2 object calls) or login (their login calls)."""
        self.enterContext(self.post_commit_hooks())
        record = self.key_record(self.employee_key)
        calls = record.call_count
        rows = self.env["mcp.audit.request"].search([("key_ref", "=", record.id)])
        db = self.env.cr.dbname

        for route in ("jsonrpc", "xmlrpc"):
            outcome = self.call(
                route, self.employee_key, "res.partner", "search_count", domain=[]
            )
            self.assertOutcome(outcome, DENIED)
        login = self.json_rpc(
            "common",
            "login",
            db,
            self.owner.login,
            self.employee_key,
            headers={"X-Odoo-Database": db},
        )
        self.assertIs(login["result"], False)
        self.assertIs(
            self.xmlrpc_common.login(db, self.owner.login, self.employee_key), False
        )
        self.authenticate(self.owner.login, "key_owner_password")
        status, _body, _response = self.json2(
            self.employee_key, "res.partner", "search_count", domain=[]
        )
        self.assertEqual(status, 403)

        record.invalidate_recordset()
        self.assertEqual(record.call_count, calls)
        refused = (
            self.env["mcp.audit.request"].search([("key_ref", "=", record.id)]) - rows
        )
        self.assertEqual(len(refused), 5)
        self.assertFalse(any(refused.mapped("key_accepted")))
        self.assertEqual(
            sorted(refused.mapped("route_kind")),
            ["json2", "jsonrpc", "jsonrpc", "xmlrpc", "xmlrpc"],
        )


@tagged("post_install", "-at_install")
class TestAttackEscalation(RouteAttackCase):
    """A key limited to a role tries every remaining way to widen its
    rights; `test_key_escalation` covers key rewrites, role and group edits
    through `write` and account changes through `res.users`."""

    def attempts(self, keys=None):
        """Return (route, key, owner, subtest) for every route and key."""
        keys = keys or (
            (self.employee_key, self.admin_owner),
            (self.reader_key, self.owner),
        )
        return [
            (route, key, user, self.subTest(route=route, key=key[:8]))
            for key, user in keys
            for route in ROUTES
        ]

    def key_count(self):
        self.env.cr.execute("SELECT count(*) FROM res_users_apikeys")
        return self.env.cr.fetchone()[0]

    def test_narrowed_key_cannot_mint_keys_by_other_ways(self):
        """No key through the ORM, TOTP devices, or an identity check
        passed with the key itself as password."""
        keys_before = self.key_count()
        for route, key, user, subtest in self.attempts():
            with subtest:
                for model, vals in (
                    ("res.users.apikeys", {"name": "minted", "user_id": user.id}),
                    ("res.users.apikeys", {"name": "minted", "key": "0" * 40}),
                    ("auth_totp.device", {"name": "minted", "user_id": user.id}),
                ):
                    if model not in self.env:
                        continue
                    outcome = self.call(
                        route, key, model, "create", user=user, vals_list=[vals]
                    )
                    self.assertNotEqual(outcome.kind, OK, model)
                for model in ("res.users.apikeys", "auth_totp.device"):
                    if model not in self.env:
                        continue
                    outcome = self.call(
                        route,
                        key,
                        model,
                        "_generate",
                        user=user,
                        scope=False,
                        name="minted",
                        expiration_date=False,
                    )
                    self.assertOutcome(outcome, FORBIDDEN)
        self.assertEqual(self.key_count(), keys_before)

    def test_identity_check_refuses_the_key_as_password(self):
        """`make_key` asks for the owner's password: answering with the key
        itself must not mint a key."""
        keys_before = self.key_count()
        for key, user in (
            (self.employee_key, self.admin_owner),
            (self.reader_key, self.owner),
        ):
            with self.subTest(key=key[:8]):
                outcome = self.call(
                    "json2",
                    key,
                    "res.users.apikeys.description",
                    "create",
                    user=user,
                    vals_list=[{"name": "minted"}],
                )
                self.assertOutcome(outcome, OK)
                outcome = self.call(
                    "json2",
                    key,
                    "res.users.apikeys.description",
                    "make_key",
                    outcome.result,
                    user,
                )
                self.assertOutcome(outcome, OK)
                check_id = outcome.result["res_id"]
                self.assertEqual(outcome.result["res_model"], "res.users.identitycheck")
                for context in ({"password": key}, {"password": key.upper()}):
                    outcome = self.call(
                        "json2",
                        key,
                        "res.users.identitycheck",
                        "run_check",
                        [check_id],
                        user,
                        context=context,
                    )
                    self.assertNotIn("default_key", json.dumps(outcome.result))
                    self.assertNotEqual(outcome.kind, OK)
        self.assertEqual(self.key_count(), keys_before)

    def test_portal_setting_does_not_let_keys_mint_keys(self):
        """`portal.allow_api_keys` lets portal users create keys; it must not
        let a key do so."""
        if not is_installed(self.env, "portal"):
            self.skipTest("portal is not installed")
        self.env["ir.config_parameter"].set_param("portal.allow_api_keys", "1")
        self.test_identity_check_refuses_the_key_as_password()

    def test_mail_plugin_cannot_hand_a_key_a_new_key(self):
        """The mail plugin turns a browser session into a key; a key has no
        session to confirm the grant with."""
        if not is_installed(self.env, "mail_plugin"):
            self.skipTest("mail_plugin is not installed")
        keys_before = self.key_count()
        response = self.url_open(
            "/mail_plugin/auth/confirm",
            data={
                "scope": "outlook",
                "friendlyname": "minted",
                "redirect": "https://example.com/",
                "do": "1",
            },
            headers=self.bearer_headers(self.employee_key),
            allow_redirects=False,
        )
        self.assertNotIn("auth_code", response.headers.get("Location", ""))
        self.assertEqual(self.key_count(), keys_before)

    def test_narrowed_key_cannot_change_own_role_lines(self):
        lines = self.admin_owner.role_line_ids | self.owner.role_line_ids
        values = {line: (line.role_id, line.date_from, line.date_to) for line in lines}
        for route, key, user, subtest in self.attempts():
            with subtest:
                line = user.role_line_ids[:1]
                for method, params in (
                    ("write", {"vals": {"role_id": self.admin_role.id}}),
                    ("write", {"vals": {"date_to": "2099-12-31"}}),
                    ("unlink", {}),
                ):
                    outcome = self.call(
                        route,
                        key,
                        "res.users.role.line",
                        method,
                        line.ids,
                        user,
                        **params,
                    )
                    self.assertOutcome(outcome, FORBIDDEN)
        self.env.invalidate_all()
        self.assertEqual(
            {line: (line.role_id, line.date_from, line.date_to) for line in lines},
            values,
        )

    def test_narrowed_key_cannot_join_groups(self):
        """Joining a group from the group's side, creating a group that
        implies it, or resynchronising its owner's groups from roles."""
        groups = {user: user.group_ids for user in (self.owner, self.admin_owner)}
        system = self.group_system
        for route, key, user, subtest in self.attempts():
            with subtest:
                for model, method, ids, params in (
                    ("res.groups", "write", system.ids, {"vals": {"user_ids": []}}),
                    (
                        "res.groups",
                        "write",
                        system.ids,
                        {"vals": {"user_ids": [(4, user.id)]}},
                    ),
                    (
                        "res.groups",
                        "create",
                        None,
                        {
                            "vals_list": [
                                {
                                    "name": "Attack",
                                    "implied_ids": [(4, system.id)],
                                    "user_ids": [(4, user.id)],
                                }
                            ]
                        },
                    ),
                    ("res.users", "set_groups_from_roles", user.ids, {}),
                    ("res.users.role", "update_users", self.admin_role.ids, {}),
                    (
                        "res.users.role",
                        "create",
                        None,
                        {
                            "vals_list": [
                                {"name": "Attack", "implied_ids": [(4, system.id)]}
                            ]
                        },
                    ),
                ):
                    outcome = self.call(route, key, model, method, ids, user, **params)
                    self.assertOutcome(outcome, FORBIDDEN)
        self.env.invalidate_all()
        self.assertEqual(
            {user: user.group_ids for user in (self.owner, self.admin_owner)}, groups
        )

    def test_narrowed_key_cannot_run_a_server_action_of_a_group_it_lacks(self):
        actions = self.env["ir.actions.server"].create(
            [
                {
                    "name": f"Attack: {group.name} action",
                    "model_id": self.env.ref("base.model_res_partner").id,
                    "state": "code",
                    "code": "action = {'type': 'ir.actions.client', 'tag': 'ran'}",
                    "group_ids": [Command.set(group.ids)],
                }
                for group in (self.group_system, self.group_user)
            ]
        )
        system_action, employee_action = actions
        for route, key, user, subtest in self.attempts():
            with subtest:
                outcome = self.call(
                    route, key, "ir.actions.server", "run", system_action.ids, user
                )
                self.assertOutcome(outcome, FORBIDDEN)
                # the key's own groups do run their actions
                outcome = self.call(
                    route, key, "ir.actions.server", "run", employee_action.ids, user
                )
                self.assertOutcome(outcome, OK)
                self.assertEqual(outcome.result["tag"], "ran")
        outcome = self.call(
            "json2",
            self.admin_key,
            "ir.actions.server",
            "run",
            system_action.ids,
            self.admin_owner,
        )
        self.assertOutcome(outcome, OK)

    def test_group_restricted_fields_stay_hidden(self):
        """Roles of users are for user administrators (`groups=`), which the
        admin owner is and its employee key is not, whatever the method."""
        user = self.admin_owner
        calls = [
            ("read", user.ids, {"fields": ["role_line_ids"]}),
            (
                "search_read",
                None,
                {"domain": [("id", "=", user.id)], "fields": ["user_role_ids"]},
            ),
            ("web_read", user.ids, {"specification": {"role_line_ids": {}}}),
            (
                "web_search_read",
                None,
                {
                    "domain": [("id", "=", user.id)],
                    "specification": {"user_role_ids": {}},
                },
            ),
            ("search", None, {"domain": [("role_line_ids.role_id", "!=", False)]}),
        ]
        for route in ROUTES:
            for method, ids, params in calls:
                with self.subTest(route=route, method=method):
                    outcome = self.call(
                        route,
                        self.employee_key,
                        "res.users",
                        method,
                        ids,
                        user,
                        **params,
                    )
                    self.assertOutcome(outcome, FORBIDDEN)
                    outcome = self.call(
                        route, self.admin_key, "res.users", method, ids, user, **params
                    )
                    self.assertOutcome(outcome, OK)
            with self.subTest(route=route, method="export_data"):
                # exporting needs the export right: the exporter key has it
                export = {"fields_to_export": ["role_line_ids/role_id/name"]}
                for key, kind in ((self.export_key, FORBIDDEN), (self.admin_key, OK)):
                    outcome = self.call(
                        route, key, "res.users", "export_data", user.ids, user, **export
                    )
                    self.assertOutcome(outcome, kind)
            with self.subTest(route=route, method="fields_get"):
                for key, listed in ((self.employee_key, False), (self.admin_key, True)):
                    outcome = self.call(
                        route,
                        key,
                        "res.users",
                        "fields_get",
                        user=user,
                        allfields=["role_line_ids", "login"],
                        attributes=["type"],
                    )
                    self.assertOutcome(outcome, OK)
                    self.assertEqual("role_line_ids" in outcome.result, listed)

    def test_private_methods_are_refused(self):
        """Every private method of the addon and of the key machinery, to a
        narrowed key and to a full key alike."""
        methods = [
            ("res.users.apikeys", name)
            for name in (
                "_generate",
                "_check_credentials",
                "_grant_for_key",
                "_verified_key_id",
                "_find_key_id",
                "_change_state",
                "_check_can_manage",
                "_role_group_ids",
                "_refuse",
                "_remove",
                "_gc_user_apikeys",
            )
        ] + [
            ("res.users", "_check_uid_passwd"),
            ("res.users", "_get_group_ids"),
            ("res.users", "_api_key_roles"),
            ("res.users", "_compute_all_group_ids"),
            ("res.users.apikeys.usage", "_fold_query"),
            ("mcp.audit.request", "_row_query"),
            ("mcp.audit.request", "_gc_expired_requests"),
            ("ir.model.access", "_allowed_models_for_groups"),
            ("ir.rule", "_compute_domain"),
            ("auditlog.rule", "_seed_api_key_rules"),
            ("res.users.apikeys.description", "_selection_role"),
            ("res.users", "__init__"),
            ("res.users", "sudo"),
            ("res.users", "with_user"),
        ]
        keys = (
            (self.employee_key, self.admin_owner),
            (self.admin_key, self.admin_owner),
        )
        for route, key, user, subtest in self.attempts(keys):
            with subtest:
                for model, method in methods:
                    outcome = self.call(route, key, model, method, user.ids, user)
                    self.assertOutcome(outcome, FORBIDDEN)

    def test_narrowed_key_cannot_remove_its_own_key(self):
        """`remove` needs a fresh password check; the key stays."""
        for route, key, user, subtest in self.attempts():
            with subtest:
                record = self.key_record(key)
                outcome = self.call(
                    route, key, "res.users.apikeys", "remove", record.ids, user
                )
                self.assertIn(outcome.kind, (OK, INVALID))
                if outcome.kind == OK:
                    self.assertEqual(
                        outcome.result["res_model"], "res.users.identitycheck"
                    )
                self.assertTrue(record.exists())

    def test_narrowed_key_cannot_change_its_owner_email_through_contacts(self):
        """A user may edit its own contact, email included; a key whose role
        edits contacts must not change its owner's email, which password
        resets are sent to: that would hand the owner's account over."""
        for user in (self.owner, self.admin_owner):
            key = self.create_key(user, self.editor_role)
            for route in ROUTES:
                with self.subTest(route=route, user=user.login):
                    outcome = self.call(
                        route,
                        key,
                        "res.partner",
                        "write",
                        user.partner_id.ids,
                        user,
                        vals={"email": "attacker@example.com"},
                    )
                    self.assertOutcome(outcome, FORBIDDEN, self.editor_role)
                    user.invalidate_recordset()
                    self.assertNotEqual(user.email, "attacker@example.com")
            # while contacts remain the role's to edit
            outcome = self.call(
                "json2",
                key,
                "res.partner",
                "write",
                self.partner.ids,
                user,
                vals={"email": "partner@example.com"},
            )
            self.assertOutcome(outcome, OK)

    def test_menus_of_groups_the_key_lacks_stay_hidden(self):
        """The root menus a key is shown are those of its own groups (menus
        are records any user reads: only the filtered lists tell)."""
        settings = self.env.ref("base.menu_administration")
        for route in ROUTES:
            with self.subTest(route=route):
                for key, visible in (
                    (self.employee_key, False),
                    (self.admin_key, True),
                ):
                    outcome = self.call(
                        route,
                        key,
                        "ir.ui.menu",
                        "get_user_roots",
                        user=self.admin_owner,
                    )
                    self.assertOutcome(outcome, OK)
                    self.assertEqual(settings.id in outcome.result, visible)

    def test_key_of_one_user_is_refused_as_another(self):
        """Logging in as the admin with the plain owner's reader key."""
        reader_key = self.reader_key
        db = self.env.cr.dbname
        for login in (self.admin_owner.login, "admin", "__system__"):
            self.assertFalse(self.xmlrpc_common.authenticate(db, login, reader_key, {}))
        outcome = self.call(
            "jsonrpc",
            reader_key,
            "res.users",
            "read",
            [1],
            self.env["res.users"].browse(1),
            fields=["login"],
        )
        self.assertOutcome(outcome, DENIED)
