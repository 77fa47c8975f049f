# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Real client libraries from PyPI, unchanged, against a real Odoo server,
with API keys bound to roles (issue #6).

* ``mcp-server-odoo``, an MCP server for Odoo, run over stdio as an MCP host
  runs it and driven with the official ``mcp`` SDK's client. It speaks
  ``/json/2``. Its standard mode needs an Odoo-side module (``mcp_server``,
  routes ``/mcp/xmlrpc/*``) that this addon does not provide; its "YOLO" mode
  uses Odoo's own routes instead, and ``ODOO_RPC_TRANSPORT=json2`` makes it
  speak JSON-2 with the API key alone. ``ODOO_YOLO=true`` (rather than
  ``read``) lets it send writes, so that the refusals proven here are Odoo's,
  not the client's own.
* ``odoorpc``, over ``/jsonrpc``.
* ``odoo-client-lib`` (``odoolib``), over ``/xmlrpc`` and ``/jsonrpc``, and
  over ``/json/2`` as well.

The clients reach the server through a counting proxy on 127.0.0.1, so what
each library actually sends is known independently of the server: every
request to an API route must leave exactly one audit row, for the key, with
the request's path, in the order sent, and no other request may leave any.
Each test also spells out what the library sends, extra calls included.
"""

import asyncio
import contextlib
import http.client
import http.server
import json
import os
import re
import socket
import sys
import tempfile
import threading
import xmlrpc.client
from urllib.parse import urlsplit

from odoo import SUPERUSER_ID, api
from odoo.fields import Command
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, get_db_name, tagged

from .test_live_server import OdooServer

try:
    import odoolib
    import odoorpc
    from mcp import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client
except ImportError as error:  # test-requirements.txt is not installed
    MISSING_CLIENT = error
else:
    MISSING_CLIENT = None

# A bound on every wait of a client: no test may hang on a server.
TIMEOUT = 60
# The paths of the routes that authenticate with API keys, as the audit names
# them; any other request (a version probe) carries no key.
API_PATH = re.compile(r"^/(json/[12]/|jsonrpc$|xmlrpc/)")
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
}
ROLE_LIMIT = "This API key is limited to the role {}."

# What mcp-server-odoo sends when it starts, before it answers the MCP client:
# GET /web/version (no key, no audit row: it finds out that the server has
# JSON-2), then res.users/context_get (the key's user) and res.users/read of
# that user (its name, time zone and companies, for the session instructions).
MCP_STARTUP = [("res.users", "context_get", 200), ("res.users", "read", 200)]


class CountingProxy:
    """An HTTP reverse proxy on 127.0.0.1 in front of ``port``, recording the
    method, path and status of every request that it forwards."""

    def __init__(self, port):
        self.requests = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keeps the clients' connections alive

            def do_GET(self):
                self._forward()

            def do_POST(self):
                self._forward()

            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {
                    name: value
                    for name, value in self.headers.items()
                    if name.lower() not in HOP_BY_HOP
                }
                upstream = http.client.HTTPConnection(
                    "127.0.0.1", port, timeout=TIMEOUT
                )
                try:
                    upstream.request(self.command, self.path, body, headers)
                    response = upstream.getresponse()
                    data = response.read()
                finally:
                    upstream.close()
                proxy.record(self.command, urlsplit(self.path).path, response.status)
                self.send_response(response.status)
                for name, value in response.getheaders():
                    if name.lower() not in HOP_BY_HOP | {
                        "content-length",
                        "date",
                        "server",
                    }:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass  # the audit rows and self.requests tell what was served

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, name="counting-proxy", daemon=True
        )
        self.thread.start()

    def record(self, method, path, status):
        with self._lock:
            self.requests.append((method, path, status))

    def take(self):
        """Return the requests forwarded since the last call, and forget them."""
        with self._lock:
            requests, self.requests = self.requests, []
        return requests

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(TIMEOUT)


class AuditedCalls:
    """What one block of client calls sent: ``calls`` lists the (model,
    method, status) of their audit rows, in the order the client sent them,
    and ``other_paths`` the paths of the requests to other routes."""

    calls = None
    other_paths = None


@contextlib.contextmanager
def socket_timeout(seconds):
    """Bound the calls of clients that take no timeout (Python's XML-RPC)."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


@tagged("post_install", "-at_install")
class TestRealClients(BaseCase):
    """The owner holds three roles: "reader" (internal user: may read contacts
    but not change them), "editor" (internal user and contact creation) and
    "discovery" (internal user and Access Rights, which Odoo 19 requires to
    read the list of models). It has a key bound to each."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if MISSING_CLIENT is not None:
            raise ImportError(
                f"{MISSING_CLIENT}: install test-requirements.txt"
            ) from MISSING_CLIENT
        cls.dbname = get_db_name()
        cls.registry = Registry(cls.dbname)
        suffix = os.getpid()
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            group_user = env.ref("base.group_user")
            groups = {
                "reader": group_user,
                "editor": group_user | env.ref("base.group_partner_manager"),
                "discovery": group_user | env.ref("base.group_erp_manager"),
            }
            roles = {
                kind: env["res.users.role"].create(
                    {
                        "name": f"Clients {kind} {suffix}",
                        "implied_ids": [Command.set(kind_groups.ids)],
                    }
                )
                for kind, kind_groups in groups.items()
            }
            owner = env["res.users"].create(
                {
                    "name": "Clients owner",
                    "login": f"clients_owner_{suffix}",
                    "role_line_ids": [
                        Command.create({"role_id": role.id}) for role in roles.values()
                    ],
                }
            )
            partner = env["res.partner"].create(
                {"name": f"Clients partner {suffix}", "comment": "original"}
            )
            apikeys = env["res.users.apikeys"].with_user(owner).sudo()
            cls.keys, cls.key_ids, cls.role_names = {}, {}, {}
            for kind, role in roles.items():
                key = apikeys._generate(None, f"clients {kind}", None)
                key_record = apikeys.browse(apikeys._find_key_id(key))
                key_record.write({"role_id": role.id})
                cls.keys[kind], cls.key_ids[kind] = key, key_record.id
                cls.role_names[kind] = role.name
            cls.login = owner.login
            cls.partner_id, cls.partner_name = partner.id, partner.name
        cls.server = OdooServer(cls.dbname, workers=0)
        cls.addClassCleanup(cls.server.stop)
        cls.proxy = CountingProxy(cls.server.port)
        cls.addClassCleanup(cls.proxy.stop)

    def sql(self, query, *params):
        with self.registry.cursor() as cr:
            cr.execute(query, params)
            return cr.fetchall()

    def key_rows(self, kind):
        return self.sql(
            "SELECT count(*) FROM mcp_audit_request WHERE key_ref = %s",
            self.key_ids[kind],
        )[0][0]

    def partner_values(self, partner_id=None):
        return self.sql(
            "SELECT name, comment FROM res_partner WHERE id = %s",
            partner_id or self.partner_id,
        )[0]

    @contextlib.contextmanager
    def audited(self, kind):
        """Count the audit rows of the key ``kind`` around the block's client
        calls, and check them against what the proxy forwarded: one row per
        request to an API route, for that key, with its path, in order, and
        none for any other request. Yields an AuditedCalls, filled at exit."""
        rows_before = self.key_rows(kind)
        last_id = self.sql("SELECT coalesce(max(id), 0) FROM mcp_audit_request")[0][0]
        self.proxy.take()
        audited = AuditedCalls()
        yield audited
        requests = self.proxy.take()
        rows = self.sql(
            "SELECT key_ref, path, model_name, method_name, status"
            "  FROM mcp_audit_request WHERE id > %s ORDER BY id",
            last_id,
        )
        paths = [path for _verb, path, _status in requests]
        api_paths = [path for path in paths if API_PATH.match(path)]
        audited.other_paths = [path for path in paths if not API_PATH.match(path)]
        self.assertEqual(
            self.key_rows(kind) - rows_before,
            len(api_paths),
            f"one audit row per API call that the client sent: {requests}",
        )
        self.assertEqual(
            [(key_ref, path) for key_ref, path, *_call in rows],
            [(self.key_ids[kind], path) for path in api_paths],
            "every API call audited once, for its key, in order; nothing else",
        )
        audited.calls = [tuple(row[2:]) for row in rows]

    def assertRefusedByRole(self, message, kind):
        self.assertIn("You are not allowed to", message)
        self.assertIn(ROLE_LIMIT.format(self.role_names[kind]), message)

    # mcp-server-odoo, driven by the official MCP SDK

    def run_mcp(self, kind, calls):
        """Start mcp-server-odoo over stdio with the key ``kind`` and make
        ``calls``, a list of (tool, arguments); return the session's
        initialize result, its tools and the tools' results."""
        with (
            tempfile.TemporaryDirectory(prefix="mcp-pro-clients-") as directory,
            # the server's own log, apart from the test's
            open(os.path.join(directory, "mcp-server-odoo.log"), "w+") as errlog,
        ):
            try:
                return asyncio.run(
                    asyncio.wait_for(
                        self._mcp_session(kind, calls, directory, errlog),
                        4 * TIMEOUT,
                    )
                )
            except BaseException:
                errlog.seek(0)
                sys.stderr.write(errlog.read()[-4000:])
                raise

    async def _mcp_session(self, kind, calls, directory, errlog):
        server = StdioServerParameters(
            command=sys.executable,
            args=["-m", "mcp_server_odoo"],
            # merged over a few safe variables (PATH, HOME...): the ODOO_* of
            # whoever runs the tests never reach it, nor a .env file (cwd)
            env={
                "ODOO_URL": self.proxy.url,
                "ODOO_DB": self.dbname,
                "ODOO_API_KEY": self.keys[kind],
                "ODOO_YOLO": "true",
                "ODOO_RPC_TRANSPORT": "json2",
                "ODOO_MCP_LOG_LEVEL": "INFO",
            },
            cwd=directory,
        )
        async with (
            stdio_client(server, errlog=errlog) as (read, write),
            ClientSession(read, write, read_timeout_seconds=TIMEOUT) as mcp,
        ):
            initialized = await mcp.initialize()
            tools = await mcp.list_tools()
            results = [await mcp.call_tool(tool, args) for tool, args in calls]
        return initialized, {tool.name for tool in tools.tools}, results

    def mcp_calls(self, comment):
        partner = "res.partner"
        return [
            ("list_models", {}),
            (
                "search_records",
                {
                    "model": partner,
                    "domain": [["id", "=", self.partner_id]],
                    "fields": ["name"],
                },
            ),
            (
                "get_record",
                {
                    "model": partner,
                    "record_id": self.partner_id,
                    "fields": ["name", "comment"],
                },
            ),
            ("create_record", {"model": partner, "values": {"name": comment}}),
            (
                "update_record",
                {
                    "model": partner,
                    "record_id": self.partner_id,
                    "values": {"comment": comment},
                },
            ),
        ]

    def assertMcpSession(self, initialized, tools):
        self.assertEqual(initialized.server_info.name, "odoo-mcp-server")
        # the session instructions name the key's owner, read with the key
        self.assertIn(f"(login: {self.login})", initialized.instructions)
        self.assertLessEqual(
            {
                "list_models",
                "search_records",
                "get_record",
                "create_record",
                "update_record",
            },
            tools,
        )

    def assertModelsRefused(self, result, kind):
        # The tool degrades to an empty list, and tells why in a warning.
        self.assertFalse(result.is_error)
        models = result.structured_content
        self.assertEqual(models["models"], [])
        self.assertIn("'Models' (ir.model)", models["yolo_mode"]["warning"])
        self.assertIn(
            ROLE_LIMIT.format(self.role_names[kind]), models["yolo_mode"]["warning"]
        )

    def assertPartnerFound(self, search, read):
        self.assertFalse(search.is_error, search.content)
        self.assertEqual(
            search.structured_content["records"],
            [{"id": self.partner_id, "name": self.partner_name}],
        )
        self.assertFalse(read.is_error, read.content)
        self.assertEqual(read.structured_content["record"]["id"], self.partner_id)
        self.assertEqual(read.structured_content["record"]["name"], self.partner_name)

    def test_mcp_server_odoo_reader_key(self):
        before = self.partner_values()
        with self.audited("reader") as audited:
            initialized, tools, results = self.run_mcp(
                "reader", self.mcp_calls("by mcp reader")
            )
        models, search, read, create, update = results
        self.assertMcpSession(initialized, tools)
        self.assertModelsRefused(models, "reader")
        self.assertPartnerFound(search, read)
        for refused in (create, update):
            self.assertTrue(refused.is_error)
            self.assertRefusedByRole(refused.content[0].text, "reader")
        self.assertEqual(self.partner_values(), before, "nothing written")
        self.assertEqual(
            self.sql("SELECT count(*) FROM res_partner WHERE name = 'by mcp reader'"),
            [(0,)],
        )
        self.assertEqual(
            audited.calls,
            [
                *MCP_STARTUP,
                # list_models: ir.model/fields_get (does it have "abstract"?),
                # then ir.model/search_read, refused: Odoo 19 shows the list
                # of models to Access Rights only
                ("ir.model", "fields_get", 200),
                ("ir.model", "search_read", 403),
                # search_records: search, search_count (the total), fields_get
                # (once per model and session), read
                ("res.partner", "search", 200),
                ("res.partner", "search_count", 200),
                ("res.partner", "fields_get", 200),
                ("res.partner", "read", 200),
                # get_record: read
                ("res.partner", "read", 200),
                # create_record: create, refused
                ("res.partner", "create", 403),
                # update_record: search_count (does the record exist?), write,
                # refused
                ("res.partner", "search_count", 200),
                ("res.partner", "write", 403),
            ],
        )
        self.assertEqual(audited.other_paths, ["/web/version"])

    def test_mcp_server_odoo_editor_key(self):
        with self.audited("editor") as audited:
            initialized, tools, results = self.run_mcp(
                "editor", self.mcp_calls("by mcp editor")
            )
        models, search, read, create, update = results
        self.assertMcpSession(initialized, tools)
        self.assertModelsRefused(models, "editor")
        self.assertPartnerFound(search, read)
        for allowed in (create, update):
            self.assertFalse(allowed.is_error, allowed.content)
            self.assertTrue(allowed.structured_content["success"])
        created_id = create.structured_content["record"]["id"]
        self.assertEqual(self.partner_values(created_id), ("by mcp editor", None))
        self.assertIn("by mcp editor", self.partner_values()[1])
        self.assertEqual(
            audited.calls,
            [
                *MCP_STARTUP,
                ("ir.model", "fields_get", 200),
                ("ir.model", "search_read", 403),
                ("res.partner", "search", 200),
                ("res.partner", "search_count", 200),
                ("res.partner", "fields_get", 200),
                ("res.partner", "read", 200),
                ("res.partner", "read", 200),
                # create_record: create, then read of the new record (its name)
                ("res.partner", "create", 200),
                ("res.partner", "read", 200),
                # update_record: search_count, write, then read of the record
                ("res.partner", "search_count", 200),
                ("res.partner", "write", 200),
                ("res.partner", "read", 200),
            ],
        )
        self.assertEqual(audited.other_paths, ["/web/version"])

    def test_mcp_server_odoo_discovery_key(self):
        with self.audited("discovery") as audited:
            initialized, tools, (models,) = self.run_mcp(
                "discovery", [("list_models", {})]
            )
        self.assertMcpSession(initialized, tools)
        self.assertFalse(models.is_error, models.content)
        listed = {model["model"] for model in models.structured_content["models"]}
        self.assertIn("res.partner", listed)
        self.assertIn("mcp.audit.request", listed)
        self.assertEqual(
            audited.calls,
            [
                *MCP_STARTUP,
                ("ir.model", "fields_get", 200),
                ("ir.model", "search_read", 200),
            ],
        )
        self.assertEqual(audited.other_paths, ["/web/version"])

    # odoorpc, over /jsonrpc

    def run_odoorpc(self, kind, comment):
        """Log in with the key as password, read the partner, write it, and
        create one named ``comment``; return what was read, then what the
        write and the create returned or raised."""
        odoo = odoorpc.ODOO("127.0.0.1", port=self.proxy.port, timeout=TIMEOUT)
        odoo.login(self.dbname, self.login, self.keys[kind])
        partners = odoo.env["res.partner"]
        found = partners.search_read([("id", "=", self.partner_id)], ["name"])
        outcomes = []
        for change in (
            lambda: partners.write([self.partner_id], {"comment": comment}),
            lambda: partners.create({"name": comment}),
        ):
            try:
                outcomes.append(change())
            except odoorpc.error.RPCError as error:
                outcomes.append(error)
        return found, *outcomes

    # What odoorpc sends: POST /web/webclient/version_info when it is created
    # (no key, no audit row), then on /jsonrpc: common.login (the key as
    # password), res.users/context_get (the user's context), res.partner/
    # fields_get (when the model is first used, to build its class), then the
    # calls made.
    ODOORPC_CALLS = (
        (None, "common.login", 200),
        ("res.users", "context_get", 200),
        ("res.partner", "fields_get", 200),
        ("res.partner", "search_read", 200),
    )

    def test_odoorpc_reader_key(self):
        before = self.partner_values()
        with self.audited("reader") as audited:
            found, *refusals = self.run_odoorpc("reader", "by odoorpc reader")
        self.assertEqual(found, [{"id": self.partner_id, "name": self.partner_name}])
        for refused in refusals:
            self.assertIsInstance(refused, odoorpc.error.RPCError)
            self.assertEqual(
                refused.info["data"]["name"], "odoo.exceptions.AccessError"
            )
            self.assertRefusedByRole(str(refused), "reader")
        self.assertEqual(self.partner_values(), before, "nothing written")
        self.assertFalse(
            self.sql("SELECT id FROM res_partner WHERE name = %s", "by odoorpc reader"),
            "nothing created",
        )
        self.assertEqual(
            audited.calls,
            [
                *self.ODOORPC_CALLS,
                ("res.partner", "write", 403),
                ("res.partner", "create", 403),
            ],
        )
        self.assertEqual(audited.other_paths, ["/web/webclient/version_info"])

    def test_odoorpc_editor_key(self):
        with self.audited("editor") as audited:
            found, written, created = self.run_odoorpc("editor", "by odoorpc editor")
        self.assertEqual(found, [{"id": self.partner_id, "name": self.partner_name}])
        self.assertIs(written, True)
        self.assertIn("by odoorpc editor", self.partner_values()[1])
        self.assertEqual(self.partner_values(created)[0], "by odoorpc editor")
        self.assertEqual(
            audited.calls,
            [
                *self.ODOORPC_CALLS,
                ("res.partner", "write", 200),
                ("res.partner", "create", 200),
            ],
        )
        self.assertEqual(audited.other_paths, ["/web/webclient/version_info"])

    # odoo-client-lib (odoolib), over /xmlrpc, /jsonrpc and /json/2

    def run_odoolib(self, protocol, kind, comment):
        """Read the partner and write it with the key; return what was read
        and the write's result or error."""
        connection = odoolib.get_connection(
            hostname="127.0.0.1",
            port=self.proxy.port,
            protocol=protocol,
            database=self.dbname,
            login=self.login,
            password=self.keys[kind],
        )
        partners = connection.get_model("res.partner")
        # Python's XML-RPC client takes no timeout; odoolib's httpx calls
        # have one of their own.
        with socket_timeout(TIMEOUT):
            # by name: over JSON-2, positional arguments would make odoolib
            # fetch the method signatures from /doc-bearer (module api_doc)
            found = partners.search_read(
                domain=[("id", "=", self.partner_id)], fields=["name"]
            )
            try:
                if protocol == "json2":
                    written = partners.write(
                        ids=[self.partner_id], vals={"comment": comment}
                    )
                else:
                    written = partners.write([self.partner_id], {"comment": comment})
            except Exception as error:  # each protocol raises its own
                written = error
        return found, written

    # What odoolib sends over /xmlrpc and /jsonrpc: common.login (the key as
    # password) before the first call, then search_read as two calls, search
    # and read, then the write.
    ODOOLIB_CALLS = [
        (None, "common.login", 200),
        ("res.partner", "search", 200),
        ("res.partner", "read", 200),
    ]

    def odoolib_refusal_message(self, protocol, error):
        """The message of the refusal ``error`` of odoolib over ``protocol``."""
        if protocol == "xmlrpc":
            # odoolib calls /xmlrpc/object, whose faults carry the error's kind
            # and message in their code (/xmlrpc/2 would answer code 4)
            self.assertIsInstance(error, xmlrpc.client.Fault)
            self.assertTrue(
                str(error.faultCode).startswith("warning -- AccessError"), error
            )
            return error.faultCode
        if protocol == "jsonrpc":
            self.assertIsInstance(error, odoolib.tools.JsonRPCException)
            self.assertEqual(error.error["data"]["name"], "odoo.exceptions.AccessError")
            return error.error["data"]["message"]
        # json2: odoolib raises ValueError for any status but 200, 401, 422
        self.assertIsInstance(error, ValueError)
        status, body = str(error).split(": ", 1)
        self.assertEqual(status, "Unexpected status code 403")
        self.assertEqual(json.loads(body)["name"], "odoo.exceptions.AccessError")
        return json.loads(body)["message"]

    def test_odoolib_reader_key(self):
        for protocol in ("xmlrpc", "jsonrpc", "json2"):
            with self.subTest(protocol=protocol):
                before = self.partner_values()
                with self.audited("reader") as audited:
                    found, refused = self.run_odoolib(
                        protocol, "reader", f"by odoolib {protocol} reader"
                    )
                self.assertEqual(
                    found, [{"id": self.partner_id, "name": self.partner_name}]
                )
                self.assertRefusedByRole(
                    self.odoolib_refusal_message(protocol, refused), "reader"
                )
                self.assertEqual(self.partner_values(), before, "nothing written")
                self.assertEqual(
                    audited.calls,
                    self.odoolib_calls(protocol, ("res.partner", "write", 403)),
                )
                self.assertEqual(audited.other_paths, [])

    def test_odoolib_editor_key(self):
        for protocol in ("xmlrpc", "jsonrpc", "json2"):
            with self.subTest(protocol=protocol):
                comment = f"by odoolib {protocol} editor"
                with self.audited("editor") as audited:
                    found, written = self.run_odoolib(protocol, "editor", comment)
                self.assertEqual(
                    found, [{"id": self.partner_id, "name": self.partner_name}]
                )
                self.assertIs(written, True)
                self.assertIn(comment, self.partner_values()[1])
                self.assertEqual(
                    audited.calls,
                    self.odoolib_calls(protocol, ("res.partner", "write", 200)),
                )
                self.assertEqual(audited.other_paths, [])

    def odoolib_calls(self, protocol, write):
        if protocol == "json2":
            # over JSON-2, no login (the key is the bearer) and one search_read
            return [("res.partner", "search_read", 200), write]
        return [*self.ODOOLIB_CALLS, write]
