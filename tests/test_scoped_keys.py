# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.tests import tagged

from .common import ApiKeyCase


@tagged("post_install", "-at_install")
class TestScopedKeys(ApiKeyCase):
    def test_reader_key_reads_but_cannot_write_on_json2(self):
        key = self.create_key(self.owner, self.reader_role)

        status, body, _response = self.json2(
            key, "res.partner", "read", ids=[self.partner.id], fields=["name"]
        )
        self.assertEqual(status, 200, body)
        self.assertEqual(body[0]["name"], "Scoped Partner")

        status, body, _response = self.json2(
            key, "res.partner", "write", ids=[self.partner.id], vals={"name": "X"}
        )
        self.assertEqual(status, 403, body)
        self.assertIn("Contacts reader", body["message"])

    def test_reader_key_refused_write_on_xmlrpc_and_jsonrpc(self):
        key = self.create_key(self.owner, self.reader_role)
        fault = self.assertXmlrpcFault(
            4,
            self.xmlrpc,
            key,
            "res.partner",
            "write",
            [self.partner.id],
            {"name": "X"},
        )
        self.assertIn("Contacts reader", fault.faultString)
        result, error = self.jsonrpc(
            key, "res.partner", "write", [self.partner.id], {"name": "X"}
        )
        self.assertIsNone(result)
        self.assertEqual(error["data"]["name"], "odoo.exceptions.AccessError")

        editor_key = self.create_key(self.owner, self.editor_role)
        self.assertTrue(
            self.xmlrpc(
                editor_key, "res.partner", "write", [self.partner.id], {"name": "Y"}
            )
        )
