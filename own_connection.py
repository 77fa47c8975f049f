# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The addon's own connection to each database, one per server process.

Every API call reads its key's state and writes its audit row. Through a
cursor of Odoo's pool, each of these statements would be planned anew (the
pool resets connections between requests) and the row would wait for four
round trips (reset, begin, statement, commit). On a connection of its own the
addon prepares them once, and sends the row without waiting: the database
commits it on its own (autocommit), and the process confirms it once the
response is gone, or before it uses the connection again.

Rows are committed without waiting for the disk (`synchronous_commit` is off
on this connection, and for the rows written through the pool): this halves
the cost of the commit, and a crash of the database server may lose the last
rows sent, never a part of one.

One thread uses the connection at a time: a thread finding it busy, or lost,
is told so (`Unavailable`) and uses a cursor of the pool instead.
"""

import contextlib
import hashlib
import logging
import os
import re
import threading
import time

import psycopg2
import psycopg2.errorcodes
import psycopg2.extras

from odoo.modules import module as odoo_module
from odoo.sql_db import connection_info_for

_logger = logging.getLogger(__name__)

PLACEHOLDER = re.compile(r"%[s%]")
# as Odoo's pool does, a connection left unused this long is closed
IDLE_TIMEOUT = 600
# a process serving more databases uses the pool for the others
MAX_DATABASES = 4
UNHURRIED = "SET synchronous_commit TO OFF"


class Unavailable(Exception):
    """The connection is busy, or lost: use a cursor of the pool."""


class OwnConnection:
    """This process's own connection to the database ``dbname``."""

    def __init__(self, dbname):
        self.dbname = dbname
        self.lock = threading.Lock()
        self.connection = None
        self.cursor = None
        # what runs each statement prepared, by its code
        self.prepared = {}
        # the statement sent and not yet confirmed, and what to do if it failed
        self.in_flight = None
        self.last_used = time.monotonic()
        # closed for good, to make room: a thread still holding it must not
        # open it again, out of the process's count
        self.retired = False

    def fetchone(self, statement):
        """Run the query ``statement`` (an `odoo.tools.SQL`); return its first
        row."""
        with self._using():
            self._execute(statement)
            psycopg2.extras.wait_select(self.connection)
            return self.cursor.fetchone()

    def send(self, statement, on_failure):
        """Send ``statement``, to be committed without waiting for it; should
        it fail, ``on_failure`` is called with the error, and whether the
        connection was lost with it, once the failure is known."""
        with self._using():
            self._execute(statement)
            self.in_flight = on_failure

    def collect(self):
        """Confirm the statement in flight, if any."""
        with self.lock:
            self._collect()

    def collect_and_close(self):
        """Confirm the statement in flight, then close; the caller holds the
        lock."""
        self._collect()
        self.close()

    def close(self):
        if self.connection is not None and not self.connection.closed:
            self.connection.close()
        self.connection = self.cursor = None
        self.prepared = {}

    @contextlib.contextmanager
    def _using(self):
        if not self.lock.acquire(blocking=False):
            raise Unavailable()
        if self.retired:
            self.lock.release()
            raise Unavailable()
        self.last_used = time.monotonic()
        try:
            yield
        except psycopg2.Error as error:
            if (
                self.connection is not None
                and not self.connection.closed
                and error.pgcode != psycopg2.errorcodes.INVALID_SQL_STATEMENT_NAME
            ):
                raise
            self._lost(error)
            raise Unavailable() from error
        finally:
            self.lock.release()

    def _execute(self, statement):
        self._collect()
        if self.connection is None:
            self._connect()
        code, params = statement.code, statement.params
        execute = self.prepared.get(code)
        if execute is None:
            execute = self._prepare(code, len(params))
        self.cursor.execute(execute, params)

    def _prepare(self, code, param_count):
        name = "pan_mcp_" + hashlib.sha256(code.encode()).hexdigest()[:16]
        numbers = iter(range(1, param_count + 1))
        body = PLACEHOLDER.sub(
            lambda found: "%" if found[0] == "%%" else f"${next(numbers)}", code
        )
        self.cursor.execute(f"PREPARE {name} AS {body}")
        psycopg2.extras.wait_select(self.connection)
        arguments = f" ({', '.join(['%s'] * param_count)})" if param_count else ""
        self.prepared[code] = execute = f"EXECUTE {name}{arguments}"
        return execute

    def _collect(self):
        if self.in_flight is None:
            return
        on_failure, self.in_flight = self.in_flight, None
        try:
            psycopg2.extras.wait_select(self.connection)
        except psycopg2.Error as error:
            lost = bool(self.connection.closed)
            if lost:
                self._lost(error)
            on_failure(error, lost)

    def _connect(self):
        _dsn, connection_info = connection_info_for(self.dbname)
        self.connection = psycopg2.connect(**connection_info, async_=True)
        psycopg2.extras.wait_select(self.connection)
        self.cursor = self.connection.cursor()
        self.cursor.execute(UNHURRIED)
        psycopg2.extras.wait_select(self.connection)

    def _lost(self, error):
        # e.g. the server restarted, or the database was dropped
        _logger.info(
            "Connection to %s lost: %s", self.dbname, str(error).split("\n", 1)[0]
        )
        self.close()


_connections = {}
_connections_lock = threading.Lock()
# the connections of a parent process: never used nor closed by its children,
# whose copies of them are the parent's
_inherited = []


def for_database(dbname):
    """Return this process's own connection to ``dbname``, closing those to
    databases it no longer serves; raise `Unavailable` if it already has its
    fill of connections in use."""
    connection = _connections.get(dbname)
    idle_since = time.monotonic() - IDLE_TIMEOUT
    by_use = sorted(_connections.items(), key=lambda item: item[1].last_used)
    for name, other in by_use:
        if other is connection:
            continue
        full = connection is None and len(_connections) >= MAX_DATABASES
        if (full or other.last_used < idle_since) and other.lock.acquire(
            blocking=False
        ):
            try:
                other.collect_and_close()
                other.retired = True
                _connections.pop(name, None)
            finally:
                other.lock.release()
    if connection is None:
        with _connections_lock:
            if len(_connections) >= MAX_DATABASES:
                raise Unavailable()
            connection = _connections.setdefault(dbname, OwnConnection(dbname))
    return connection


def fetchone(cr, statement):
    """Return the first row of the query ``statement``, read on this
    process's own connection to the database of ``cr``; with ``cr`` if that
    connection is busy or lost, or while a test runs (a test's data is only
    visible in its own transaction)."""
    if not odoo_module.current_test:
        with contextlib.suppress(Unavailable):
            return for_database(cr.dbname).fetchone(statement)
    cr.execute(statement)
    return cr.fetchone()


def collect_all():
    """Confirm the statements this process sent, if not yet confirmed."""
    for connection in list(_connections.values()):
        if connection.in_flight is not None:
            connection.collect()


def _forget_parent_connections():
    _inherited.extend(_connections.values())
    _connections.clear()


os.register_at_fork(after_in_child=_forget_parent_connections)
