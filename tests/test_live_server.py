# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Scoped keys against real Odoo servers: a prefork server with two workers
and a second, threaded server, both on the test database, with committed data.

The HTTP test cases serialise every request on the test transaction; only
real servers show what concurrent clients, several workers and several
servers sharing one database do to counters, caches and key states.
"""

import concurrent.futures
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import xmlrpc.client

from odoo import SUPERUSER_ID, api
from odoo.fields import Command
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, get_db_name, tagged
from odoo.tools import config

CLIENTS = 8
CALLS_PER_CLIENT = 50


def odoo_command(directory):
    """Return the command running Odoo with this very Python, whose packages
    hold the addon under test. A script of its own rather than `python -m
    odoo`: prefork re-runs its command for its gevent worker."""
    launcher = os.path.join(directory, "odoo-launcher.py")
    with open(launcher, "w") as script:
        script.write("from odoo.cli.command import main\nmain()\n")
    return [sys.executable, launcher]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OdooServer:
    """A real Odoo server process serving ``dbname``."""

    # what the server logs: only errors of the calls these tests make on purpose
    LOG_OPTIONS = (
        "--log-level=warn",
        "--log-handler=odoo.addons.rpc.controllers.xmlrpc:ERROR",
        "--log-handler=odoo.addons.rpc.controllers.jsonrpc:ERROR",
        "--log-handler=odoo.addons.pan_mcp_pro_governance:ERROR",
        "--log-handler=odoo.http:ERROR",
    )

    def __init__(self, dbname, workers, db_filter=None):
        self.dbname = dbname
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.directory = tempfile.TemporaryDirectory(prefix="mcp-pro-live-")
        self.log = open(  # noqa: SIM115
            os.path.join(self.directory.name, "odoo.log"), "w"
        )
        options = [
            f"--database={dbname}",
            f"--db-filter={db_filter or f'^{dbname}$'}",
            f"--http-port={self.port}",
            "--http-interface=127.0.0.1",
            f"--workers={workers}",
            "--max-cron-threads=0",
            *self.LOG_OPTIONS,
        ]
        for option in ("db_host", "db_port", "db_user", "db_password"):
            if config.get(option):
                options.append(f"--{option}={config[option]}")
        addons_path = f"--addons-path={','.join(config['addons_path'])}"
        self.process = subprocess.Popen(
            [*odoo_command(self.directory.name), addons_path, "server", *options],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self._wait_until_up()

    def _wait_until_up(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                with open(self.log.name) as log:
                    tail = "".join(log.readlines()[-20:])
                raise RuntimeError(f"Odoo exited early:\n{tail}")
            try:
                urllib.request.urlopen(f"{self.url}/web/health", timeout=2)
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"Odoo did not start in {timeout}s, see {self.log.name}")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()

    def json2(self, key, model, method, **params):
        """POST to /json/2; return the HTTP status and the decoded body."""
        request = urllib.request.Request(
            f"{self.url}/json/2/{model}/{method}",
            data=json.dumps(params).encode(),
            headers={
                "Authorization": f"Bearer {key}",
                "Content-Type": "application/json",
                "X-Odoo-Database": self.dbname,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def xmlrpc(self, uid, key, model, method, *args):
        proxy = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/object")
        return proxy.execute_kw(self.dbname, uid, key, model, method, list(args))


@tagged("post_install", "-at_install")
class TestLiveServers(BaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dbname = get_db_name()
        cls.registry = Registry(cls.dbname)
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            group_user = env.ref("base.group_user")
            editor_groups = group_user | env.ref("base.group_partner_manager")
            reader = env["res.users.role"].create(
                {"name": "Live reader", "implied_ids": [Command.set(group_user.ids)]}
            )
            editor = env["res.users.role"].create(
                {"name": "Live editor", "implied_ids": [Command.set(editor_groups.ids)]}
            )
            owner = env["res.users"].create(
                {
                    "name": "Live owner",
                    "login": f"live_owner_{os.getpid()}",
                    "role_line_ids": [
                        Command.create({"role_id": reader.id}),
                        Command.create({"role_id": editor.id}),
                    ],
                }
            )
            partner = env["res.partner"].create({"name": "Live partner"})
            apikeys = env["res.users.apikeys"].with_user(owner).sudo()
            cls.reader_key = apikeys._generate(None, "live reader", None)
            cls.full_key = apikeys._generate(None, "live full", None)
            reader_key = apikeys.browse(apikeys._find_key_id(cls.reader_key))
            reader_key.write({"role_id": reader.id})
            cls.owner_id, cls.partner_id = owner.id, partner.id
            cls.reader_role_id = reader.id
            cls.reader_key_id = reader_key.id
            cls.full_key_id = apikeys._find_key_id(cls.full_key)
            cls.editor_groups_ids = editor_groups.ids
            cls.group_user_ids = group_user.ids
        cls.prefork = OdooServer(cls.dbname, workers=2)
        cls.addClassCleanup(cls.prefork.stop)
        cls.threaded = OdooServer(cls.dbname, workers=0)
        cls.addClassCleanup(cls.threaded.stop)

    def edit_role(self, role_id, group_ids):
        """Change a role's groups as an administrator's request would: commit,
        then tell the other workers and servers which caches to clear."""
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["res.users.role"].browse(role_id).implied_ids = [Command.set(group_ids)]
        self.registry.signal_changes()

    def sql(self, query, *params):
        with self.registry.cursor() as cr:
            cr.execute(query, params)
            return cr.fetchall() if cr.description else None

    def set_key_state(self, key_id, state):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["res.users.apikeys"].browse(key_id).write({"state": state})

    def usage(self, key_id):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            return env["res.users.apikeys"].browse(key_id).call_count

    def audit_rows(self, key_id, status=None):
        query = "SELECT count(*) FROM mcp_audit_request WHERE key_ref = %s"
        if status is None:
            return self.sql(query, key_id)[0][0]
        return self.sql(query + " AND status = %s", key_id, status)[0][0]

    def test_counters_exact_under_concurrent_clients(self):
        calls_before = self.usage(self.reader_key_id)
        rows_before = self.audit_rows(self.reader_key_id)
        bad_key = "f" * 40

        def client(index):
            statuses = []
            for _call in range(CALLS_PER_CLIENT):
                statuses.append(
                    self.prefork.json2(
                        self.reader_key,
                        "res.partner",
                        "search_read",
                        domain=[("id", "=", self.partner_id)],
                        fields=["name"],
                    )[0]
                )
                if index == 0:
                    statuses.append(
                        self.prefork.json2(bad_key, "res.partner", "search_count")[0]
                        + 1000
                    )
            return statuses

        with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
            statuses = [
                s for result in pool.map(client, range(CLIENTS)) for s in result
            ]

        self.assertEqual(statuses.count(200), CLIENTS * CALLS_PER_CLIENT, statuses)
        self.assertEqual(statuses.count(1401), CALLS_PER_CLIENT, "bad keys refused")
        self.assertEqual(
            self.usage(self.reader_key_id) - calls_before, CLIENTS * CALLS_PER_CLIENT
        )
        self.assertEqual(
            self.audit_rows(self.reader_key_id) - rows_before,
            CLIENTS * CALLS_PER_CLIENT,
        )

    def test_suspension_holds_at_once_on_every_worker_and_server(self):
        def calls_until_refused(server):
            statuses = []
            for _call in range(200):
                status = server.json2(
                    self.full_key, "res.partner", "search_count", domain=[]
                )[0]
                statuses.append(status)
                if status == 401:
                    break
            return statuses

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            running = [
                pool.submit(calls_until_refused, server)
                for server in (self.prefork, self.prefork, self.threaded, self.threaded)
            ]
            time.sleep(0.5)
            self.set_key_state(self.full_key_id, "suspended")
            suspended_at = self.sql("SELECT now() at time zone 'utc'")[0][0]
            results = [future.result() for future in running]
        try:
            for statuses in results:
                self.assertEqual(statuses[-1], 401, "the suspension holds")
                self.assertEqual(set(statuses[:-1]), {200}, "no error before it")
            for server in (self.prefork, self.threaded):
                for _attempt in range(4):  # both workers
                    self.assertEqual(
                        server.json2(
                            self.full_key, "res.partner", "search_count", domain=[]
                        )[0],
                        401,
                    )
                with self.assertRaises(xmlrpc.client.Fault):
                    server.xmlrpc(
                        self.owner_id, self.full_key, "res.partner", "search_count", []
                    )
            started_after = self.sql(
                "SELECT count(*) FROM mcp_audit_request"
                " WHERE key_ref = %s AND status = 200"
                " AND request_date - duration_ms * interval '1 millisecond' > %s",
                self.full_key_id,
                suspended_at,
            )[0][0]
            self.assertEqual(started_after, 0, "no call accepted once suspended")
        finally:
            self.set_key_state(self.full_key_id, "active")

    def test_narrowing_never_leaks_across_workers_and_servers(self):
        write = {"ids": [self.partner_id], "vals": {"comment": "live"}}
        for _round in range(10):
            for server in (self.prefork, self.threaded):
                self.assertEqual(
                    server.json2(self.full_key, "res.partner", "write", **write)[0],
                    200,
                )
                self.assertEqual(
                    server.json2(self.reader_key, "res.partner", "write", **write)[0],
                    403,
                )
                with self.assertRaises(xmlrpc.client.Fault) as fault:
                    server.xmlrpc(
                        self.owner_id,
                        self.reader_key,
                        "res.partner",
                        "write",
                        [self.partner_id],
                        {"comment": "live"},
                    )
                self.assertEqual(fault.exception.faultCode, 4)
                self.assertTrue(
                    server.xmlrpc(
                        self.owner_id,
                        self.full_key,
                        "res.partner",
                        "write",
                        [self.partner_id],
                        {"comment": "live"},
                    )
                )

    def test_role_edit_holds_on_the_next_call_everywhere(self):
        write = {"ids": [self.partner_id], "vals": {"comment": "role edit"}}
        for server in (self.prefork, self.threaded):
            self.assertEqual(
                server.json2(self.reader_key, "res.partner", "write", **write)[0], 403
            )
        self.edit_role(self.reader_role_id, self.editor_groups_ids)
        try:
            for server in (self.prefork, self.threaded):
                for _attempt in range(3):
                    self.assertEqual(
                        server.json2(self.reader_key, "res.partner", "write", **write)[
                            0
                        ],
                        200,
                    )
        finally:
            self.edit_role(self.reader_role_id, self.group_user_ids)
        for server in (self.prefork, self.threaded):
            for _attempt in range(3):
                self.assertEqual(
                    server.json2(self.reader_key, "res.partner", "write", **write)[0],
                    403,
                )
