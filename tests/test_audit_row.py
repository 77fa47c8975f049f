# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import contextlib
import time
import uuid

import psycopg2

from odoo.exceptions import AccessDenied
from odoo.sql_db import connection_info_for
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL, mute_logger

from .. import audit, narrowing, own_connection


def json2_call(user_id, key_id, **values):
    """Return the audited call of a /json/2 call made with the key
    ``key_id``, if any."""
    call = audit.AuditedCall(
        request_uid=uuid.uuid4().hex,
        started=time.perf_counter(),
        route_kind="json2",
        http_method="POST",
        path="/json/2/res.partner/search_count",
        remote_address="127.0.0.1",
        user_agent="row tests",
        session_hash=None,
        user_id=user_id,
        key_id=key_id,
        key_name=key_id and "row key",
        request_stamp=audit._request_stamp(),
    )
    for name, value in values.items():
        setattr(call, name, value)
    return call


@tagged("post_install", "-at_install")
class TestAuditRow(TransactionCase):
    """What the audit row of a call keeps, whatever the call was made of."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.owner = cls.env.ref("base.user_admin")
        apikeys = cls.env["res.users.apikeys"].with_user(cls.owner).sudo()
        cls.key = apikeys.browse(
            apikeys._find_key_id(apikeys._generate(None, "row key", None))
        )

    def finish_call(self, **values):
        """Write the row of a /json/2 call made with the key, as a request
        does once answered; return the request id given and the row."""
        call = json2_call(self.owner.id, self.key.id, **values)
        audit.resume(call)
        with self.enter_registry_test_mode():
            request_uid = audit.finish(self.env.cr.dbname, 200)
        row = self.env["mcp.audit.request"].search(
            [("request_uid", "=", call.request_uid)]
        )
        return request_uid, row

    def test_nul_characters_are_dropped_not_the_row(self):
        request_uid, row = self.finish_call(
            path="/json/2/res.partner\x00/search_count",
            model_name="res.partner\x00",
            method_name="search\x00_count",
            user_agent="agent\x00 007",
        )
        self.assertEqual(request_uid, row.request_uid)
        self.assertEqual(
            (row.path, row.model_name, row.method_name, row.user_agent),
            (
                "/json/2/res.partner/search_count",
                "res.partner",
                "search_count",
                "agent 007",
            ),
        )

    def test_a_key_deleted_during_its_call_keeps_the_row(self):
        key_id = self.key.id
        self.key.sudo().unlink()
        request_uid, row = self.finish_call()
        self.assertEqual(request_uid, row.request_uid)
        self.assertEqual((row.key_id.id, row.key_ref), (False, key_id))
        self.assertEqual(row.key_name, "row key")

    def test_the_row_goes_to_the_database_that_checked_the_key(self):
        """/jsonrpc and /xmlrpc routed to one database may name another in
        their body: the key is checked, and the call served, in the database
        named, for object calls as for logins."""
        apikeys = self.env["res.users.apikeys"].with_user(self.owner).sudo()
        secret = apikeys._generate(None, "named database key", None)
        key = apikeys.browse(apikeys._find_key_id(secret))
        # the grant the checks activate must not outlive the test
        self.addCleanup(narrowing.deactivate)
        credential = {"login": self.owner.login, "password": secret, "type": "password"}
        checks = {
            "object": lambda: self.env["res.users"]._check_uid_passwd(
                self.owner.id, secret
            ),
            "login": lambda: self.env["res.users"].authenticate(
                credential, {"interactive": False}
            ),
        }
        for service, check in checks.items():
            with self.subTest(service=service):
                call = json2_call(None, None, route_kind="jsonrpc", path="/jsonrpc")
                audit.resume(call)
                check()
                with self.enter_registry_test_mode():
                    request_uid = audit.finish("pan_mcp_routed_database", 200)
                self.assertEqual(request_uid, call.request_uid)
                row = self.env["mcp.audit.request"].search(
                    [("request_uid", "=", request_uid)]
                )
                self.assertEqual((row.key_id, row.key_accepted), (key, True))

    def test_a_login_with_another_users_key_is_refused_and_not_counted(self):
        other = self.env["res.users"].create(
            {"name": "Other", "login": "pan_mcp_other_login"}
        )
        apikeys = self.env["res.users.apikeys"].with_user(self.owner).sudo()
        secret = apikeys._generate(None, "owner key", None)
        key = apikeys.browse(apikeys._find_key_id(secret))
        self.addCleanup(narrowing.deactivate)
        call = json2_call(None, None, route_kind="xmlrpc", path="/xmlrpc/2/common")
        audit.resume(call)
        credential = {"login": other.login, "password": secret, "type": "password"}
        with self.assertRaises(AccessDenied), mute_logger("odoo.addons"):
            self.env["res.users"].authenticate(credential, {"interactive": False})
        with self.enter_registry_test_mode():
            request_uid = audit.finish(self.env.cr.dbname, 200)
        row = self.env["mcp.audit.request"].search([("request_uid", "=", request_uid)])
        self.assertEqual((row.key_id, row.key_accepted), (key, False))
        self.assertEqual(row.error_message, f"not a key of user #{other.id}")
        self.assertEqual(key.call_count, 0)

    def test_the_call_is_counted(self):
        self.assertEqual(self.key.call_count, 0)
        self.finish_call()
        self.finish_call()
        self.key.invalidate_recordset()
        self.assertEqual(self.key.call_count, 2)
        self.assertTrue(self.key.last_used)


@tagged("post_install", "-at_install")
class TestDatabaseErrors(TransactionCase):
    """Which database errors are the client's mistake."""

    def connect(self, dbname=None):
        _dsn, info = connection_info_for(dbname or self.env.cr.dbname)
        connection = psycopg2.connect(**info)
        self.addCleanup(connection.close)
        return connection

    def test_an_unknown_database_is_refused_as_a_login(self):
        with self.assertRaises(psycopg2.OperationalError) as caught:
            self.connect("pan_mcp_no_such_database")
        self.assertIsInstance(audit.as_client_error(caught.exception), AccessDenied)

    def test_a_serialization_failure_is_no_client_mistake(self):
        first, second = self.connect(), self.connect()
        for connection in (first, second):
            connection.set_isolation_level(
                psycopg2.extensions.ISOLATION_LEVEL_REPEATABLE_READ
            )
        table = f"pan_mcp_serialization_{uuid.uuid4().hex[:8]}"
        with first.cursor() as cursor:
            cursor.execute(f"CREATE TABLE {table} (value int)")
            cursor.execute(f"INSERT INTO {table} VALUES (1)")
        first.commit()
        self.addCleanup(self.drop_table, table)
        with first.cursor() as one, second.cursor() as other:
            one.execute(f"SELECT value FROM {table}")
            other.execute(f"SELECT value FROM {table}")
            one.execute(f"UPDATE {table} SET value = 2")
            first.commit()
            with self.assertRaises(psycopg2.OperationalError) as caught:
                other.execute(f"UPDATE {table} SET value = 3")
        second.rollback()
        self.assertEqual(caught.exception.pgcode, "40001")
        self.assertIsNone(audit.as_client_error(caught.exception))

    def drop_table(self, table):
        connection = self.connect()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        connection.commit()


@tagged("post_install", "-at_install")
class TestOwnConnection(TransactionCase):
    """The connection of its own on which a server process reads key states
    and sends audit rows: statements prepared once, rows committed without
    waiting and confirmed later, the pool used instead when it is busy or
    lost."""

    def setUp(self):
        super().setUp()
        dbname = self.env.cr.dbname
        self.connection = own_connection.OwnConnection(dbname)
        self.addCleanup(self.connection.close)
        self.monitor = psycopg2.connect(**connection_info_for(dbname)[1])
        self.monitor.autocommit = True
        self.addCleanup(self.monitor.close)
        self.request_uids = []
        self.addCleanup(
            self.monitor_sql,
            "DELETE FROM mcp_audit_request WHERE request_uid = ANY(%s)",
            self.request_uids,
        )
        self.owner = self.env.ref("base.user_admin")
        self.failures = []

    def monitor_sql(self, query, *params):
        with self.monitor.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.fetchall() if cursor.description else None

    def new_row(self):
        # no key: the connection would not see one this test made
        call = json2_call(self.owner.id, None)
        self.request_uids.append(call.request_uid)
        return self.registry["mcp.audit.request"]._row_query(call, 200, None)

    def send_row(self, row=None):
        self.connection.send(
            row or self.new_row(),
            lambda error, lost: self.failures.append((type(error), lost)),
        )

    def committed_rows(self):
        rows = self.monitor_sql(
            "SELECT request_uid FROM mcp_audit_request WHERE request_uid = ANY(%s)",
            self.request_uids,
        )
        return {request_uid for (request_uid,) in rows}

    def terminate_backend(self):
        backend = self.connection.connection.get_backend_pid()
        self.monitor_sql("SELECT pg_terminate_backend(%s)", backend)
        self.assertTrue(self.backend_gone(backend))
        return backend

    def backend_gone(self, backend):
        for _wait in range(100):
            if not self.monitor_sql(
                "SELECT 1 FROM pg_stat_activity WHERE pid = %s", backend
            ):
                return True
            time.sleep(0.05)
        return False

    def test_a_row_is_committed_without_the_pool(self):
        self.send_row()
        self.connection.collect()
        self.assertEqual(self.committed_rows(), set(self.request_uids))
        self.assertEqual(self.failures, [])

    def test_rows_are_committed_without_waiting_for_the_disk(self):
        synchronous_commit = SQL("SELECT current_setting('synchronous_commit')")
        self.assertEqual(self.connection.fetchone(synchronous_commit), ("off",))
        # while the transaction of the call, through the pool, waits
        self.assertEqual(
            own_connection.fetchone(self.env.cr, synchronous_commit), ("on",)
        )

    def test_a_row_is_confirmed_before_the_connection_is_used_again(self):
        self.send_row()
        self.assertIsNotNone(self.connection.in_flight)
        self.send_row()
        self.connection.collect()
        self.assertIsNone(self.connection.in_flight)
        self.assertEqual(self.committed_rows(), set(self.request_uids))

    def test_statements_are_prepared_once(self):
        state = SQL(
            "SELECT state FROM res_users_apikeys WHERE user_id = %s LIMIT 1",
            self.owner.id,
        )
        for _call in range(3):
            self.connection.fetchone(state)
            self.send_row()
        count = SQL("SELECT count(*) FROM pg_prepared_statements")
        self.assertEqual(self.connection.fetchone(count), (3,))

    def test_the_state_read_is_the_committed_one(self):
        state = SQL("SELECT value FROM ir_config_parameter WHERE key = %s", "x.y")
        self.env["ir.config_parameter"].set_param("x.y", "uncommitted")
        self.assertIsNone(self.connection.fetchone(state))
        self.assertEqual(own_connection.fetchone(self.env.cr, state), ("uncommitted",))

    def test_a_lost_connection_is_replaced(self):
        self.send_row()
        self.connection.collect()
        backend = self.terminate_backend()
        try:
            # lost on sending, or on confirming
            self.send_row()
            self.connection.collect()
        except own_connection.Unavailable:
            self.failures.append("unavailable")
        self.assertIn(
            self.failures, [["unavailable"], [(psycopg2.OperationalError, True)]]
        )
        self.send_row()
        self.connection.collect()
        self.assertNotEqual(self.connection.connection.get_backend_pid(), backend)
        first, _lost, last = self.request_uids
        self.assertEqual(self.committed_rows(), {first, last})

    def test_a_row_refused_in_flight_is_written_through_the_pool(self):
        connection = self.locked_out_connection()
        audit._send(self.env.cr.dbname, self.new_row(), self.request_uids[-1])
        connection.collect()  # first row: prepared and written
        with (
            self.table_locked(),
            self.enter_registry_test_mode(),
            mute_logger(audit.__name__),
        ):
            audit._send(self.env.cr.dbname, self.new_row(), self.request_uids[-1])
            self.assertIsNotNone(connection.in_flight)
            connection.collect()
            self.assertEqual(self.rows_in_test(), 1, "the pool wrote the row")

    def test_a_row_refused_at_once_is_written_through_the_pool(self):
        connection = self.locked_out_connection()
        with self.table_locked(), self.enter_registry_test_mode():
            # the connection prepares its first row: the lock stops it
            audit._send(self.env.cr.dbname, self.new_row(), self.request_uids[-1])
            self.assertIsNone(connection.in_flight)
            self.assertEqual(self.rows_in_test(), 1, "the pool wrote the row")

    def locked_out_connection(self):
        """Return this process's own connection, waiting 0.1 s at most for
        the locks this test takes."""
        connection = own_connection.for_database(self.env.cr.dbname)
        self.addCleanup(connection.close)
        connection.fetchone(SQL("SELECT set_config('lock_timeout', '100ms', false)"))
        return connection

    @contextlib.contextmanager
    def table_locked(self):
        """Lock the audit rows' table in the test's transaction, within a
        savepoint whose rollback releases the lock (and what was written)."""
        self.env.cr.execute("SAVEPOINT table_locked")
        try:
            self.env.cr.execute("LOCK TABLE mcp_audit_request IN SHARE MODE")
            yield
        finally:
            self.env.cr.execute("ROLLBACK TO SAVEPOINT table_locked")

    def rows_in_test(self):
        """The rows of the last call, as the test's transaction sees them."""
        return self.env["mcp.audit.request"].search_count(
            [("request_uid", "=", self.request_uids[-1])]
        )

    def test_a_connection_left_unused_is_closed(self):
        self.connection.fetchone(SQL("SELECT 1"))
        backend = self.connection.connection.get_backend_pid()
        own_connection._connections["pan_mcp_idle"] = self.connection
        self.addCleanup(own_connection._connections.pop, "pan_mcp_idle", None)
        self.addCleanup(own_connection.for_database(self.env.cr.dbname).close)

        own_connection.for_database(self.env.cr.dbname)
        self.assertIsNotNone(self.connection.connection, "closed while in use")
        self.connection.last_used -= own_connection.IDLE_TIMEOUT + 1
        own_connection.for_database(self.env.cr.dbname)
        self.assertIsNone(self.connection.connection)
        self.assertTrue(self.backend_gone(backend))

    def test_a_process_keeps_few_connections(self):
        """Serving many databases, a process keeps connections of its own to
        those it served last, and uses the pool for the others."""
        dbname = self.env.cr.dbname
        self.patch(own_connection, "_connections", {})
        others = [
            own_connection.for_database(f"pan_mcp_other_{index}")
            for index in range(own_connection.MAX_DATABASES)
        ]
        for other in others:
            other.lock.acquire()
            self.addCleanup(other.lock.release)
        with self.assertRaises(own_connection.Unavailable):
            own_connection.for_database(dbname)
        self.assertEqual(own_connection.fetchone(self.env.cr, SQL("SELECT 1")), (1,))

        others[0].lock.release()
        self.addCleanup(others[0].lock.acquire)
        connection = own_connection.for_database(dbname)
        self.addCleanup(connection.close)
        self.assertEqual(
            set(own_connection._connections.values()), {connection, *others[1:]}
        )

    def test_a_connection_closed_to_make_room_stays_closed(self):
        """A thread may still hold a connection another thread closed to make
        room for a new database: it must not open it again."""
        self.patch(own_connection, "_connections", {})
        held = own_connection.for_database(self.env.cr.dbname)
        self.addCleanup(held.close)
        for index in range(own_connection.MAX_DATABASES):
            own_connection.for_database(f"pan_mcp_other_{index}")
        self.assertNotIn(held, own_connection._connections.values())
        with self.assertRaises(own_connection.Unavailable):
            held.fetchone(SQL("SELECT 1"))
        self.assertIsNone(held.connection)

    def test_a_busy_connection_is_unavailable(self):
        with self.connection.lock, self.assertRaises(own_connection.Unavailable):
            self.send_row()
        self.assertEqual(self.committed_rows(), set())

    def test_a_row_written_twice_is_kept_once(self):
        row = self.new_row()
        for _time in range(2):
            self.send_row(row)
            self.connection.collect()
        self.assertEqual(
            self.monitor_sql(
                "SELECT count(*) FROM mcp_audit_request WHERE request_uid = %s",
                self.request_uids[0],
            ),
            [(1,)],
        )

    def test_a_row_lost_in_flight_is_written_through_the_pool(self):
        dbname = self.env.cr.dbname
        connection = own_connection.for_database(dbname)
        self.addCleanup(connection.close)
        self.connection = connection
        audit._send(dbname, self.new_row(), self.request_uids[-1])
        connection.collect()
        # the next row waits for a lock while its connection is lost
        locker = psycopg2.connect(**connection_info_for(dbname)[1])
        self.addCleanup(locker.close)
        with locker.cursor() as cursor:
            cursor.execute("LOCK TABLE mcp_audit_request IN SHARE MODE")
        audit._send(dbname, self.new_row(), self.request_uids[-1])
        self.terminate_backend()
        locker.rollback()

        with self.enter_registry_test_mode():
            connection.collect()
        self.assertEqual(
            self.env["mcp.audit.request"].search_count(
                [("request_uid", "=", self.request_uids[-1])]
            ),
            1,
            "the pool wrote the row lost in flight",
        )
