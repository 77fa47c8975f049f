# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import json
import xmlrpc.client

from odoo.fields import Command
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

# Loggers that speak of what these tests do on purpose: refused calls and keys,
# and the deprecation notice of /jsonrpc and /xmlrpc.
EXPECTED_LOGGERS = (
    "odoo.http",
    "odoo.addons.rpc.controllers.jsonrpc",
    "odoo.addons.rpc.controllers.xmlrpc",
    "odoo.addons.pan_mcp_pro_governance.models.res_users_apikeys",
)


@tagged("post_install", "-at_install")
class ApiKeyCase(HttpCase):
    """Real HTTP calls with API keys, on `/json/2`, `/jsonrpc` and `/xmlrpc/2`.

    The owner is an internal user holding two roles: "Contacts reader" (plain
    employee, which may read contacts but not change them) and "Contacts
    editor" (employee plus contact creation).
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

    # The three routes, as a client sees them

    def json2(self, key, model, method, headers=None, **params):
        """POST to /json/2; return (status, decoded body, response)."""
        all_headers = {"X-Odoo-Database": self.env.cr.dbname}
        if key is not None:
            all_headers["Authorization"] = f"Bearer {key}"
        all_headers.update(headers or {})
        response = self.url_open(
            f"/json/2/{model}/{method}", json=params, headers=all_headers
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

    def jsonrpc(self, key, model, method, *args, uid=None, **kwargs):
        """Call ``execute_kw`` on /jsonrpc; return (result, error)."""
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {
                "service": "object",
                "method": "execute_kw",
                "args": [
                    self.env.cr.dbname,
                    uid or self.owner.id,
                    key,
                    model,
                    method,
                    list(args),
                    kwargs,
                ],
            },
        }
        response = self.url_open(
            "/jsonrpc",
            data=json.dumps(payload),
            headers={
                "Content-Type": "application/json",
                "X-Odoo-Database": self.env.cr.dbname,
            },
        )
        self.assertEqual(response.status_code, 200)
        body = response.json()
        return body.get("result"), body.get("error")

    def assertXmlrpcFault(self, code, call, *args, **kwargs):
        with self.assertRaises(xmlrpc.client.Fault) as fault:
            call(*args, **kwargs)
        self.assertEqual(fault.exception.faultCode, code, fault.exception.faultString)
        return fault.exception
