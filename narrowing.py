# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The grant of the API key that authenticated the current request.

The grant lives in a context variable rather than on the environment, the cursor
or the HTTP request: contexts are replaced by the RPC layers and forgeable by
clients, `odoo.http.request` is None inside `/jsonrpc` and `/xmlrpc` dispatch,
and secondary cursors (`/json/1` server actions) would lose a cursor-bound mark.
A context variable follows the thread (or greenlet) that serves the request,
through `sudo()`, `with_user()`, new cursors, commits and retries.

Every authentication resets it, so a grant left by a previous request served
by the same thread can only ever narrow, never widen, until the next one.
"""

import contextlib
import contextvars
from typing import NamedTuple


class KeyGrant(NamedTuple):
    """What an authenticated API key allows during one request."""

    dbname: str
    user_id: int
    key_id: int
    key_name: str
    role_id: int | None
    # the effective groups, closed under implication; None keeps the owner's
    group_ids: tuple[int, ...] | None


_current_grant = contextvars.ContextVar("pan_mcp_pro_governance_grant", default=None)


def current_grant():
    """Return the grant of the key serving this request, or None."""
    return _current_grant.get()


def activate(env, grant):
    """Make ``grant`` the grant of the current request."""
    _forget_group_cache(env, _current_grant.get())
    _current_grant.set(grant)
    _forget_group_cache(env, grant)


def deactivate(env=None):
    """Forget any grant: the request runs with its user's own rights."""
    _forget_group_cache(env, _current_grant.get())
    _current_grant.set(None)


def narrowed_group_ids(env, user_id):
    """Return the narrowed group ids of ``user_id`` in ``env``'s database.

    None means the user keeps its own groups: no key grant applies to it.
    """
    grant = _current_grant.get()
    if (
        grant is None
        or grant.group_ids is None
        or grant.user_id != user_id
        or grant.dbname != env.cr.dbname
    ):
        return None
    return grant.group_ids


def narrowed_grant(env):
    """Return the grant narrowing ``env``'s user, or None."""
    if narrowed_group_ids(env, env.uid) is None:
        return None
    return _current_grant.get()


@contextlib.contextmanager
def owner_rights(env):
    """Temporarily compute with the owner's full groups, e.g. to intersect
    the role's record rules with the owner's."""
    grant = _current_grant.get()
    token = _current_grant.set(None)
    _forget_group_cache(env, grant)
    try:
        yield
    finally:
        _current_grant.reset(token)
        _forget_group_cache(env, grant)


def _forget_group_cache(env, grant):
    # `all_group_ids` is cached per transaction for every environment, whatever
    # its context or superuser flag: when the grant changes, the cached value of
    # the user it narrows must be recomputed. (A computed field stored nowhere:
    # there is nothing to flush.)
    if (
        env is None
        or grant is None
        or grant.group_ids is None
        or grant.dbname != env.cr.dbname
    ):
        return
    env["res.users"].browse(grant.user_id).invalidate_recordset(
        ["all_group_ids"], flush=False
    )


def name_role_in_error(env, error):
    """Add to ``error``'s message the role that narrowed the refused call."""
    grant = narrowed_grant(env)
    if grant is None:
        return error
    role = env["res.users.role"].sudo().browse(grant.role_id)
    message = env._(
        "%(message)s\n\nThis API key is limited to the role %(role)s.",
        message=error.args[0] if error.args else "",
        role=role.name,
    )
    error.args = (message, *error.args[1:])
    return error
