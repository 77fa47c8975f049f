# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Cost of the API call retention on a large backlog, under write traffic.

What it measures
    One fresh database ``<prefix>db`` (base_user_role, auditlog, contacts,
    pan_mcp_pro_governance), seeded by bench_calls: a user holding the role
    "Bench contacts", a key bound to that role, one partner per writer.

    A backlog is then inserted with SQL: --rows API calls (mcp.audit.request)
    dated 400 to 200 days ago, all older than the retention (180 days by
    default), each with one auditlog.log row linked by request id and one
    auditlog.log.line; then --keys more API keys of the same user (dummy
    hashes, indexes no key can have).

    A prefork server (--workers) serves --clients writers, each making
    /json/2 res.partner/write calls of one field of its own partner with the
    role-bound key (audited: one auditlog row and one API call row each):

    1. ``2 keys``: --phase seconds with only the seeded keys;
    2. the server is restarted (empty key caches) after the extra keys are
       inserted; ``N keys``: --baseline seconds, the baseline;
    3. ``deletion``: while the writers go on, this process deletes the
       backlog the way Odoo's autovacuum does: it calls
       ``mcp.audit.request._gc_expired_requests()`` on a registry cursor and
       commits, again while the call reports rows remaining. The writers stop
       when it ends.

    Printed: the rows before and after, the deletion time and its chunks, the
    writers' calls, p50 and p95 latency (client side) and failed calls per
    phase, the waits of the database's backends sampled during each phase
    (lock waits included, with the waiting query) and the machine's CPU use,
    the transactions the servers retried and the ERROR lines of their logs.
    Targets: deletion under 60 s, writers' p95 during the deletion at most
    twice the baseline.

How to run
    python bench/bench_retention.py [--rows 1000000] [--keys 10000]
        [--clients 8] [--workers 2] [--phase 15] [--baseline 20]
        [--addons-path PATHS] [--db-user USER] [--db-host HOST]
        [--db-port PORT] [--keep]

    e.g. ``--addons-path=/tmp/devaddons,/opt/odoo19/addons``. The database is
    dropped first, and at the end unless --keep is given. The last line reads
    ``retention: deleted N rows in X s; writers p95 x.xx of baseline``.

All traffic goes to 127.0.0.1; the writers stop after --max-minutes at the
latest, the deletion after --deletion-timeout seconds.
"""

import argparse
import collections
import contextlib
import datetime
import os
import sys
import tempfile
import threading
import time

import psycopg2
from bench_calls import (
    ADDON,
    HOST,
    OPERATIONS,
    STOCK_MODULES,
    Key,
    Server,
    add_server_arguments,
    db_options,
    drop_databases,
    new_session,
    odoo_command,
    percentile,
    run_logged,
    seed_database,
)

WRITE = next(op for op in OPERATIONS if op.name == "json2 write partner")
OLDEST_DAYS = 400
NEWEST_DAYS = 200
DUMMY_HASH = "$pbkdf2-sha512$600000$YmVuY2g$" + "0" * 86  # never verified
TABLES = ("mcp_audit_request", "auditlog_log", "auditlog_log_line")
SAMPLE_PERIOD = 0.2  # seconds between two looks at pg_stat_activity


# Database side


def connect(args, dbname):
    connection = psycopg2.connect(
        dbname=dbname,
        host=args.db_host,
        port=args.db_port,
        user=args.db_user,
        password=args.db_password or None,
    )
    connection.autocommit = True
    return connection


@contextlib.contextmanager
def database_cursor(args):
    """An autocommit cursor on the benchmark's database, closed after use."""
    connection = connect(args, args.db)
    try:
        with connection.cursor() as cr:
            yield cr
    finally:
        connection.close()


def init_database(args, workdir):
    run_logged(
        [
            odoo_command(),
            "server",
            *db_options(args),
            f"--database={args.db}",
            f"--init={STOCK_MODULES},{ADDON}",
            "--stop-after-init",
            "--no-http",
            "--max-cron-threads=0",
            "--log-level=warn",
        ],
        os.path.join(workdir, f"init-{args.db}.log"),
        args.init_timeout,
    )


def insert_backlog(cr, args, seeded):
    """Insert --rows expired API calls, their auditlog logs and log lines."""
    cr.execute(
        """
        SELECT apikey.id, apikey.role_id, apikey.name, model.id, field.id
          FROM res_users_apikeys apikey, ir_model model, ir_model_fields field
         WHERE apikey.user_id = %s AND apikey.role_id IS NOT NULL
           AND model.model = 'res.partner'
           AND field.model = 'res.partner' AND field.name = 'function'
        """,
        [seeded["uid"]],
    )
    key_id, role_id, key_name, model_id, field_id = cr.fetchone()
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    params = {
        "rows": args.rows,
        "oldest": now - datetime.timedelta(days=OLDEST_DAYS),
        "step": (OLDEST_DAYS - NEWEST_DAYS) * 86400 / args.rows,
        "uid": seeded["uid"],
        "key": key_id,
        "key_name": key_name,
        "role": role_id,
        "model": model_id,
        "field": field_id,
        "partners": seeded["partner_ids"],
    }
    # the oldest first, as the calls were made; uids are md5 hex, as uuid4 hex
    cr.execute(
        """
        INSERT INTO mcp_audit_request (
            request_uid, request_date, route_kind, http_method, path,
            model_name, method_name, status, status_class, duration_ms,
            user_id, key_id, key_ref, key_name, key_accepted, role_id,
            remote_address, user_agent, error_count
        )
        SELECT md5(n::text), %(oldest)s + n * %(step)s * interval '1 second',
               'json2', 'POST', '/json/2/res.partner/write', 'res.partner',
               'write', 200, '2xx', 25.0, %(uid)s, %(key)s, %(key)s,
               %(key_name)s, true, %(role)s, '127.0.0.1', 'bench/1.0', 0
          FROM generate_series(1, %(rows)s) AS n
        """,
        params,
    )
    cr.execute(
        """
        WITH logs AS (
            INSERT INTO auditlog_log (
                name, model_id, model_name, model_model, res_id, res_ids,
                user_id, method, log_type, create_uid, write_uid, create_date,
                write_date, mcp_request_uid
            )
            SELECT 'Bench writer', %(model)s, 'Contact', 'res.partner',
                   (%(partners)s::int[])[1 + n %% array_length(%(partners)s, 1)],
                   NULL, %(uid)s, 'write', 'full', %(uid)s, %(uid)s,
                   %(oldest)s + n * %(step)s * interval '1 second',
                   %(oldest)s + n * %(step)s * interval '1 second',
                   md5(n::text)
              FROM generate_series(1, %(rows)s) AS n
            RETURNING id, create_date
        )
        INSERT INTO auditlog_log_line (
            field_id, log_id, field_name, field_description, old_value,
            new_value, old_value_text, new_value_text, create_uid, write_uid,
            create_date, write_date
        )
        SELECT %(field)s, id, 'function', 'Job Position', 'Bench job #1',
               'Bench job #2', 'Bench job #1', 'Bench job #2', %(uid)s,
               %(uid)s, create_date, create_date
          FROM logs
        """,
        params,
    )


def insert_keys(cr, args, uid):
    """Insert --keys API keys of ``uid``: their index ("z" and digits) is not
    hexadecimal, so no key presented can ever select them."""
    cr.execute(
        """
        INSERT INTO res_users_apikeys (
            name, user_id, scope, index, key, state, create_date
        )
        SELECT 'Bench extra key ' || n, %s, NULL, 'z' || lpad(n::text, 7, '0'),
               %s, 'active', now() at time zone 'utc'
          FROM generate_series(1, %s) AS n
        """,
        [uid, DUMMY_HASH, args.keys],
    )


def vacuum_analyze(cr):
    """As long-lived rows are: vacuumed, their statistics known."""
    for table in (*TABLES, "res_users_apikeys"):
        cr.execute(f"VACUUM (ANALYZE) {table}")


def counts(cr, cutoff, uid):
    """Rows of each table: all of them, and those older than ``cutoff``."""
    cr.execute(
        """
        SELECT (SELECT count(*) FROM mcp_audit_request),
               (SELECT count(*) FROM mcp_audit_request
                 WHERE request_date < %(cutoff)s),
               (SELECT count(*) FROM auditlog_log),
               (SELECT count(*) FROM auditlog_log
                 WHERE mcp_request_uid IS NOT NULL AND create_date < %(cutoff)s),
               (SELECT count(*) FROM auditlog_log_line),
               (SELECT count(*) FROM auditlog_log_line
                 WHERE create_date < %(cutoff)s),
               (SELECT count(*) FROM res_users_apikeys WHERE user_id = %(uid)s)
        """,
        {"cutoff": cutoff, "uid": uid},
    )
    row = cr.fetchone()
    return {
        "mcp_audit_request": row[0:2],
        "auditlog_log": row[2:4],
        "auditlog_log_line": row[4:6],
        "keys": row[6],
    }


def print_counts(label, found):
    print(
        f"{label}: "
        + "; ".join(
            f"{table} {found[table][0]:,} ({found[table][1]:,} expired)"
            for table in TABLES
        )
        + f"; keys of the user {found['keys']:,}"
    )


def print_sizes(cr):
    cr.execute(
        "SELECT relname, pg_size_pretty(pg_total_relation_size(oid)) "
        "FROM pg_class WHERE relname = ANY(%s) ORDER BY relname",
        [list(TABLES)],
    )
    sizes = ", ".join(f"{name} {size}" for name, size in cr.fetchall())
    print(f"sizes with indexes: {sizes}")


class Phase:
    """The phase the run is in, read by the writers and the monitor."""

    name = "warm-up"


def cpu_ticks():
    """(busy, total) CPU ticks of the machine since boot, or None."""
    try:
        with open("/proc/stat") as stat:
            ticks = [int(tick) for tick in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = ticks[3] + ticks[4]  # idle, iowait
    return sum(ticks) - idle, sum(ticks)


class Monitor(threading.Thread):
    """Samples the waits of the database's active backends, per phase."""

    def __init__(self, args, phase):
        super().__init__(daemon=True)
        self.connection = connect(args, args.db)
        self.db = args.db
        self.phase = phase
        self.stopped = threading.Event()
        self.samples = collections.Counter()
        self.waits = collections.defaultdict(collections.Counter)
        self.lock_samples = collections.Counter()
        self.longest_lock_wait = collections.defaultdict(float)
        self.lock_queries = collections.defaultdict(collections.Counter)
        self.cpu = collections.defaultdict(lambda: [0, 0])  # busy, total ticks
        self.last_ticks = cpu_ticks()

    def run(self):
        with self.connection.cursor() as cr:
            while not self.stopped.wait(SAMPLE_PERIOD):
                cr.execute(
                    """
                    SELECT wait_event_type, wait_event,
                           extract(epoch FROM now() - query_start),
                           left(regexp_replace(query, '\\s+', ' ', 'g'), 70)
                      FROM pg_stat_activity
                     WHERE datname = %s AND pid <> pg_backend_pid()
                       AND state = 'active' AND wait_event_type IS NOT NULL
                    """,
                    [self.db],
                )
                phase = self.phase.name
                self.samples[phase] += 1
                self.count_cpu(phase)
                locked = False
                for kind, event, running, query in cr.fetchall():
                    self.waits[phase][f"{kind}:{event}"] += 1
                    if kind == "Lock":
                        locked = True
                        self.lock_queries[phase][f"{event}: {query}"] += 1
                        self.longest_lock_wait[phase] = max(
                            self.longest_lock_wait[phase], float(running or 0)
                        )
                self.lock_samples[phase] += locked

    def count_cpu(self, phase):
        ticks = cpu_ticks()
        if ticks and self.last_ticks:
            self.cpu[phase][0] += ticks[0] - self.last_ticks[0]
            self.cpu[phase][1] += ticks[1] - self.last_ticks[1]
        self.last_ticks = ticks

    def stop(self):
        self.stopped.set()
        self.join(timeout=10)
        self.connection.close()


# Writers


class Writers:
    """--clients threads writing their partner until stopped; each call is
    counted in the phase it started in."""

    def __init__(self, url, key, phase, args):
        self.url = url
        self.key = key
        self.phase = phase
        self.args = args
        self.stopped = threading.Event()
        self.lock = threading.Lock()
        self.latencies = collections.defaultdict(list)
        self.errors = collections.defaultdict(list)
        self.calls = [0] * args.clients
        self.threads = [
            threading.Thread(target=self.write, args=(writer,), daemon=True)
            for writer in range(args.clients)
        ]

    def write(self, writer):
        with new_session() as session:
            while not self.stopped.is_set() and time.monotonic() < self.args.deadline:
                phase = self.phase.name
                before = time.perf_counter()
                try:
                    error = WRITE.call(
                        session, self.url, self.key, writer, self.args.request_timeout
                    )
                except (OSError, ValueError) as exc:  # requests' errors included
                    error = f"client: {type(exc).__name__}: {str(exc)[:200]}"
                latency = time.perf_counter() - before
                with self.lock:
                    self.latencies[phase].append(latency)
                    if error:
                        self.errors[phase].append(error)
                self.calls[writer] += 1

    def start(self):
        for thread in self.threads:
            thread.start()

    def warm_up(self, timeout=60):
        """Wait until every writer made --warmup calls."""
        deadline = time.monotonic() + timeout
        while min(self.calls) < self.args.warmup and time.monotonic() < deadline:
            time.sleep(0.1)

    def stop(self):
        self.stopped.set()
        for thread in self.threads:
            thread.join(timeout=self.args.request_timeout + 10)


def run_for(phase, name, seconds):
    phase.name = name
    time.sleep(seconds)


# Retention, as the autovacuum runs it


def load_registry(args):
    from odoo.modules.registry import Registry
    from odoo.tools import config

    options = [*db_options(args), f"--http-interface={HOST}", "--log-level=warn"]
    config.parse_config(options, setup_logging=True)
    return Registry(args.db)


def retention_days(registry):
    from odoo import SUPERUSER_ID, api

    with registry.cursor() as cr:
        return api.Environment(cr, SUPERUSER_ID, {})[
            "mcp.audit.request"
        ]._retention_days()


def delete_backlog(registry, timeout):
    """Call the retention and commit until nothing remains; return the
    (deleted, seconds) of each call and whether it ended by itself."""
    from odoo import SUPERUSER_ID, api

    chunks = []
    deadline = time.monotonic() + timeout
    with registry.cursor() as cr:
        model = api.Environment(cr, SUPERUSER_ID, {})["mcp.audit.request"]
        while time.monotonic() < deadline:
            started = time.perf_counter()
            deleted, remaining = model._gc_expired_requests()
            cr.commit()
            chunks.append((deleted, time.perf_counter() - started))
            if not remaining:
                return chunks, True
    return chunks, False


# Report


def phase_stats(writers, phase):
    latencies = writers.latencies.get(phase) or [0.0]
    return (
        len(writers.latencies.get(phase, [])),
        percentile(latencies, 0.5) * 1000,
        percentile(latencies, 0.95) * 1000,
        len(writers.errors.get(phase, [])),
    )


def print_phases(rows):
    header = (
        f"{'phase':<16} {'calls':>6} {'calls/s':>8} {'p50 ms':>7} "
        f"{'p95 ms':>7} {'failed':>6}"
    )
    print("\n" + header + "\n" + "-" * len(header))
    for name, seconds, (calls, p50, p95, failed) in rows:
        rate = calls / seconds if seconds else 0.0
        print(f"{name:<16} {calls:>6} {rate:>8.1f} {p50:>7.1f} {p95:>7.1f} {failed:>6}")


def print_errors(all_writers):
    samples = collections.Counter(
        error
        for writers in all_writers
        for errors in writers.errors.values()
        for error in errors
    )
    print(f"failed calls (non-2xx, errors): {sum(samples.values())}")
    for error, count in samples.most_common(5):
        print(f"  {count} x {error}")
    return sum(samples.values())


def print_waits(monitor, phases):
    print("backend waits sampled every 0.2 s (samples with a wait / samples):")
    for phase in phases:
        samples = monitor.samples.get(phase, 0)
        top = ", ".join(
            f"{event} {count}" for event, count in monitor.waits[phase].most_common(4)
        )
        busy, total = monitor.cpu[phase]
        print(
            f"  {phase}: {samples} samples; machine CPU busy "
            f"{busy / total if total else 0:.0%}; lock waits in "
            f"{monitor.lock_samples[phase]} (longest seen "
            f"{monitor.longest_lock_wait[phase]:.2f} s); {top or 'no waits'}"
        )
        for query, count in monitor.lock_queries[phase].most_common(3):
            print(f"    {count} x waiting on {query}")


def print_chunks(chunks, elapsed):
    times = [seconds for _deleted, seconds in chunks]
    ordered = sorted(times)
    print(
        f"deletion: {sum(d for d, _s in chunks):,} API calls in {len(chunks)} "
        f"calls of _gc_expired_requests, {elapsed:.1f} s; per call: first "
        f"{times[0]:.2f} s, median {ordered[len(ordered) // 2]:.2f} s, max "
        f"{ordered[-1]:.2f} s, last {times[-1]:.2f} s"
    )


# Main


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keys", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--phase", type=float, default=15, help="2 keys, seconds")
    parser.add_argument("--baseline", type=float, default=20, help="seconds")
    parser.add_argument("--warmup", type=int, default=5, help="calls per writer")
    add_server_arguments(parser)
    parser.add_argument("--prefix", default="mcp_retention_", help="database name")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--request-timeout", type=float, default=60)
    parser.add_argument("--init-timeout", type=float, default=900)
    parser.add_argument("--deletion-timeout", type=float, default=600)
    parser.add_argument("--max-minutes", type=float, default=30)
    args = parser.parse_args(argv)
    if min(args.rows, args.keys, args.clients, args.workers) < 1:
        parser.error("--rows, --keys, --clients and --workers must be positive")
    args.db = f"{args.prefix}db"
    return args


def prepare(args, workdir):
    """Create and seed the database, insert the backlog; return the seeding."""
    began = time.monotonic()
    init_database(args, workdir)
    seeded = seed_database(args, args.db, "addon", workdir)
    print(f"{ADDON} loaded from {seeded['module_path']}")
    print(f"database ready: {time.monotonic() - began:.0f}s", flush=True)
    began = time.monotonic()
    with database_cursor(args) as cr:
        insert_backlog(cr, args, seeded)
        print(f"backlog inserted: {time.monotonic() - began:.0f}s", flush=True)
        vacuum_analyze(cr)
        print_sizes(cr)
    return seeded


def start_server(args, workdir, name):
    """A server logging to a directory of its own."""
    directory = os.path.join(workdir, name)
    os.makedirs(directory)
    server = Server(args, directory)
    server.wait_until_up()
    return server


def stop_server(server, result):
    server.stop()
    result["servers"].append(
        (server.log_path, server.retried_transactions(), server.error_lines())
    )


def measure(args, workdir, seeded, registry, result):
    """Run the phases; add what they measured to ``result``."""
    key = Key(
        "scoped",
        args.db,
        seeded["keys"]["scoped"],
        seeded["uid"],
        seeded["partner_ids"],
        seeded["tag_ids"],
    )
    phase = Phase()
    result["monitor"] = monitor = Monitor(args, phase)
    monitor.start()
    try:
        server = start_server(args, workdir, "server-2-keys")
        writers = Writers(server.url, key, phase, args)
        result["writers"].append(writers)
        writers.start()
        writers.warm_up()
        run_for(phase, "2 keys", args.phase)
        phase.name = "stopping"
        writers.stop()
        stop_server(server, result)
        with database_cursor(args) as cr:
            insert_keys(cr, args, seeded["uid"])
            vacuum_analyze(cr)
            result["before"] = counts(cr, result["cutoff"], seeded["uid"])
        phase.name = "warm-up"
        server = start_server(args, workdir, "server-many-keys")
        writers = Writers(server.url, key, phase, args)
        result["writers"].append(writers)
        writers.start()
        writers.warm_up()
        run_for(phase, "baseline", args.baseline)
        phase.name = "deletion"
        started = time.perf_counter()
        result["chunks"], result["finished"] = delete_backlog(
            registry, args.deletion_timeout
        )
        result["elapsed"] = time.perf_counter() - started
        phase.name = "stopping"
        writers.stop()
        stop_server(server, result)
    finally:
        monitor.stop()


def print_servers(servers):
    for log_path, (retried, given_up), errors in servers:
        print(
            f"server {log_path}: transactions retried {retried}, given up "
            f"{given_up}; {len(errors)} error lines"
        )
        for line in errors[:5]:
            print(f"  {line[:200]}")


def report(args, result):
    few, many = result["writers"]
    base = phase_stats(many, "baseline")
    during = phase_stats(many, "deletion")
    print_phases(
        [
            ("2 keys", args.phase, phase_stats(few, "2 keys")),
            (f"{result['before']['keys']:,} keys", args.baseline, base),
            ("deletion", result["elapsed"], during),
        ]
    )
    print()
    print_counts("before", result["before"])
    print_counts("after", result["after"])
    print_chunks(result["chunks"], result["elapsed"])
    if not result["finished"]:
        print(f"deletion NOT finished in --deletion-timeout {args.deletion_timeout}s")
    failed = print_errors(result["writers"])
    print_waits(result["monitor"], ["2 keys", "baseline", "deletion"])
    print_servers(result["servers"])
    ratio = during[2] / base[2] if base[2] else float("inf")
    deleted = sum(d for d, _s in result["chunks"])
    print(
        f"targets: deletion < 60 s "
        f"{'met' if result['elapsed'] < 60 else 'MISSED'}; p95 during / baseline "
        f"<= 2 {'met' if ratio <= 2 else 'MISSED'} "
        f"(p50 {during[1] / base[1]:.2f}, p95 {ratio:.2f})"
    )
    print(
        f"retention: deleted {deleted} rows in {result['elapsed']:.1f} s; "
        f"writers p95 {ratio:.2f} of baseline"
    )
    return 1 if failed or not result["finished"] else 0


def main(argv=None):
    args = parse_args(argv)
    began = time.monotonic()
    args.deadline = began + args.max_minutes * 60
    workdir = tempfile.mkdtemp(prefix="mcp-retention-")
    print(f"logs in {workdir}", flush=True)
    registry = None
    try:
        drop_databases(args, [args.db])
        seeded = prepare(args, workdir)
        registry = load_registry(args)
        days = retention_days(registry)
        cutoff = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
        cutoff -= datetime.timedelta(days=days)
        print(f"retention: {days} days, calls before {cutoff:%Y-%m-%d %H:%M} expire")
        result = {"cutoff": cutoff, "writers": [], "servers": []}
        measure(args, workdir, seeded, registry, result)
        with database_cursor(args) as cr:
            result["after"] = counts(cr, cutoff, seeded["uid"])
        return report(args, result)
    finally:
        if registry is not None:
            from odoo.modules.registry import Registry

            Registry.delete(args.db)
        if not args.keep:
            drop_databases(args, [args.db])
        print(f"total runtime: {time.monotonic() - began:.0f}s")


if __name__ == "__main__":
    sys.exit(main())
