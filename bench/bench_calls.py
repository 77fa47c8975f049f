# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Per-call cost of pan_mcp_pro_governance, against stock Odoo, over real HTTP.

What it measures
    The throughput and latency of API calls made with an API key on one prefork
    Odoo server (2 workers) serving two fresh databases:

    * ``<prefix>stock``: base_user_role, auditlog, contacts; an OCA auditlog
      rule on res.partner (full mode; create, write and unlink logged);
    * ``<prefix>addon``: the same plus pan_mcp_pro_governance, whose seeded
      rule on res.partner (API keys only, full mode) is the audited one.

    Each database has 200 partners and one internal user ("Bench owner")
    holding, through a role line, the role "Bench contacts" (base.group_user +
    base.group_partner_manager). Keys: ``stock`` (a plain key, stock database),
    ``unscoped`` (a key with no role) and ``scoped`` (a key bound to the role),
    both on the addon database. Operations:

    * ``json2 read``: POST /json/2/res.partner/search_read, 3 records;
    * ``json2 write tag``: /json/2 write of the name of a res.partner.category
      (no audit rule);
    * ``json2 write partner``: /json/2 write of the job position of a
      res.partner (audited by OCA auditlog on both databases);
    * ``jsonrpc read``: /jsonrpc execute_kw res.partner search_read, 3 records.

    each with 1 client and with N concurrent clients (a requests.Session per
    client thread; every writer writes a record of its own). The database is
    chosen per request with the X-Odoo-Database header.

    Rounds are interleaved (every case and key in each round, the order of the
    keys rotating from round to round), so that load from other processes
    falls on all keys alike. Reported per case and key: calls/s (all rounds),
    p50 and p95 latency in ms (all calls), and the throughput ratio to the
    stock key: the median over the rounds of the ratio measured in each round,
    with its range. Then the CPU time the server spent per call (its HTTP
    workers and the PostgreSQL backends of the benchmark's databases, read
    from /proc around each batch), the part of it spent by the backends, and
    the stock key's CPU per call divided by
    the key's: unlike throughput, it hardly moves with what else the machine
    runs. Failed calls (non-2xx, JSON-RPC errors, unexpected results, client
    errors) are counted and must be 0.

How to run
    python bench/bench_calls.py [--rounds 5] [--calls 60] [--clients 8]
        [--calls-per-client 30] [--operations "jsonrpc read" ...]
        [--addons-path PATHS] [--db-user USER]
        [--db-host HOST] [--db-port PORT] [--keep] [--profile SECONDS]
        [--profile-operation "jsonrpc read"] [--profile-key stock]

    Without --addons-path, Odoo finds the addons where they are installed
    (e.g. ``pip install -e .`` of this addon); with it, the path is passed to
    every Odoo process, e.g. ``--addons-path=/tmp/devaddons,/opt/odoo19/addons``.
    The databases are dropped first, and at the end unless --keep is given.
    --profile SECONDS then records the server's workers with py-spy (found on
    PATH or with --py-spy) while a key (--profile-key, by default the scoped one)
    makes the calls of one operation (one client; --profile-operation, by
    default json2 read), and prints the addon's functions by inclusive share
    of the time the workers spent serving them, waits on PostgreSQL included,
    and the milliseconds per call this stands for.

    Also printed: the transactions the server retried after serialization
    failures, and the ERROR lines of its log (both should be 0).

All traffic goes to 127.0.0.1; every request loop is bounded in calls and time.
"""

import argparse
import collections
import concurrent.futures
import contextlib
import getpass
import hashlib
import http.cookiejar
import itertools
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from typing import NamedTuple

import requests

ADDON = "pan_mcp_pro_governance"
STOCK_MODULES = "base_user_role,auditlog,contacts"
PARTNERS = 200
READ_FIELDS = ["name", "email", "phone"]
READ_DOMAIN = [["name", "=like", "Bench partner %"]]
READ_LIMIT = 3
HOST = "127.0.0.1"
PROFILE_RATE = 250  # py-spy samples per second
# py-spy names frames "function (file:line)", files relative to sys.path
PROFILE_REQUEST_MARKER = "Request._serve_db (http.py:"
PROFILE_ADDON_MARKER = f"({ADDON}/"

# A unique value for every write, whatever the thread making it.
_write_counter = itertools.count()


# Odoo side: runs in a subprocess of its own (see `seed_database`)


def sources_digest(path):
    """A digest of the addon's Python sources: what the numbers measured."""
    digest = hashlib.sha256()
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")))
        for name in sorted(files):
            if name.endswith(".py"):
                with open(os.path.join(root, name), "rb") as source:
                    digest.update(name.encode() + source.read())
    return digest.hexdigest()[:12]


def seed(dbname, kind, writers, odoo_args):
    """Seed ``dbname``; print what the clients need as JSON, on one line."""
    from odoo import SUPERUSER_ID, api
    from odoo.fields import Command
    from odoo.modules.module import get_module_path
    from odoo.modules.registry import Registry
    from odoo.tools import config

    config.parse_config(odoo_args, setup_logging=True)
    with Registry(dbname).cursor() as cr:
        # importable once the registry set the addons path up, installed or not
        from odoo.addons.pan_mcp_pro_governance.models.auditlog_rule import (
            _left_out_of_seeded_rules,
        )

        env = api.Environment(cr, SUPERUSER_ID, {})
        groups = env.ref("base.group_user") | env.ref("base.group_partner_manager")
        role = env["res.users.role"].create(
            {"name": "Bench contacts", "implied_ids": [Command.set(groups.ids)]}
        )
        user = env["res.users"].create(
            {
                "name": "Bench owner",
                "login": "bench_owner",
                "password": "bench_owner_password",
                "role_line_ids": [Command.create({"role_id": role.id})],
            }
        )
        assert groups <= user.all_group_ids, "the owner holds the role's groups"
        env["res.partner"].create(
            [
                {"name": f"Bench partner {i:03d}", "email": f"p{i}@bench.example"}
                for i in range(PARTNERS)
            ]
        )
        writer_partners = env["res.partner"].create(
            [{"name": f"Bench writer {i}"} for i in range(writers)]
        )
        writer_tags = env["res.partner.category"].create(
            [{"name": f"Bench tag {i}"} for i in range(writers)]
        )
        rules = env["auditlog.rule"].with_context(active_test=False)
        assert not rules.search([("model_id.model", "=", "res.partner.category")])
        apikeys = env["res.users.apikeys"].with_user(user).sudo()
        # the fields the addon's seeded rule leaves out: both rules log the same
        left_out = (
            env["ir.model"]
            ._get("res.partner")
            .field_id.filtered(_left_out_of_seeded_rules)
        )
        if kind == "stock":
            rules.create(
                {
                    "name": "Bench: res.partner",
                    "model_id": env["ir.model"]._get_id("res.partner"),
                    "log_read": False,
                    "log_create": True,
                    "log_write": True,
                    "log_unlink": True,
                    "log_export_data": False,
                    "log_type": "full",
                    "fields_to_exclude_ids": [Command.set(left_out.ids)],
                    "state": "confirmed",
                }
            )
            keys = {"stock": apikeys._generate(None, "bench stock", None)}
            module_path = None
        else:
            rule = env.ref(f"{ADDON}.auditlog_rule_res_partner")
            assert (rule.state, rule.log_type) == ("confirmed", "full"), rule
            assert rule.fields_to_exclude_ids == left_out, rule
            assert rule.api_keys_only and rule.log_write, rule
            keys = {
                "unscoped": apikeys._generate(None, "bench unscoped", None),
                "scoped": apikeys._generate(None, "bench scoped", None),
            }
            apikeys.browse(apikeys._find_key_id(keys["scoped"])).write(
                {"role_id": role.id}
            )
            module_path = get_module_path(ADDON)
            module_path += f" (python sources {sources_digest(module_path)})"
        rule = rules.search([("model_id.model", "=", "res.partner")])
        seeded = {
            "uid": user.id,
            "keys": keys,
            "partner_ids": writer_partners.ids,
            "tag_ids": writer_tags.ids,
            "rule": rule.read(["log_type", "state", "log_write"])[0],
            "module_path": module_path,
        }
    # the parent process reads this line on the seeding process' output
    sys.stdout.write("SEEDED " + json.dumps(seeded, default=str) + "\n")
    sys.stdout.flush()


# Databases and server


def odoo_command():
    """The `odoo` command of this Python: prefork re-runs it for its gevent
    worker, which `python -m odoo` cannot be."""
    command = os.path.join(os.path.dirname(sys.executable), "odoo")
    return command if os.path.exists(command) else shutil.which("odoo")


def db_options(args):
    options = [
        f"--db_host={args.db_host}",
        f"--db_port={args.db_port}",
        f"--db_user={args.db_user}",
    ]
    if args.db_password:
        options.append(f"--db_password={args.db_password}")
    if args.addons_path:
        options.insert(0, f"--addons-path={args.addons_path}")
    return options


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def drop_databases(args, names):
    import psycopg2
    import psycopg2.sql

    connection = psycopg2.connect(
        dbname="postgres",
        host=args.db_host,
        port=args.db_port,
        user=args.db_user,
        password=args.db_password or None,
    )
    connection.autocommit = True
    try:
        with connection.cursor() as cr:
            for name in names:
                cr.execute(
                    psycopg2.sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                        psycopg2.sql.Identifier(name)
                    )
                )
    finally:
        connection.close()


def run_logged(command, log_path, timeout):
    """Run ``command``, its output to ``log_path``; fail with its tail."""
    with open(log_path, "w") as log:
        process = subprocess.run(
            command, check=False, stdout=log, stderr=subprocess.STDOUT, timeout=timeout
        )
    if process.returncode:
        with open(log_path) as log:
            tail = log.read()[-3000:]
        raise RuntimeError(f"{command[:4]} failed ({log_path}):\n{tail}")


def init_databases(args, workdir):
    """Create both databases, in parallel."""
    jobs = {
        args.stock_db: STOCK_MODULES,
        args.addon_db: f"{STOCK_MODULES},{ADDON}",
    }
    with concurrent.futures.ThreadPoolExecutor(len(jobs)) as pool:
        futures = [
            pool.submit(
                run_logged,
                [
                    odoo_command(),
                    "server",
                    *db_options(args),
                    f"--database={dbname}",
                    f"--init={modules}",
                    "--stop-after-init",
                    "--no-http",
                    "--max-cron-threads=0",
                    "--log-level=warn",
                ],
                os.path.join(workdir, f"init-{dbname}.log"),
                args.init_timeout,
            )
            for dbname, modules in jobs.items()
        ]
        for future in futures:
            future.result()


def seed_database(args, dbname, kind, workdir):
    command = [
        sys.executable,
        os.path.abspath(__file__),
        "--internal-seed",
        kind,
        "--seed-db",
        dbname,
        "--clients",
        str(args.clients),
        "--",
        *db_options(args),
        "--log-level=warn",
    ]
    log_path = os.path.join(workdir, f"seed-{dbname}.log")
    process = subprocess.run(
        command,
        check=False,
        capture_output=True,
        text=True,
        timeout=args.init_timeout,
    )
    with open(log_path, "w") as log:
        log.write(process.stdout + process.stderr)
    for line in process.stdout.splitlines():
        if line.startswith("SEEDED "):
            return json.loads(line[len("SEEDED ") :])
    raise RuntimeError(f"seeding {dbname} failed:\n{process.stderr[-3000:]}")


def gevent_requirements_shim(workdir):
    """Return a directory of metadata that lets pkg_resources find gevent's
    requirements, or None if it finds them already.

    The prefork server spawns a gevent worker, and gevent loads its plugins
    with pkg_resources, which (setuptools < 69) misses distributions whose
    metadata directory is named the PEP 503 way (``zope_interface-8.7``): the
    worker then dies at start, and the server spawns it again every second,
    taking CPU from the workers being measured. The directory, on the
    server's PYTHONPATH only, names those distributions the old way.
    """
    import importlib.metadata
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            import pkg_resources
        except ImportError:
            return None
    shim = os.path.join(workdir, "dist-shim")
    for _attempt in range(10):
        try:
            pkg_resources.require("gevent")
            return shim if os.path.isdir(shim) else None
        except pkg_resources.DistributionNotFound as exc:
            name = exc.req.project_name
            try:
                version = importlib.metadata.version(name)
            except importlib.metadata.PackageNotFoundError:
                return None  # really missing: nothing to name
            info = os.path.join(shim, f"{name}-{version}.dist-info")
            os.makedirs(info)
            with open(os.path.join(info, "METADATA"), "w") as metadata:
                metadata.write(f"Metadata-Version: 2.1\nName: {name}\n")
                metadata.write(f"Version: {version}\n")
            print(f"gevent worker: {name} {version} named for pkg_resources")
            pkg_resources.working_set.add_entry(shim)
        except pkg_resources.ResolutionError:
            return None
    return None


class Server:
    """One prefork Odoo server serving every database of the benchmark."""

    def __init__(self, args, workdir):
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.prefix = args.prefix
        self.log_path = os.path.join(workdir, "server.log")
        self.log = open(self.log_path, "w")  # noqa: SIM115
        command = [
            odoo_command(),
            "server",
            *db_options(args),
            f"--workers={args.workers}",
            "--max-cron-threads=0",
            f"--http-port={self.port}",
            f"--gevent-port={free_port()}",
            f"--http-interface={HOST}",
            f"--db-filter=^{args.prefix}",
            "--log-level=warn",
            "--log-handler=odoo.addons.rpc.controllers.xmlrpc:ERROR",
            "--log-handler=odoo.addons.rpc.controllers.jsonrpc:ERROR",
            # to count the transactions retried after serialization failures
            "--log-handler=odoo.service.model:INFO",
        ]
        environ = dict(os.environ)
        shim = gevent_requirements_shim(workdir)
        if shim:
            environ["PYTHONPATH"] = os.pathsep.join(
                filter(None, [shim, environ.get("PYTHONPATH")])
            )
        self.process = subprocess.Popen(
            command, stdout=self.log, stderr=subprocess.STDOUT, env=environ
        )

    def wait_until_up(self, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Odoo exited early, see {self.log_path}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.url}/web/health", timeout=2).ok:
                    return
            time.sleep(0.3)
        raise RuntimeError(f"Odoo did not start in {timeout}s, see {self.log_path}")

    def processes(self):
        """Yield (pid, parent pid, /proc stat fields, command line) of every
        process of the machine."""
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            with contextlib.suppress(OSError):
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                    command = cmdline.read()
                yield int(entry), int(fields[1]), fields, command

    def is_worker(self, parent, command):
        return parent == self.process.pid and b"gevent" not in command.split(b"\0")[:3]

    def worker_pids(self):
        """The pids of the HTTP workers (children of the prefork master)."""
        return sorted(
            pid
            for pid, parent, _fields, command in self.processes()
            if self.is_worker(parent, command)
        )

    def cpu_seconds(self):
        """The CPU seconds used so far by each process serving the benchmark
        (the HTTP workers, and the PostgreSQL backends of its databases), and
        whether it is a backend."""
        tick = os.sysconf("SC_CLK_TCK")
        backend_of = f" {self.prefix}".encode()
        used = {}
        for pid, parent, fields, command in self.processes():
            backend = command.startswith(b"postgres: ") and backend_of in command
            if backend or self.is_worker(parent, command):
                used[pid] = ((int(fields[11]) + int(fields[12])) / tick, backend)
        return used

    def error_lines(self):
        with open(self.log_path, errors="replace") as log:
            return [
                line.rstrip()
                for line in log
                if " ERROR " in line or " CRITICAL " in line or "Traceback" in line
            ]

    def retried_transactions(self):
        """How many transactions were retried, and how many gave up."""
        with open(self.log_path, errors="replace") as log:
            lines = log.readlines()
        retried = sum("tries left, try again" in line for line in lines)
        given_up = sum("maximum number of tries reached" in line for line in lines)
        return retried, given_up

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        self.log.close()


# Clients


class Key(NamedTuple):
    """An API key, and the records its writers write."""

    name: str
    db: str
    clear: str
    uid: int
    partner_ids: list
    tag_ids: list


class Operation:
    """One kind of call: how to make it and what it must answer."""

    def __init__(self, name, path, payload, expected):
        self.name = name
        self.path = path
        self.payload = payload
        self.expected = expected

    def call(self, session, url, key, writer, timeout):
        """Make one call; return None, or what went wrong."""
        response = session.post(
            url + self.path(key),
            data=json.dumps(self.payload(key, writer)),
            headers={
                "Authorization": f"Bearer {key.clear}",
                "Content-Type": "application/json",
                "X-Odoo-Database": key.db,
            },
            timeout=timeout,
        )
        if not 200 <= response.status_code < 300:
            return f"HTTP {response.status_code}: {response.text[:200]}"
        body = response.json()
        if self.path(key) == "/jsonrpc":
            if "error" in body:
                error = body["error"].get("data", {}).get("message") or body["error"]
                return f"JSON-RPC error: {str(error)[:200]}"
            body = body.get("result")
        return self.expected(body)


def read_payload(key, writer):
    return {"domain": READ_DOMAIN, "fields": READ_FIELDS, "limit": READ_LIMIT}


def jsonrpc_payload(key, writer):
    return {
        "jsonrpc": "2.0",
        "method": "call",
        "id": 1,
        "params": {
            "service": "object",
            "method": "execute_kw",
            "args": [
                key.db,
                key.uid,
                key.clear,
                "res.partner",
                "search_read",
                [READ_DOMAIN],
                {"fields": READ_FIELDS, "limit": READ_LIMIT},
            ],
        },
    }


def write_tag_payload(key, writer):
    return {
        "ids": [key.tag_ids[writer]],
        "vals": {"name": f"Bench tag {writer} #{next(_write_counter)}"},
    }


def write_partner_payload(key, writer):
    return {
        "ids": [key.partner_ids[writer]],
        "vals": {"function": f"Bench job #{next(_write_counter)}"},
    }


def three_records(body):
    if isinstance(body, list) and len(body) == READ_LIMIT:
        return None
    return f"unexpected result: {str(body)[:200]}"


def true(body):
    return None if body is True else f"unexpected result: {str(body)[:200]}"


OPERATIONS = [
    Operation(
        "json2 read",
        lambda key: "/json/2/res.partner/search_read",
        read_payload,
        three_records,
    ),
    Operation(
        "json2 write tag",
        lambda key: "/json/2/res.partner.category/write",
        write_tag_payload,
        true,
    ),
    Operation(
        "json2 write partner",
        lambda key: "/json/2/res.partner/write",
        write_partner_payload,
        true,
    ),
    Operation("jsonrpc read", lambda key: "/jsonrpc", jsonrpc_payload, three_records),
]


def new_session():
    session = requests.Session()
    # stateless clients: never send back a session cookie
    session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    session.trust_env = False  # no proxy: traffic stays on 127.0.0.1
    return session


class Batch:
    """What one run of a case with one key measured."""

    def __init__(self):
        self.latencies = []
        self.errors = []
        self.calls = 0
        self.wall = 0.0
        # CPU seconds of the server's workers, and of their database backends
        self.cpu = 0.0
        self.database_cpu = 0.0


def run_batch(server, operation, key, clients, calls_per_client, args):
    """``clients`` threads make up to ``calls_per_client`` calls each, within
    --batch-timeout seconds."""
    url = server.url
    batch = Batch()
    lock = threading.Lock()
    barrier = threading.Barrier(clients)
    spans = []

    def client(writer):
        latencies, errors = [], []
        with new_session() as session:
            barrier.wait(timeout=60)
            started = time.perf_counter()
            deadline = time.monotonic() + args.batch_timeout
            for _call in range(calls_per_client):
                if time.monotonic() > deadline:
                    errors.append("batch timeout: calls not made")
                    break
                before = time.perf_counter()
                try:
                    error = operation.call(
                        session, url, key, writer, args.request_timeout
                    )
                except (requests.RequestException, ValueError) as exc:
                    error = f"client: {type(exc).__name__}: {str(exc)[:200]}"
                latencies.append(time.perf_counter() - before)
                if error:
                    errors.append(error)
            ended = time.perf_counter()
        with lock:
            batch.latencies.extend(latencies)
            batch.errors.extend(errors)
            spans.append((started, ended))

    cpu_before = server.cpu_seconds()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(client, writer) for writer in range(clients)]:
            future.result()
    cpu_after = server.cpu_seconds()
    used = {
        pid: max(0.0, seconds - cpu_before.get(pid, (0.0, False))[0])
        for pid, (seconds, _backend) in cpu_after.items()
    }
    batch.cpu = sum(used.values())
    batch.database_cpu = sum(
        seconds for pid, seconds in used.items() if cpu_after[pid][1]
    )
    batch.calls = len(batch.latencies)
    batch.wall = max(end for _start, end in spans) - min(s for s, _end in spans)
    return batch


def percentile(values, fraction):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


def measure(server, keys, args):
    """Interleaved rounds; return {(operation, clients): {key: [Batch]}}."""
    cases = [
        (operation, clients, calls)
        for operation in OPERATIONS
        if operation.name in args.operations
        for clients, calls in ((1, args.calls), (args.clients, args.calls_per_client))
    ]
    results = {
        (operation.name, clients): collections.defaultdict(list)
        for operation, clients, _calls in cases
    }
    deadline = time.monotonic() + args.max_minutes * 60
    print(f"warming up ({args.warmup} calls per client and key)...", flush=True)
    for operation, clients, _calls in cases:
        if clients > 1:
            for key in keys:
                batch = run_batch(server, operation, key, clients, args.warmup, args)
                if batch.errors:
                    print(
                        f"  warm-up errors ({operation.name}, {key.name}): "
                        f"{batch.errors[:3]}"
                    )
    for round_index in range(args.rounds):
        if time.monotonic() > deadline:
            print(f"--max-minutes reached: stopped after {round_index} rounds")
            break
        started = time.monotonic()
        for operation, clients, calls in cases:
            shift = round_index % len(keys)
            for key in keys[shift:] + keys[:shift]:
                batch = run_batch(server, operation, key, clients, calls, args)
                results[operation.name, clients][key.name].append(batch)
        print(
            f"round {round_index + 1}/{args.rounds}: {time.monotonic() - started:.0f}s",
            flush=True,
        )
    return results


def cpu_per_call(batches, database_only=False):
    """The CPU seconds the server (or only its database backends) spent per
    call of ``batches``."""
    calls = sum(batch.calls for batch in batches)
    cpu = sum(batch.database_cpu if database_only else batch.cpu for batch in batches)
    return cpu / calls if calls else 0.0


def report(results, keys):
    """Print the table; return the number of failed calls."""
    stock = keys[0].name
    header = (
        f"{'case':<26} {'key':<9} {'calls':>6} {'calls/s':>8} {'p50 ms':>7} "
        f"{'p95 ms':>7} {'ratio':>6} {'range':>11} {'cpu ms':>7} {'db ms':>6} "
        f"{'cpu':>5} "
        f"{'errors':>6}"
    )
    print("\n" + header + "\n" + "-" * len(header))
    worst = None
    failed = 0
    samples = collections.Counter()
    for (operation, clients), by_key in results.items():
        case = f"{operation} x{clients}"
        stock_rates = [b.calls / b.wall for b in by_key[stock]]
        stock_cpu = cpu_per_call(by_key[stock])
        for key in keys:
            batches = by_key[key.name]
            if not batches:
                continue
            latencies = [lat for b in batches for lat in b.latencies]
            errors = [error for b in batches for error in b.errors]
            failed += len(errors)
            samples.update(errors)
            rate = sum(b.calls for b in batches) / sum(b.wall for b in batches)
            ratios = [
                (b.calls / b.wall) / stock_rate
                for b, stock_rate in zip(batches, stock_rates, strict=False)
            ]
            ratio = statistics.median(ratios)
            spread = f"{min(ratios):.2f}-{max(ratios):.2f}"
            cpu = cpu_per_call(batches)
            print(
                f"{case if key.name == stock else '':<26} {key.name:<9} "
                f"{len(latencies):>6} {rate:>8.1f} "
                f"{percentile(latencies, 0.5) * 1000:>7.1f} "
                f"{percentile(latencies, 0.95) * 1000:>7.1f} "
                f"{ratio:>6.2f} {spread:>11} {cpu * 1000:>7.2f} "
                f"{cpu_per_call(batches, database_only=True) * 1000:>6.2f} "
                f"{stock_cpu / cpu if cpu else 0:>5.2f} {len(errors):>6}"
            )
            if key.name != stock and (worst is None or ratio < worst[0]):
                worst = (ratio, f"{case}, {key.name} key")
    print(f"\nfailed calls: {failed}")
    for error, count in samples.most_common(5):
        print(f"  {count} x {error}")
    if worst:
        print(f"worst ratio: {worst[0]:.2f} ({worst[1]})")
    return failed


# Profile


def profile(server, key, args, workdir):
    """Record the workers with py-spy while ``key`` makes the calls of
    --profile-operation; print the addon's functions by share of the request
    time."""
    py_spy = args.py_spy or shutil.which("py-spy")
    if not py_spy:
        print("\nprofile skipped: py-spy not found (pip install py-spy)")
        return
    recorders = []
    for pid in server.worker_pids():
        output = os.path.join(workdir, f"profile-{pid}.txt")
        command = [py_spy, "record", "--format", "raw", "--idle"]
        command += ["--rate", str(PROFILE_RATE)]
        command += ["--duration", str(int(args.profile)), "--nonblocking"]
        command += ["-o", output, "-p", str(pid)]
        recorder = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        recorders.append((recorder, output))
    time.sleep(1)
    calls = int(args.profile * 400)  # far more than can be made: bounded by time
    profile_args = argparse.Namespace(**vars(args))
    profile_args.batch_timeout = args.profile - 1
    operation = next(op for op in OPERATIONS if op.name == args.profile_operation)
    batch = run_batch(server, operation, key, 1, calls, profile_args)
    for recorder, _output in recorders:
        _stdout, stderr = recorder.communicate(timeout=args.profile + 60)
        if recorder.returncode:
            print(f"py-spy failed: {stderr.strip()[-500:]}")
    outputs = [output for _recorder, output in recorders if os.path.exists(output)]
    errors = [error for error in batch.errors if not error.startswith("batch")]
    print(
        f"\nprofile: {batch.calls} calls ({operation.name}, {key.name} key) "
        f"in {batch.wall:.1f}s, "
        f"{len(errors)} errors; raw stacks in {', '.join(outputs) or '-'}"
    )
    summarize_profile(outputs, batch.calls)


def summarize_profile(outputs, calls, top=20):
    """Print each addon function's inclusive share of the samples taken while
    serving requests (CPU and waits alike: py-spy runs with --idle), and the
    time it stands for per call."""
    total = 0
    inclusive = collections.Counter()
    for output in outputs:
        with open(output) as stacks:
            for line in stacks:
                stack, _space, count = line.rstrip("\n").rpartition(" ")
                if not count.isdigit() or PROFILE_REQUEST_MARKER not in stack:
                    continue  # not serving a request: an idle worker
                total += int(count)
                # by function, whatever the line: "name (file:line)"
                frames = {
                    "{} ({})".format(
                        frame.split(" (", 1)[0],
                        frame.split(ADDON + "/", 1)[1].rsplit(":", 1)[0],
                    )
                    for frame in stack.split(";")
                    if PROFILE_ADDON_MARKER in frame
                }
                for frame in frames:
                    inclusive[frame] += int(count)
    if not total or not calls:
        print("no request samples recorded")
        return
    per_call = 1000 / PROFILE_RATE / calls
    print(
        f"request time: {total * per_call:.2f} ms per call ({total} samples); "
        "addon functions, inclusive (share, ms per call):"
    )
    for frame, count in inclusive.most_common(top):
        print(f"  {count / total:6.1%} {count * per_call:6.2f}  {frame}")


# Main


def add_server_arguments(parser):
    """Add the options telling where Odoo's addons and PostgreSQL are."""
    parser.add_argument("--addons-path", default=None)
    parser.add_argument("--db-host", default=HOST)
    parser.add_argument("--db-port", type=int, default=5432)
    parser.add_argument(
        "--db-user", default=os.environ.get("PGUSER") or getpass.getuser()
    )
    parser.add_argument("--db-password", default=os.environ.get("PGPASSWORD"))


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--operations",
        nargs="+",
        default=[operation.name for operation in OPERATIONS],
        choices=[operation.name for operation in OPERATIONS],
        metavar="OPERATION",
        help="the operations to measure, e.g. --operations 'jsonrpc read'",
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=60, help="calls at 1 client")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument(
        "--calls-per-client", type=int, default=30, help="calls per concurrent client"
    )
    parser.add_argument("--warmup", type=int, default=5, help="calls per client")
    parser.add_argument("--workers", type=int, default=2)
    add_server_arguments(parser)
    parser.add_argument("--prefix", default="mcp_bench_", help="database names")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument("--request-timeout", type=float, default=60)
    parser.add_argument("--batch-timeout", type=float, default=120)
    parser.add_argument("--init-timeout", type=float, default=900)
    parser.add_argument("--max-minutes", type=float, default=60)
    parser.add_argument("--profile", type=float, default=0, metavar="SECONDS")
    parser.add_argument(
        "--profile-operation",
        default=OPERATIONS[0].name,
        choices=[operation.name for operation in OPERATIONS],
    )
    parser.add_argument(
        "--profile-key", default="scoped", choices=("stock", "unscoped", "scoped")
    )
    parser.add_argument("--py-spy", default=None, help="the py-spy executable")
    parser.add_argument("--internal-seed", choices=("stock", "addon"))
    parser.add_argument("--seed-db")
    parser.add_argument("odoo_args", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.stock_db = f"{args.prefix}stock"
    args.addon_db = f"{args.prefix}addon"
    if args.rounds < 1 or args.calls < 1 or args.clients < 1:
        parser.error("--rounds, --calls and --clients must be positive")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.internal_seed:
        seed(args.seed_db, args.internal_seed, args.clients, args.odoo_args)
        return 0
    began = time.monotonic()
    databases = [args.stock_db, args.addon_db]
    workdir = tempfile.mkdtemp(prefix="mcp-bench-")
    print(f"logs in {workdir}", flush=True)
    server = None
    try:
        drop_databases(args, databases)
        init_databases(args, workdir)
        seeded = {
            "stock": seed_database(args, args.stock_db, "stock", workdir),
            "addon": seed_database(args, args.addon_db, "addon", workdir),
        }
        print(f"{ADDON} loaded from {seeded['addon']['module_path']}")
        print(f"databases ready: {time.monotonic() - began:.0f}s", flush=True)
        keys = [
            Key(
                name,
                args.stock_db if kind == "stock" else args.addon_db,
                clear,
                seeded[kind]["uid"],
                seeded[kind]["partner_ids"],
                seeded[kind]["tag_ids"],
            )
            for kind in ("stock", "addon")
            for name, clear in seeded[kind]["keys"].items()
        ]
        server = Server(args, workdir)
        server.wait_until_up()
        results = measure(server, keys, args)
        failed = report(results, keys)
        if args.profile > 0:
            key = next(key for key in keys if key.name == args.profile_key)
            profile(server, key, args, workdir)
        retried, given_up = server.retried_transactions()
        print(f"transactions retried: {retried}, given up: {given_up}")
        errors = server.error_lines()
        print(f"server log: {len(errors)} error lines ({server.log_path})")
        for line in errors[:10]:
            print(f"  {line[:200]}")
        return 1 if failed else 0
    finally:
        if server is not None:
            server.stop()
        if not args.keep:
            drop_databases(args, databases)
        print(f"total runtime: {time.monotonic() - began:.0f}s")


if __name__ == "__main__":
    sys.exit(main())
