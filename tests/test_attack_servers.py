# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Standing attacks that need real servers: a prefork server with two
workers and a threaded server, both serving the test database and seeing a
second, empty database, so that a request naming no database is served
without the database's routes (see `ODOO19-NOTES.md`, "nodb routing").

- RPC calls authenticated by a key and routed to no database are refused,
  on both servers, even right after requests that left a worker in an
  unusual state; routed to the database, they are narrowed.
- Keys of one user bound to different roles, and its full key, hammered
  concurrently: every answer is the key's own, record rules included.
- The server logs hold neither keys nor session ids.
"""

import concurrent.futures
import itertools
import json
import os
import random
import re
import time
import urllib.error
import urllib.request
import xmlrpc.client
from contextlib import closing

from odoo import SUPERUSER_ID, api
from odoo.fields import Command
from odoo.modules.registry import Registry
from odoo.sql_db import close_db, db_connect
from odoo.tests import BaseCase, get_db_name, tagged
from odoo.tools import SQL

from .test_live_server import OdooServer

THREADS = 8
ROUNDS = 8
TAG_PREFIX = "Attack tag"


class TwoDatabaseServer(OdooServer):
    """A real server of ``dbname`` that also lists ``other_dbname``: calls
    naming no database (no header, no session) are not routed to either."""

    # info: what a real server logs of the calls, searched for secrets
    LOG_OPTIONS = ("--log-level=info",)

    def __init__(self, dbname, other_dbname, workers):
        dbs = "|".join(re.escape(name) for name in (dbname, other_dbname))
        super().__init__(dbname, workers, db_filter=f"^({dbs})$")

    def post(self, path, body, headers=None, routed=True):
        """POST ``body`` (bytes), or GET if None; return the status and the
        decoded text."""
        all_headers = {"Content-Type": "application/json"} if body else {}
        if routed:
            all_headers["X-Odoo-Database"] = self.dbname
        all_headers.update(headers or {})
        request = urllib.request.Request(
            f"{self.url}{path}", data=body, headers=all_headers
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def json2(self, key, model, method, **params):
        status, text = self.post(
            f"/json/2/{model}/{method}",
            json.dumps(params).encode(),
            {"Authorization": f"Bearer {key}"},
        )
        try:
            return status, json.loads(text)
        except ValueError:
            return status, text

    def jsonrpc(self, service, method, *args, routed=True):
        """Return the result, or the name of the error's exception."""
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {"service": service, "method": method, "args": list(args)},
        }
        _status, text = self.post(
            "/jsonrpc", json.dumps(payload).encode(), routed=routed
        )
        body = json.loads(text)
        if "error" in body:
            return ("error", body["error"]["data"]["name"])
        return body["result"]

    def proxy(self, service, routed=True):
        headers = [("X-Odoo-Database", self.dbname)] if routed else []

        class Transport(xmlrpc.client.Transport):
            def send_headers(self, connection, all_headers):
                return super().send_headers(connection, [*all_headers, *headers])

        return xmlrpc.client.ServerProxy(
            f"{self.url}/xmlrpc/2/{service}", transport=Transport()
        )

    def execute_kw(self, uid, key, model, method, args, kwargs=None, routed=True):
        """Return the result, or ("fault", code)."""
        # closed at once: a prefork worker would wait for the next request
        # of a kept-alive connection
        with self.proxy("object", routed) as proxy:
            try:
                return proxy.execute_kw(
                    self.dbname, uid, key, model, method, args, kwargs or {}
                )
            except xmlrpc.client.Fault as fault:
                return ("fault", fault.faultCode)

    def authenticate(self, login, key, routed=True):
        with self.proxy("common", routed) as proxy:
            return proxy.authenticate(self.dbname, login, key, {})

    def log_text(self):
        self.log.flush()
        with open(self.log.name, encoding="utf-8", errors="replace") as log:
            return log.read()


@tagged("post_install", "-at_install")
class TestAttackServers(BaseCase):
    """Committed data, real servers: what the HTTP test cases cannot show."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dbname = get_db_name()
        cls.other_dbname = f"{cls.dbname}_attack_second"
        cls.create_empty_database(cls.other_dbname)
        cls.addClassCleanup(cls.drop_database, cls.other_dbname)
        cls.registry = Registry(cls.dbname)
        cls.setup_data()
        cls.prefork = TwoDatabaseServer(cls.dbname, cls.other_dbname, workers=2)
        cls.addClassCleanup(cls.prefork.stop)
        cls.threaded = TwoDatabaseServer(cls.dbname, cls.other_dbname, workers=0)
        cls.addClassCleanup(cls.threaded.stop)
        cls.servers = (cls.prefork, cls.threaded)

    @staticmethod
    def create_empty_database(name):
        with closing(db_connect("postgres").cursor()) as cr:
            cr._cnx.autocommit = True
            cr.execute(SQL("DROP DATABASE IF EXISTS %s", SQL.identifier(name)))
            cr.execute(
                SQL("CREATE DATABASE %s TEMPLATE template0", SQL.identifier(name))
            )

    @staticmethod
    def drop_database(name):
        close_db(name)
        with closing(db_connect("postgres").cursor()) as cr:
            cr._cnx.autocommit = True
            cr.execute(SQL("DROP DATABASE IF EXISTS %s", SQL.identifier(name)))

    @classmethod
    def setup_data(cls):
        """Two groups, each seeing its own tags through a record rule; an
        owner in both, through two roles (A also creates contacts); a key
        per role and a full key. Tags of neither group are seen by no key.
        """
        suffix = os.getpid()
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            group_user = env.ref("base.group_user")
            category_model = env.ref("base.model_res_partner_category")
            groups = {}
            for letter in "AB":
                group = env["res.groups"].create({"name": f"Attack {letter} {suffix}"})
                env["ir.rule"].create(
                    {
                        "name": f"Attack: tags {letter} only",
                        "model_id": category_model.id,
                        "groups": [Command.link(group.id)],
                        "domain_force": repr(
                            [("name", "=like", f"{TAG_PREFIX} {letter} {suffix} %")]
                        ),
                    }
                )
                groups[letter] = group
            role_a = env["res.users.role"].create(
                {
                    "name": f"Attack role A {suffix}",
                    "implied_ids": [
                        Command.set(
                            (
                                group_user
                                | groups["A"]
                                | env.ref("base.group_partner_manager")
                            ).ids
                        )
                    ],
                }
            )
            role_b = env["res.users.role"].create(
                {
                    "name": f"Attack role B {suffix}",
                    "implied_ids": [Command.set((group_user | groups["B"]).ids)],
                }
            )
            owner = env["res.users"].create(
                {
                    "name": "Attack owner",
                    "login": f"attack_owner_{suffix}",
                    "password": f"attack_owner_{suffix}",
                    "role_line_ids": [
                        Command.create({"role_id": role.id}) for role in role_a | role_b
                    ],
                }
            )
            env["res.partner.category"].create(
                [
                    {"name": f"{TAG_PREFIX} {letter} {suffix} {index}"}
                    for letter, count in (("A", 3), ("B", 2), ("C", 4))
                    for index in range(count)
                ]
            )
            apikeys = env["res.users.apikeys"].with_user(owner).sudo()
            cls.key_a = apikeys._generate(None, "attack A", None)
            cls.key_b = apikeys._generate(None, "attack B", None)
            cls.full_key = apikeys._generate(None, "attack full", None)
            apikeys.browse(apikeys._find_key_id(cls.key_a)).write(
                {"role_id": role_a.id}
            )
            apikeys.browse(apikeys._find_key_id(cls.key_b)).write(
                {"role_id": role_b.id}
            )
            cls.owner_id = owner.id
            cls.owner_login = owner.login
            cls.password = f"attack_owner_{suffix}"
            cls.tag_domain = [("name", "=like", f"{TAG_PREFIX} % {suffix} %")]
        # what each key must see: its role's tags; the full key both roles'
        # (3 + 2), never the 4 tags of no group
        cls.expected = {
            cls.key_a: {"count": 3, "creates_contacts": True},
            cls.key_b: {"count": 2, "creates_contacts": False},
            cls.full_key: {"count": 5, "creates_contacts": True},
        }

    def setUp(self):
        super().setUp()
        self.settle_workers()

    def settle_workers(self):
        """Serve a few complete calls on every worker, so that each test
        starts from workers that just served an ordinary call."""
        for server in self.servers:
            for _call in range(4):
                server.json2(self.full_key, "res.users", "read", ids=[self.owner_id])

    def sql(self, query, *params):
        with self.registry.cursor() as cr:
            cr.execute(query, params)
            return cr.fetchall() if cr.description else None

    # Requests routed to no database

    def test_nodb_rpc_calls_with_a_key_are_refused(self):
        """No header, no session, two databases: the RPC routes are served
        without the database's routes, and keys are refused there; with the
        header, the same calls are narrowed."""
        count = ("res.partner.category", "search_count", [self.tag_domain])
        for server in self.servers:
            for key in (self.key_a, self.full_key):
                with self.subTest(server=server.port, key=key[:8]):
                    self.assertEqual(
                        server.execute_kw(self.owner_id, key, *count, routed=False),
                        ("fault", 3),
                    )
                    self.assertEqual(
                        server.jsonrpc(
                            "object",
                            "execute_kw",
                            self.dbname,
                            self.owner_id,
                            key,
                            *count,
                            routed=False,
                        ),
                        ("error", "odoo.exceptions.AccessDenied"),
                    )
                    self.assertEqual(
                        server.execute_kw(self.owner_id, key, *count),
                        self.expected[key]["count"],
                    )
            # a password is its owner, routed or not
            self.assertEqual(
                server.execute_kw(self.owner_id, self.password, *count, routed=False),
                5,
            )

    def test_nodb_login_with_a_key_is_refused(self):
        """`common.authenticate` routed to no database would check a key
        unaudited: it must be refused like the calls."""
        for server in self.servers:
            with self.subTest(server=server.port):
                uid = server.authenticate(self.owner_login, self.key_a, routed=False)
                self.assertFalse(uid)
                self.assertFalse(
                    server.jsonrpc(
                        "common",
                        "authenticate",
                        self.dbname,
                        self.owner_login,
                        self.key_a,
                        {},
                        routed=False,
                    )
                )

    def test_nodb_refusal_survives_unfinished_requests(self):
        """A prefork worker serves request after request in one thread: a
        request whose audit was left open (a JSON-RPC body that is not JSON,
        a refused /json/1 call) must not let the next call, routed to no
        database, pass for an audited one."""
        count = ("res.partner.category", "search_count", [self.tag_domain])
        bearer_b = f"Bearer {self.key_b}"
        for server in self.servers:
            with self.subTest(server=server.port):
                answers = []
                for path, body, headers in (
                    ("/jsonrpc", b'{"params": ', {}),
                    ("/json/1/res.partner", None, {"Authorization": bearer_b}),
                ):
                    for _attempt in range(4):  # both workers
                        server.post(path, body, headers)
                        answers.append(
                            server.execute_kw(
                                self.owner_id, self.key_a, *count, routed=False
                            )
                        )
                self.assertEqual(set(answers), {("fault", 3)}, answers)

    # Cache poisoning

    def answer(self, server, key, route):
        """Return what ``key`` sees of the tags and of its groups."""
        group = "base.group_partner_manager"
        if route == "json2":
            status, count = server.json2(
                key, "res.partner.category", "search_count", domain=self.tag_domain
            )
            self.assertEqual(status, 200, count)
            status, creates = server.json2(
                key, "res.users", "has_group", ids=[self.owner_id], group_ext_id=group
            )
            self.assertEqual(status, 200, creates)
        else:
            count = server.execute_kw(
                self.owner_id,
                key,
                "res.partner.category",
                "search_count",
                [self.tag_domain],
            )
            creates = server.execute_kw(
                self.owner_id, key, "res.users", "has_group", [[self.owner_id], group]
            )
        return {"count": count, "creates_contacts": creates}

    def test_keys_of_one_user_hammered_concurrently(self):
        """Eight clients each interleave, in their own random order, the
        two role keys and the full key of one user on /json/2 and
        /xmlrpc/2; every single answer must be the key's own."""
        keys = list(self.expected)

        def client(index):
            rng = random.Random(index)
            wrong = []
            for _round, server in itertools.product(range(ROUNDS), self.servers):
                order = keys[:]
                rng.shuffle(order)
                for key in order:
                    route = rng.choice(("json2", "xmlrpc"))
                    answer = self.answer(server, key, route)
                    if answer != self.expected[key]:
                        wrong.append((server.port, route, key[:8], answer))
            return wrong

        with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
            wrong = [w for result in pool.map(client, range(THREADS)) for w in result]
        self.assertEqual(wrong, [])

    def test_narrowed_count_never_reaches_the_owner_count(self):
        """Right after the full key, each role key; right after each role
        key, the full key; on every worker: the counts never cross."""
        for server in self.servers:
            for first, second in itertools.permutations(self.expected, 2):
                for _attempt in range(3):  # both workers
                    for key in (first, second):
                        for route in ("json2", "xmlrpc"):
                            with self.subTest(server=server.port, key=key[:8]):
                                self.assertEqual(
                                    self.answer(server, key, route)["count"],
                                    self.expected[key]["count"],
                                )

    # Logs

    def test_server_logs_hold_no_secret(self):
        """Good calls, bad tokens, malformed requests and a browser session
        on both servers; then neither log holds a key or a session id."""
        sessions = []
        for server in self.servers:
            for key in (self.key_a, self.full_key):
                self.answer(server, key, "json2")
                self.answer(server, key, "xmlrpc")
                server.post("/json/2/res.partner/search", b'{"domain": [')
                server.post(
                    "/json/2/res.partner/search",
                    b'{"domain": [], "limit": -1}',
                    {"Authorization": f"Bearer {key}"},
                )
                server.jsonrpc(
                    "object", "execute_kw", self.dbname, self.owner_id, [key], "x", "y"
                )
                server.execute_kw(
                    self.owner_id, key.upper(), "res.partner", "search", [[]]
                )
                server.execute_kw(self.owner_id, key, "res.partner", "nope", [])
                server.authenticate(self.owner_login, key)
            sessions.append(self.browser_session(server))
        time.sleep(0.5)
        for server in self.servers:
            log = server.log_text()
            self.assertIn("/json/2/res.partner", log, "the log is written")
            for secret in [*self.expected, *sessions]:
                with self.subTest(server=server.port, secret=secret[:8]):
                    self.assertNotIn(secret, log)

    def browser_session(self, server):
        """Log in with the owner's password, make a key call beside the
        session; return the session id."""
        body = json.dumps(
            {
                "jsonrpc": "2.0",
                "method": "call",
                "params": {
                    "db": self.dbname,
                    "login": self.owner_login,
                    "password": self.password,
                },
            }
        ).encode()
        request = urllib.request.Request(
            f"{server.url}/web/session/authenticate",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            cookie = response.headers.get("Set-Cookie", "")
        sid = re.search(r"session_id=([^;]+)", cookie).group(1)
        server.post(
            "/json/2/res.partner.category/search_count",
            json.dumps({"domain": []}).encode(),
            {"Authorization": f"Bearer {self.key_a}", "Cookie": f"session_id={sid}"},
            routed=False,
        )
        return sid
