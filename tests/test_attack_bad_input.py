# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Standing attacks: malformed requests, tokens of every shape and absurd
parameters on every route that accepts API keys.

Whatever is sent, the answer must be a clear refusal: a 4xx status, or the
route's own fault for a refused call (JSON-RPC `odoo.exceptions.*` errors,
XML-RPC faults 2, 3 and 4), never a server error, never a traceback, never a
stored secret. Each route has three tests: every token shape refused, nothing
leaked whatever the input, and each input answered as a client error.
"""

import json
import xmlrpc.client

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import ApiKeyCase

TRACEBACK_MARKERS = ("Traceback (most recent call last)", 'File "')
# what the hash of a stored key (or password) looks like
HASH_MARKER = "$pbkdf2-sha512$"
BIG = 5 * 1024 * 1024
NESTING = 5000

# JSON-RPC errors a client can act on; anything else is a server error
CLEAR_ERROR_PREFIXES = ("odoo.exceptions.", "werkzeug.exceptions.")
# XML-RPC fault codes of /xmlrpc/2 a client can act on: UserError (2),
# AccessDenied (3), AccessError (4); 1 is "anything else", a server error
CLEAR_FAULTS = (2, 3, 4)

# Loggers that report the server errors these attacks provoke on purpose.
NOISY_LOGGERS = ("odoo.sql_db", "odoo.addons.base.models.res_users")


def nested(depth):
    return "[" * depth + "]" * depth


def token_shapes(key, foreign_key):
    """Return {label: token} for every shape of token that must be refused:
    none of them is the key, though several come close."""
    tail = "0" * 32 if key[8:] != "0" * 32 else "1" * 32
    return {
        "empty": "",
        "whitespace": "   ",
        "39 hex": key[:39],
        "41 hex": key + "0",
        "uppercase hex": key.upper(),
        "valid index, wrong tail": key[:8] + tail,
        "key twice": key + key,
        "sql": "' OR 1=1--",
        "sql, 40 characters": ("' OR '1'='1' --" + "0" * 40)[:40],
        "format string": "%s%s%s%n",
        "format braces": "{0}{0.__class__}",
        "key of another database": foreign_key,
        "unicode": "clé-ключ-🔑",
        "key and NUL": key + "\x00",
    }


class BadInputCase(ApiKeyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key = cls.create_key(cls.owner, cls.reader_role, name="bad input key")
        # a key of the same shape, generated elsewhere: unknown here
        cls.foreign_key = "5f0e" * 10
        cls.env.cr.execute("SELECT key FROM res_users_apikeys WHERE key IS NOT NULL")
        cls.stored_hashes = [row[0] for row in cls.env.cr.fetchall()]

    def setUp(self):
        super().setUp()
        self.enterContext(mute_logger(*NOISY_LOGGERS))

    def raw(self, path, body, content_type="application/json", headers=None):
        """POST ``body`` (bytes) to ``path``; return the response."""
        all_headers = {"X-Odoo-Database": self.env.cr.dbname}
        if content_type:
            all_headers["Content-Type"] = content_type
        all_headers.update(headers or {})
        return self.url_open(
            path, data=body, headers=all_headers, method="POST", timeout=120
        )

    def assertLeaksNothing(self, response):
        text = response.content.decode(errors="replace")
        for marker in TRACEBACK_MARKERS:
            self.assertNotIn(marker, text, f"traceback in the answer: {text[:800]}")
        self.assertNotIn(HASH_MARKER, text)
        for stored_hash in self.stored_hashes:
            self.assertNotIn(stored_hash, text)

    def run_cases(self, cases, check):
        """Send each case, then ``check(label, expected, response)``."""
        for label, (send, expected) in cases.items():
            with self.subTest(case=label):
                check(label, expected, send())


@tagged("post_install", "-at_install")
class TestAttackJson2BadInput(BadInputCase):
    """/json/2 answers with HTTP statuses."""

    def bearer(self, token=None):
        return {"Authorization": f"Bearer {self.key if token is None else token}"}

    def body(self, method, body, content_type="application/json", model=None):
        model = model or "res.partner"
        return lambda: self.raw(
            f"/json/2/{model}/{method}", body, content_type, self.bearer()
        )

    def params(self, method, model=None, **params):
        return self.body(method, json.dumps(params).encode(), model=model)

    def cases(self):
        """Return {label: (send, expected status)}."""
        big_domain = [["name", "=", "a" * BIG]]
        return {
            "malformed json": (self.body("search_count", b'{"domain": ['), 400),
            "truncated json": (self.body("search_count", b'{"domain": []'), 400),
            "text/plain": (self.body("search_count", b"{}", "text/plain"), 415),
            "form data": (
                self.body("search_count", b"a=b", "application/x-www-form-urlencoded"),
                415,
            ),
            "no content type": (self.body("search_count", b"{}", None), 415),
            "body of several MB": (
                self.params("search_count", domain=big_domain),
                (200, 413),
            ),
            "nesting 5000 deep": (
                self.body("search_count", f'{{"domain": {nested(NESTING)}}}'.encode()),
                (400, 422),
            ),
            "non-UTF-8 in a string": (
                self.body("search_count", b'{"domain": [["name", "=", "\xff\xfe"]]}'),
                (200, 400),
            ),
            "non-UTF-8 body": (self.body("search_count", b"\xff\xfe\x00{}"), 400),
            "array body": (self.body("search_count", b"[1, 2]"), 422),
            "string body": (self.body("search_count", b'"domain"'), 422),
            "null body": (self.body("search_count", b"null"), 422),
            "id 2**63": (self.params("read", ids=[2**63], fields=["name"]), 200),
            "id 10**30": (self.params("read", ids=[10**30], fields=["name"]), 200),
            "negative id": (self.params("read", ids=[-1], fields=["name"]), 200),
            "write id 2**63": (
                self.params("write", ids=[2**63], vals={"name": "x"}),
                (403, 404),
            ),
            "ids as a string": (
                self.params("read", ids="abc", fields=["name"]),
                422,
            ),
            "ids as an object": (
                self.params("read", ids={"a": 1}, fields=["name"]),
                422,
            ),
            "ids on a model method": (
                self.params("search_count", ids=[1], domain=[]),
                422,
            ),
            "negative limit": (
                self.params("search", domain=[], limit=-1),
                422,
            ),
            'limit "x"': (self.params("search", domain=[], limit="x"), 422),
            "limit 2**63": (self.params("search", domain=[], limit=2**63), 422),
            "negative offset": (self.params("search", domain=[], offset=-5), 422),
            "unknown keyword": (
                self.params("search_read", domain=[], fields=["name"], bogus=1),
                422,
            ),
            "domain as a string": (self.params("search", domain="x"), 422),
            "unknown field in domain": (
                self.params("search", domain=[["nofield", "=", 1]]),
                422,
            ),
            "unknown field to read": (
                self.params("search_read", domain=[], fields=["nofield"]),
                422,
            ),
            "context as a string": (
                self.params("search_count", domain=[], context="x"),
                422,
            ),
            "sql in order": (
                self.params("search", domain=[], order="id; DROP TABLE res_users"),
                422,
            ),
            "unknown model": (self.params("search", model="no.model"), 404),
            "format string model": (self.params("search", model="%s%s%s"), 404),
            "private method": (self.params("_read_format", fnames=["name"]), 403),
        }

    def test_json2_refuses_every_token_shape(self):
        shapes = token_shapes(self.key, self.foreign_key)
        headers = {
            label: {"Authorization": f"Bearer {token}".encode()}
            for label, token in shapes.items()
        }
        headers.update(
            {
                "no authorization": {},
                "basic scheme": {"Authorization": f"Basic {self.key}"},
                "token scheme": {"Authorization": f"Token {self.key}"},
                "no scheme": {"Authorization": self.key},
                "bearer and colon": {"Authorization": f"Bearer: {self.key}"},
            }
        )
        for label, header in headers.items():
            with self.subTest(token=label):
                response = self.raw(
                    "/json/2/res.partner/search_count",
                    b'{"domain": []}',
                    headers=header,
                )
                self.assertIn(response.status_code, (400, 401), response.text[:300])
                if response.status_code == 401:
                    challenge = response.headers.get("WWW-Authenticate", "")
                    self.assertTrue(challenge.lower().startswith("bearer"))
                self.assertLeaksNothing(response)
        # the key itself works: the refusals are the token's
        status, _body, _response = self.json2(
            self.key, "res.partner", "search_count", domain=[]
        )
        self.assertEqual(status, 200)

    def test_json2_malformed_call_is_explained(self):
        # a domain value that core cannot even hash
        send = self.params("search_count", domain=[["name", "=", {}]])
        response = send()
        self.assertEqual(response.status_code, 422, response.text[:300])
        self.assertEqual(response.json()["name"], "odoo.exceptions.ValidationError")
        self.assertTrue(
            response.json()["message"].startswith("Malformed call: "), response.text
        )

    def test_json2_bad_input_leaks_nothing(self):
        self.run_cases(
            self.cases(), lambda label, expected, r: self.assertLeaksNothing(r)
        )

    def test_json2_bad_input_is_answered_4xx(self):
        def check(label, expected, response):
            expected = expected if isinstance(expected, tuple) else (expected,)
            self.assertIn(
                response.status_code,
                expected,
                f"{label}: {response.status_code} {response.text[:300]}",
            )

        self.run_cases(self.cases(), check)


class RpcBadInputCase(BadInputCase):
    """What is common to the attacks of /jsonrpc and /xmlrpc/2."""

    def execute_kw_args(self, passwd=None, uid=None, method="search_count"):
        return [
            self.env.cr.dbname,
            self.owner.id if uid is None else uid,
            self.key if passwd is None else passwd,
            "res.partner",
            method,
        ]


@tagged("post_install", "-at_install")
class TestAttackJsonRpcBadInput(RpcBadInputCase):
    """/jsonrpc answers HTTP 200 with an error object, or 400/415 for bodies
    it cannot read."""

    def send(self, body, content_type="application/json"):
        return lambda: self.raw("/jsonrpc", body, content_type)

    def rpc(self, service, method, *args):
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {"service": service, "method": method, "args": list(args)},
        }
        return self.send(json.dumps(payload).encode())

    def execute_kw(self, *args, passwd=None, uid=None, method="search_count"):
        base = self.execute_kw_args(passwd, uid, method)
        return self.rpc("object", "execute_kw", *base, *args)

    @staticmethod
    def outcome(response):
        """Return "http <status>", "result" or the error's class name."""
        if response.status_code != 200:
            return f"http {response.status_code}"
        body = response.json()
        if "error" not in body:
            return "result"
        return body["error"]["data"]["name"]

    def cases(self):
        """Return {label: (send, expected outcomes)}; "clear" stands for
        any `odoo.exceptions.*` or `werkzeug.exceptions.*` error."""
        denied = "odoo.exceptions.AccessDenied"
        big = [[["name", "=", "a" * BIG]]]
        return {
            "malformed json": (self.send(b'{"params": {'), "http 400"),
            "truncated json": (self.send(b'{"params": {}'), "http 400"),
            "text/plain": (self.send(b"{}", "text/plain"), "http 415"),
            "nesting 5000 deep": (
                self.send(f'{{"params": {nested(NESTING)}}}'.encode()),
                ("http 400", "clear"),
            ),
            "params as a list": (self.send(b'{"params": [1]}'), "clear"),
            "params as a string": (self.send(b'{"params": "x"}'), "clear"),
            "array body": (self.send(b"[1]"), "http 400"),
            "non-UTF-8 body": (self.send(b"\xff\xfe{}"), "http 400"),
            "body of several MB": (self.execute_kw(big), "result"),
            "unknown service": (self.rpc("nope", "x"), "clear"),
            "no service": (self.rpc(None, None), "clear"),
            "too few arguments": (
                self.rpc("object", "execute_kw", self.env.cr.dbname),
                "clear",
            ),
            "arguments as an object": (
                self.send(
                    b'{"params": {"service": "object", "method": "execute_kw",'
                    b' "args": {"a": 1}}}'
                ),
                "clear",
            ),
            "password as a number": (self.execute_kw([[]], passwd=12), denied),
            "password as a list": (self.execute_kw([[]], passwd=[self.key]), denied),
            "password as an object": (
                self.execute_kw([[]], passwd={"key": self.key}),
                denied,
            ),
            "password false": (self.execute_kw([[]], passwd=False), denied),
            # core reads the uid with int(): a clear error, or a refusal
            "uid as a string": (self.execute_kw([[]], uid="x"), ("clear", denied)),
            "uid null": (self.execute_kw([[]], uid=False), denied),
            "uid 2**63": (self.execute_kw([[]], uid=2**63), denied),
            "unknown keyword": (self.execute_kw([[]], {"bogus": 1}), "clear"),
            "keywords as a list": (self.execute_kw([[]], [1]), "clear"),
            "negative limit": (
                self.execute_kw([[]], {"limit": -1}, method="search"),
                "clear",
            ),
            'limit "x"': (
                self.execute_kw([[]], {"limit": "x"}, method="search"),
                "clear",
            ),
            "id 2**63": (
                self.execute_kw([[2**63]], {"fields": ["name"]}, method="read"),
                "result",
            ),
            "id 10**30": (
                self.execute_kw([[10**30]], {"fields": ["name"]}, method="read"),
                "result",
            ),
            "method as a number": (self.execute_kw([[]], method=5), "clear"),
            "unknown model": (
                self.rpc(
                    "object",
                    "execute_kw",
                    *self.execute_kw_args()[:3],
                    "no.model",
                    "search",
                    [[]],
                ),
                "clear",
            ),
            "unknown database": (
                self.rpc(
                    "object",
                    "execute_kw",
                    "no_such_database",
                    *self.execute_kw_args()[1:],
                    [[]],
                ),
                ("clear", denied),
            ),
            "login with sql": (
                self.rpc(
                    "common", "authenticate", self.env.cr.dbname, "' OR 1=1--", "x", {}
                ),
                "result",
            ),
            "login environment as a string": (
                self.rpc(
                    "common",
                    "authenticate",
                    self.env.cr.dbname,
                    self.owner.login,
                    self.key,
                    "x",
                ),
                "clear",
            ),
        }

    def test_jsonrpc_refuses_every_token_shape(self):
        for label, token in token_shapes(self.key, self.foreign_key).items():
            with self.subTest(token=label):
                response = self.execute_kw([[]], passwd=token)()
                self.assertLeaksNothing(response)
                self.assertEqual(self.outcome(response), "odoo.exceptions.AccessDenied")
                response = self.rpc(
                    "common",
                    "authenticate",
                    self.env.cr.dbname,
                    self.owner.login,
                    token,
                    {},
                )()
                self.assertEqual(response.json().get("result"), False)
        self.assertEqual(self.outcome(self.execute_kw([[]])()), "result")

    def test_jsonrpc_bad_input_leaks_nothing(self):
        self.run_cases(
            self.cases(), lambda label, expected, r: self.assertLeaksNothing(r)
        )

    def test_jsonrpc_bad_input_is_answered_as_a_client_error(self):
        def check(label, expected, response):
            expected = expected if isinstance(expected, tuple) else (expected,)
            outcome = self.outcome(response)
            if outcome.startswith(CLEAR_ERROR_PREFIXES) and "clear" in expected:
                return
            self.assertIn(outcome, expected, f"{label}: {response.text[:300]}")

        self.run_cases(self.cases(), check)


@tagged("post_install", "-at_install")
class TestAttackXmlRpcBadInput(RpcBadInputCase):
    """/xmlrpc/2/object and /xmlrpc/2/common answer HTTP 200 with a result
    or a fault."""

    def send(self, body, service="object", content_type="text/xml"):
        return lambda: self.raw(f"/xmlrpc/2/{service}", body, content_type)

    def rpc(self, method, *params, service="object"):
        body = xmlrpc.client.dumps(tuple(params), method, allow_none=True).encode()
        return self.send(body, service)

    def execute_kw(self, *args, passwd=None, uid=None, method="search_count"):
        return self.rpc("execute_kw", *self.execute_kw_args(passwd, uid, method), *args)

    def huge_id_read(self, value):
        """An execute_kw reading the id ``value``, too large for the
        client library to encode: the XML is written by hand."""
        body = xmlrpc.client.dumps(
            (*self.execute_kw_args(method="read"), [[0]], {"fields": ["name"]}),
            "execute_kw",
        )
        body = body.replace("<int>0</int>", f"<int>{value}</int>", 1)
        return self.send(body.encode())

    @staticmethod
    def outcome(response):
        """Return "http <status>", "result" or "fault <code>"."""
        if response.status_code != 200:
            return f"http {response.status_code}"
        try:
            xmlrpc.client.loads(response.content)
        except xmlrpc.client.Fault as fault:
            return f"fault {fault.faultCode}"
        return "result"

    def cases(self):
        """Return {label: (send, expected outcomes)}; "clear" stands for
        faults 2, 3 and 4."""
        denied = "fault 3"
        head = b'<?xml version="1.0"?><methodCall><methodName>execute_kw</methodName>'
        deep = (
            head
            + b"<params><param><value>"
            + b"<array><data><value>" * NESTING
            + b"<int>1</int>"
            + b"</value></data></array>" * NESTING
            + b"</value></param></params></methodCall>"
        )
        laughs = (
            b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
            b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
            b"<methodCall><methodName>&c;</methodName></methodCall>"
        )
        big = [[["name", "=", "a" * BIG]]]  # the arguments: one domain
        common = "common"
        db = self.env.cr.dbname
        return {
            "malformed xml": (self.send(head), "clear"),
            "empty body": (self.send(b""), "clear"),
            "json body": (self.send(b"{}", content_type="application/json"), "clear"),
            "non-UTF-8 body": (self.send(head + b"\xff\xfe"), "clear"),
            "nesting 5000 deep": (self.send(deep), "clear"),
            "entity expansion": (self.send(laughs), "clear"),
            "body of several MB": (self.execute_kw(big), "result"),
            "too few arguments": (self.rpc("execute_kw", db), "clear"),
            "unknown method": (self.rpc("nope", db), "clear"),
            "password as a number": (self.execute_kw([[]], passwd=12), denied),
            "password as a list": (self.execute_kw([[]], passwd=[self.key]), denied),
            "uid as a string": (self.execute_kw([[]], uid="x"), ("clear", denied)),
            "unknown keyword": (self.execute_kw([[]], {"bogus": 1}), "clear"),
            "negative limit": (
                self.execute_kw([[]], {"limit": -1}, method="search"),
                "clear",
            ),
            'limit "x"': (
                self.execute_kw([[]], {"limit": "x"}, method="search"),
                "clear",
            ),
            "id 2**63": (self.huge_id_read(2**63), "result"),
            "id 10**30": (self.huge_id_read(10**30), "result"),
            "common: malformed xml": (self.send(head, common), "clear"),
            # core's common service raises a bare Exception for unknown methods:
            # the route's generic fault, without its traceback
            "common: unknown method": (self.rpc("nope", service=common), "fault 1"),
            "common: password as a list": (
                self.rpc(
                    "authenticate", db, self.owner.login, [self.key], {}, service=common
                ),
                ("result", denied, "clear"),
            ),
            "common: login with sql": (
                self.rpc("login", db, "' OR 1=1--", "x", service=common),
                "result",
            ),
        }

    def test_xmlrpc_refuses_every_token_shape(self):
        db = self.env.cr.dbname
        shapes = token_shapes(self.key, self.foreign_key)
        # XML 1.0 has no NUL: such a call is malformed XML, see the cases
        del shapes["key and NUL"]
        for label, token in shapes.items():
            with self.subTest(token=label):
                response = self.execute_kw([[]], passwd=token)()
                self.assertLeaksNothing(response)
                self.assertEqual(self.outcome(response), "fault 3")
                response = self.rpc(
                    "authenticate", db, self.owner.login, token, {}, service="common"
                )()
                self.assertLeaksNothing(response)
                self.assertEqual(xmlrpc.client.loads(response.content)[0], (False,))
        self.assertEqual(self.outcome(self.execute_kw([[]])()), "result")

    def test_xmlrpc_bad_input_leaks_nothing(self):
        self.run_cases(
            self.cases(), lambda label, expected, r: self.assertLeaksNothing(r)
        )

    def test_xmlrpc_bad_input_is_answered_as_a_client_error(self):
        def check(label, expected, response):
            expected = expected if isinstance(expected, tuple) else (expected,)
            outcome = self.outcome(response)
            if "clear" in expected and outcome in (f"fault {c}" for c in CLEAR_FAULTS):
                return
            self.assertIn(outcome, expected, f"{label}: {response.text[:300]}")

        self.run_cases(self.cases(), check)
