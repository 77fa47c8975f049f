# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The audit record of the API call being served.

Like the key grant (see `narrowing`), it lives in a context variable: the RPC
routes serve their calls with `odoo.http.request` set to None, and what the
call changes must still be linked to it. It is opened when the request is
authenticated and written once, on a cursor of its own, when the response is
known, so that it survives the rollback of the call it describes.
"""

import contextvars
import dataclasses
import hashlib
import itertools
import logging
import re
import threading
import time
import uuid
from xml.parsers.expat import ExpatError

import psycopg2
from psycopg2.extensions import ISOLATION_LEVEL_READ_COMMITTED

from odoo.exceptions import (
    AccessDenied,
    AccessError,
    MissingError,
    UserError,
    ValidationError,
)
from odoo.modules import module as odoo_module
from odoo.modules.registry import Registry
from odoo.sql_db import Cursor
from odoo.tools import SQL

from . import own_connection

_logger = logging.getLogger(__name__)

# routes that only ever serve API clients: each of their calls is audited
BEARER_ROUTE_KINDS = ("json2", "json1")
# routes of API clients, whose error answers never carry a traceback
API_ROUTE_KINDS = ("json2", "json1", "jsonrpc", "xmlrpc")
# what core raises, as a server error, on calls of the wrong shape
CLIENT_MISTAKES = (
    AttributeError,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    RecursionError,
    psycopg2.DataError,
    ExpatError,
)
# what a key looks like, wherever a client may have put it by mistake: a run
# of 40 hexadecimal digits or more (a key may follow other digits)
KEY_LIKE = re.compile(r"[0-9a-fA-F]{40,}")
# the sizes at which the audit row cuts what clients send
PATH_SIZE = 512
METHOD_SIZE = 64
HTTP_METHOD_SIZE = 16
ADDRESS_SIZE = 64
ERROR_MESSAGE_SIZE = 256
USER_AGENT_SIZE = 256


@dataclasses.dataclass
class AuditedCall:
    """What is known of one inbound call, gathered while it is served."""

    request_uid: str
    started: float
    route_kind: str
    http_method: str
    path: str
    remote_address: str | None
    user_agent: str | None
    session_hash: str | None
    model_name: str | None = None
    method_name: str | None = None
    key_id: int | None = None
    key_name: str | None = None
    role_id: int | None = None
    user_id: int | None = None
    refusal: str | None = None
    # the database whose credentials the call was checked against, when an
    # RPC call names another one than the database it was routed to
    dbname: str | None = None
    touched_audited_records: bool = False
    written: bool = False
    # core stamps each request's thread with its start: a call opened by an
    # earlier request of the same thread, never finished, is not this one's
    request_stamp: float | None = None

    @property
    def uses_api_key(self):
        return bool(self.key_id or self.refusal)

    @property
    def duration_ms(self):
        return (time.perf_counter() - self.started) * 1000


_current_call = contextvars.ContextVar("pan_mcp_pro_governance_call", default=None)


def begin(httprequest, session_id=None):
    """Open the audit record of the request ``httprequest``."""
    call = AuditedCall(
        request_uid=uuid.uuid4().hex,
        started=time.perf_counter(),
        route_kind=route_kind(httprequest.path),
        # as sent (`mcp.audit.request._row_query` redacts and cuts them);
        # `httprequest.user_agent` would parse the header
        http_method=httprequest.method,
        path=httprequest.path,
        remote_address=httprequest.remote_addr,
        user_agent=httprequest.headers.get("User-Agent"),
        session_hash=session_id and session_hash(session_id),
        request_stamp=_request_stamp(),
    )
    _current_call.set(call)
    return call


def session_hash(session_id):
    """What is kept of a session id: a bearer credential, never stored."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def resume(call):
    """Make ``call`` current again, e.g. when a request is retried."""
    _current_call.set(call)


def _request_stamp():
    return getattr(threading.current_thread(), "perf_t0", None)


def current_call():
    """Return the audit record of the call being served, if still open."""
    call = _current_call.get()
    if call is None or call.written or call.request_stamp != _request_stamp():
        return None
    return call


def route_kind(path):
    if path.startswith("/json/2/"):
        return "json2"
    if path.startswith("/json/1/"):
        return "json1"
    if path.rstrip("/") == "/jsonrpc":
        # (core's routes match with or without a trailing slash)
        return "jsonrpc"
    if path.startswith("/xmlrpc/"):
        return "xmlrpc"
    return "other"


def note_rpc(service, method, params):
    """Record the model and method an RPC call targets."""
    call = current_call()
    if call is None:
        return
    if service == "object" and method in ("execute", "execute_kw"):
        # as core unpacks them: from any iterable, an object's keys included
        try:
            first = list(itertools.islice(params, 5))
        except TypeError:
            first = []
        model, model_method = (first[3:5] + [None, None])[:2]
        call.model_name = model if isinstance(model, str) else None
        call.method_name = model_method if isinstance(model_method, str) else None
    else:
        call.method_name = f"{service}.{method}"


def note_target(model_name, method_name):
    call = current_call()
    if call is not None:
        call.model_name = model_name
        call.method_name = method_name


def note_grant(grant):
    """Record the key that authenticated the call."""
    call = current_call()
    if call is not None:
        call.key_id = grant.key_id
        call.key_name = grant.key_name
        call.role_id = grant.role_id
        call.user_id = grant.user_id
        call.refusal = None


def note_database(dbname):
    """Record the database the call's credentials are checked against."""
    call = current_call()
    if call is not None:
        call.dbname = dbname


def note_user(user_id):
    """Record the user a password authenticated."""
    call = current_call()
    if call is not None:
        call.user_id = user_id


def note_refusal(key_id, reason):
    """Record that the call's key was refused, and why."""
    call = current_call()
    if call is not None:
        call.key_id = key_id
        call.refusal = reason


def note_audited_change():
    """Record that the call changed records that OCA auditlog audits."""
    call = current_call()
    if call is not None:
        call.touched_audited_records = True
    return call


def status_of_exception(exception):
    """Return the HTTP status an RPC fault stands for."""
    for exception_class, status in (
        (AccessDenied, 401),
        (AccessError, 403),
        (MissingError, 404),
        (ValidationError, 422),
        (UserError, 422),
    ):
        if isinstance(exception, exception_class):
            return status
    return getattr(exception, "code", None) or 500


def as_client_error(exception):
    """Return the error a client should get for ``exception`` when it stands
    for a malformed call (a value of the wrong type or shape, an unknown
    field or keyword, a body nested too deeply), which core answers as a
    server error; None for any other exception."""
    if isinstance(exception, CLIENT_MISTAKES):
        # core's own words name the Python value at fault, not the call's
        return ValidationError(f"Malformed call: {error_message(exception)}")
    if isinstance(exception, psycopg2.OperationalError) and not exception.pgcode:
        # a connection refused, e.g. to a database that does not exist, named
        # by an RPC client: its message tells the database server's address.
        # (A lock timeout or a serialization failure has a code: it is no
        # client's mistake.)
        return AccessDenied()
    return None


def error_message(exception):
    """A short description of ``exception``, for the audit row."""
    if isinstance(exception, AccessDenied):
        # never tell more than core tells the client
        return "Access Denied"
    text = exception.args[0] if exception.args else type(exception).__name__
    return clip(str(text).strip().split("\n", 1)[0], ERROR_MESSAGE_SIZE) or ""


def clip(text, size):
    """What the audit keeps of ``text``, sent by a client: redacted, then cut
    to ``size`` characters (in this order: a key cut short would no longer
    look like one); None for no text."""
    return (redact(text)[:size] or None) if text else None


def redact(text):
    """``text`` without anything shaped like an API key, nor the NUL
    characters that PostgreSQL refuses to store (removed first: they must not
    hide a key that they split)."""
    return KEY_LIKE.sub("[redacted]", text.replace("\x00", "")) if text else text


def finish(dbname, status, user_id=None, exception=None):
    """Write the row of the current call, once, if it is to be audited.

    The row goes to the database ``dbname`` the request was routed to, or to
    the one an RPC call named instead: where its credentials were checked,
    and its changes made. It is committed in a transaction of its own, on the
    primary database even when the call was served on a read-only replica;
    the request's
    transaction must be over, or hold no lock. A server process sends it on
    a connection of its own without waiting: `collect` then confirms it,
    best once the response is sent. Returns the call's request id when a row
    is written.
    """
    call = current_call()
    if call is None:
        return None
    call.written = True
    if not (
        call.uses_api_key
        or call.touched_audited_records
        or call.route_kind in BEARER_ROUTE_KINDS
    ):
        return None
    if call.user_id is None:
        call.user_id = user_id
    dbname = call.dbname or dbname
    message = call.refusal or (
        error_message(exception) if exception is not None else None
    )
    row = Registry(dbname)["mcp.audit.request"]._row_query(call, status, message)
    try:
        # (a test's rows belong in the test's transaction, hence its cursor)
        if odoo_module.current_test:
            _write_with_pool(dbname, row)
        else:
            _send(dbname, row, call.request_uid)
    except Exception:
        # The audit must never turn a served call into a failed one.
        _logger.exception("Could not write the audit row of %s", call.request_uid)
        return None
    return call.request_uid


def collect():
    """Confirm the rows this process sent, if not yet confirmed."""
    own_connection.collect_all()


def _send(dbname, row, request_uid):
    """Send ``row`` on this process's own connection, or write it with a
    cursor of the pool if that connection is busy or lost, or refuses the
    row at once."""

    def write_again(error, lost):
        # a client may hold the call's request id: the row is written again
        # (a row written already is not written twice)
        if not (lost or isinstance(error, psycopg2.errors.ForeignKeyViolation)):
            _logger.warning(
                "Audit row of %s refused, written again: %s",
                request_uid,
                error_message(error),
            )
        try:
            _write_with_pool(dbname, row)
        except Exception:
            _logger.exception("Could not write the audit row of %s", request_uid)

    try:
        own_connection.for_database(dbname).send(row, write_again)
    except (own_connection.Unavailable, psycopg2.Error):
        _write_with_pool(dbname, row)


def _write_with_pool(dbname, row):
    """Write ``row`` with a cursor from Odoo's pool."""
    with Registry(dbname).cursor() as cr:
        # (test cursors share the test's transaction: they keep its pace)
        if isinstance(cr, Cursor):
            cr.connection.set_isolation_level(ISOLATION_LEVEL_READ_COMMITTED)
            row = SQL("SET LOCAL synchronous_commit TO OFF; %s", row)
        try:
            cr.execute(row)
        except psycopg2.errors.ForeignKeyViolation:
            # A user, key or role deleted while the row was written: written
            # again, the row no longer refers to it (and keeps its snapshots).
            cr.rollback()
            cr.execute(row)
