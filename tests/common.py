# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import contextlib
import xmlrpc.client
from typing import NamedTuple
from unittest.mock import patch

from odoo.fields import Command
from odoo.tests import HttpCase, tagged
from odoo.tests.test_cursor import TestCursor
from odoo.tools import mute_logger
from odoo.tools.misc import Callbacks

# Loggers that speak of what these tests do on purpose: refused calls and keys,
# and the deprecation notice of /jsonrpc and /xmlrpc.
EXPECTED_LOGGERS = (
    "odoo.http",
    "odoo.addons.rpc.controllers.jsonrpc",
    "odoo.addons.rpc.controllers.xmlrpc",
    "odoo.addons.pan_mcp_pro_governance.models.res_users_apikeys",
)

# Every property is proven on each route that authenticates with an API key.
ROUTES = ("json2", "jsonrpc", "xmlrpc")

# What a client sees of a call, named alike whatever the route: success, a
# refused key (401 / fault 3 / AccessDenied), a refused operation (403 /
# fault 4 / AccessError), or a refused request (422 / fault 2 / UserError).
OK = "ok"
DENIED = "denied"
FORBIDDEN = "forbidden"
INVALID = "invalid"

JSONRPC_KINDS = {
    "odoo.exceptions.AccessDenied": DENIED,
    "odoo.exceptions.AccessError": FORBIDDEN,
    "odoo.exceptions.UserError": INVALID,
    "odoo.exceptions.ValidationError": INVALID,
}
XMLRPC_KINDS = {2: INVALID, 3: DENIED, 4: FORBIDDEN}


ALL_OK = dict.fromkeys(ROUTES, OK)
ALL_DENIED = dict.fromkeys(ROUTES, DENIED)


def json_rpc_payload(service, method, args):
    """The body of a /jsonrpc call of ``method`` of the RPC ``service``."""
    return {
        "jsonrpc": "2.0",
        "method": "call",
        "id": 1,
        "params": {"service": service, "method": method, "args": args},
    }


class Outcome(NamedTuple):
    """What a client sees of one call: its kind, result and error message."""

    kind: str
    result: object = None
    message: str = ""


@tagged("post_install", "-at_install")
class ApiKeyCase(HttpCase):
    """Real HTTP calls with API keys, on `/json/2`, `/jsonrpc` and `/xmlrpc/2`.

    The owner is an internal user holding two roles: "Contacts reader" (plain
    employee, which may read contacts but not change them) and "Contacts
    editor" (employee plus contact creation). The admin owner is a settings
    administrator through the role "Administrator", and also holds the role
    "Employee": a key bound to the latter must lose every admin right.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.group_user = cls.env.ref("base.group_user")
        cls.group_partner_manager = cls.env.ref("base.group_partner_manager")
        cls.reader_role = cls.create_role("Contacts reader", cls.group_user)
        cls.editor_role = cls.create_role(
            "Contacts editor", cls.group_user | cls.group_partner_manager
        )
        cls.owner = cls.env["res.users"].create(
            {
                "name": "Key Owner",
                "login": "key_owner",
                "password": "key_owner_password",
                "role_line_ids": [
                    Command.create({"role_id": cls.reader_role.id}),
                    Command.create({"role_id": cls.editor_role.id}),
                ],
            }
        )
        cls.partner = cls.env["res.partner"].create({"name": "Scoped Partner"})

        cls.group_system = cls.env.ref("base.group_system")
        cls.employee_role = cls.create_role("Employee", cls.group_user)
        cls.admin_role = cls.create_role("Administrator", cls.group_system)
        cls.admin_owner = cls.create_owner(
            "key_admin", cls.admin_role | cls.employee_role
        )

    def setUp(self):
        super().setUp()
        muted = mute_logger(*EXPECTED_LOGGERS)
        muted.__enter__()
        self.addCleanup(muted.__exit__, None, None, None)

    @classmethod
    def create_role(cls, name, groups):
        return cls.env["res.users.role"].create(
            {"name": name, "implied_ids": [Command.set(groups.ids)]}
        )

    @classmethod
    def create_owner(cls, login, roles):
        """Return a new user holding ``roles``, whose password is its login."""
        return cls.env["res.users"].create(
            {
                "name": login.replace("_", " ").title(),
                "login": login,
                "password": login,
                "role_line_ids": [
                    Command.create({"role_id": role.id}) for role in roles
                ],
            }
        )

    @classmethod
    def create_key(cls, user, role=None, name="test key", expiration_date=None):
        """Return a new clear API key of ``user``, bound to ``role``."""
        apikeys = cls.env["res.users.apikeys"].with_user(user).sudo()
        key = apikeys._generate(None, name, expiration_date)
        if role:
            cls.key_record(key).sudo().write({"role_id": role.id})
        return key

    @classmethod
    def key_record(cls, key):
        apikeys = cls.env["res.users.apikeys"]
        return apikeys.browse(apikeys._find_key_id(key))

    @contextlib.contextmanager
    def post_commit_hooks(self):
        """Run the post-commit hooks of the requests' cursors, as a real
        commit does: test cursors drop them, and successful calls are
        counted in one."""
        commit = TestCursor.commit

        def commit_and_run_hooks(cursor):
            hooks, cursor.postcommit = cursor.postcommit, Callbacks()
            commit(cursor)
            hooks.run()

        with patch.object(TestCursor, "commit", commit_and_run_hooks):
            yield

    # The three routes, as a client sees them

    def json2(self, key, model, method, /, headers=None, **params):
        """POST to /json/2; return (status, decoded body, response)."""
        all_headers = {"X-Odoo-Database": self.env.cr.dbname}
        if key is not None:
            all_headers["Authorization"] = f"Bearer {key}"
        all_headers.update(headers or {})
        response = self.url_open(
            f"/json/2/{model}/{method}",
            json=params,
            headers=all_headers,
            method="POST",
        )
        try:
            body = response.json()
        except ValueError:
            body = response.text
        return response.status_code, body, response

    def xmlrpc(self, key, model, method, *args, login=None, **kwargs):
        """Log in with ``key`` then call ``method``; raise xmlrpc Fault."""
        db = self.env.cr.dbname
        uid = self.xmlrpc_common.authenticate(db, login or self.owner.login, key, {})
        return self.xmlrpc_object.execute_kw(
            db, uid or self.owner.id, key, model, method, list(args), kwargs
        )

    def json_rpc(self, service, method, *args, headers=None):
        """Call ``method`` of the RPC ``service`` on /jsonrpc; return the
        decoded answer, which comes with HTTP 200 whatever the outcome."""
        response = self.url_open(
            "/jsonrpc",
            json=json_rpc_payload(service, method, list(args)),
            headers=headers,
        )
        self.assertEqual(response.status_code, 200)
        return response.json()

    def jsonrpc(self, key, model, method, /, *args, uid=None, **kwargs):
        """Call ``execute_kw`` on /jsonrpc; return (result, error)."""
        db = self.env.cr.dbname
        body = self.json_rpc(
            "object",
            "execute_kw",
            db,
            uid or self.owner.id,
            key,
            model,
            method,
            list(args),
            kwargs,
            headers={"X-Odoo-Database": db},
        )
        return body.get("result"), body.get("error")

    def call(self, route, key, model, method, /, ids=None, user=None, **params):
        """Call ``method`` of ``model`` on ``route`` with ``key``, as the
        key's owner ``user`` (default: the owner); return what the client
        sees. ``params`` are passed by name, ``ids`` first if given."""
        user = user or self.owner
        if route == "json2":
            if ids is not None:
                params = {"ids": ids, **params}
            return self._json2_outcome(*self.json2(key, model, method, **params))
        args = [ids] if ids is not None else []
        if method == "create":
            # the legacy routes tell one record from several by this argument
            args.append(params.pop("vals_list"))
        if route == "jsonrpc":
            result, error = self.jsonrpc(
                key, model, method, *args, uid=user.id, **params
            )
            if error is None:
                return Outcome(OK, result)
            name = error["data"]["name"]
            kind = JSONRPC_KINDS.get(name, f"jsonrpc {name}")
            return Outcome(kind, error, error["data"]["message"])
        db = self.env.cr.dbname
        try:
            result = self.xmlrpc_object.execute_kw(
                db, user.id, key, model, method, args, params
            )
        except xmlrpc.client.Fault as fault:
            kind = XMLRPC_KINDS.get(fault.faultCode, f"fault {fault.faultCode}")
            return Outcome(kind, fault, fault.faultString)
        return Outcome(OK, result)

    @staticmethod
    def _json2_outcome(status, body, response):
        if status == 200:
            return Outcome(OK, body)
        name, message = "", str(body)
        if isinstance(body, dict):
            name, message = body.get("name", ""), body.get("message", "")
        challenge = response.headers.get("WWW-Authenticate", "")
        if status == 401 and challenge.lower().startswith("bearer"):
            return Outcome(DENIED, body, message)
        if status == 403 and name == "odoo.exceptions.AccessError":
            return Outcome(FORBIDDEN, body, message)
        if status == 422:
            return Outcome(INVALID, body, message)
        return Outcome(f"json2 {status} {name}", body, message)

    def probe(self, key, user=None):
        """Return, route by route, what a client sees when it reads its own
        login with ``key``: the smallest call any valid key may make."""
        user = user or self.owner
        kinds = {}
        for route in ROUTES:
            outcome = self.call(
                route, key, "res.users", "read", [user.id], user, fields=["login"]
            )
            if outcome.kind == OK:
                self.assertEqual(outcome.result[0]["login"], user.login)
            kinds[route] = outcome.kind
        return kinds

    def assertOutcome(self, outcome, kind, role=None):
        """Assert ``outcome`` is of ``kind``; if ``role`` is given, that its
        message names it as the role limiting the key."""
        self.assertEqual(outcome.kind, kind, outcome.message or outcome.result)
        if role:
            self.assertIn(
                f"This API key is limited to the role {role.name}.", outcome.message
            )

    def assertXmlrpcFault(self, code, call, *args, **kwargs):
        with self.assertRaises(xmlrpc.client.Fault) as fault:
            call(*args, **kwargs)
        self.assertEqual(fault.exception.faultCode, code, fault.exception.faultString)
        return fault.exception
