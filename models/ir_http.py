# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import functools
import json

from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized, UnprocessableEntity
from werkzeug.wrappers import Response

from odoo import models
from odoo.exceptions import AccessDenied
from odoo.http import request

from .. import audit, narrowing

MAX_INT4 = 2**31


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _authenticate(cls, endpoint):
        # The thread may have served another key's request: start clean, the
        # route's authentication sets the grant of this request's key if any.
        narrowing.deactivate(request.env)
        # A request retried after a serialization failure is one call.
        call = getattr(request, "_mcp_audited_call", None)
        if call is None:
            request._mcp_audited_call = audit.begin(
                request.httprequest, request.httprequest.cookies.get("session_id")
            )
        else:
            audit.resume(call)
        return super()._authenticate(endpoint)

    @classmethod
    def _auth_method_bearer(cls):
        # One answer for a missing, unknown, suspended, revoked or expired key,
        # raised from one place so that not even the traceback tells them apart.
        try:
            return super()._auth_method_bearer()
        except Unauthorized:
            raise Unauthorized(
                "Invalid or missing API key.",
                www_authenticate=WWWAuthenticate("bearer"),
            ) from None
        except AccessDenied:
            # a valid key sent with the session of another user
            call = audit.current_call()
            if call is not None and call.key_id and not call.refusal:
                request.env["res.users.apikeys"]._refuse(
                    call.key_id, "sent with the session of another user"
                )
            raise

    @classmethod
    def _pre_dispatch(cls, rule, args):
        if "__model__" in args:
            audit.note_target(args["__model__"], args.get("__method__"))
        return super()._pre_dispatch(rule, args)

    @classmethod
    def _dispatch(cls, endpoint):
        call = audit.current_call()
        if call is not None:
            params = request.params
            if call.route_kind == "json2":
                cls._check_json2_params(params)
            elif call.route_kind == "jsonrpc":
                audit.note_rpc(
                    params.get("service"), params.get("method"), params.get("args")
                )
        return super()._dispatch(endpoint)

    @classmethod
    def _check_json2_params(cls, params):
        """Answer 422, not core's 500, to the common parameters of /json/2
        when they are not even of the right type."""

        def is_id(value):
            return type(value) is int

        checks = {
            "ids": lambda ids: (
                is_id(ids) or (isinstance(ids, list) and all(map(is_id, ids)))
            ),
            "context": lambda context: isinstance(context, dict),
            "domain": lambda domain: isinstance(domain, list),
            "fields": lambda fields: (
                isinstance(fields, list)
                and all(isinstance(name, str) for name in fields)
            ),
            "limit": lambda limit: (
                limit in (None, False) or (type(limit) is int and 0 <= limit < MAX_INT4)
            ),
            "offset": lambda offset: type(offset) is int and 0 <= offset < MAX_INT4,
        }
        for name, check in checks.items():
            if name in params and not check(params[name]):
                raise UnprocessableEntity(f"Invalid value for {name!r}.")

    @classmethod
    def _post_dispatch(cls, response):
        result = super()._post_dispatch(response)
        call = audit.current_call()
        if call is None:
            return result
        cr = request.env.cr
        finish = functools.partial(
            cls._finish_audited_call, response, response.status_code
        )
        if cr.closed:
            # /jsonrpc and /xmlrpc close the request's cursor and commit on
            # their own: the call is over.
            finish()
        else:
            # Only once the call has committed: a retried attempt is not a call.
            cr.postcommit.add(finish)
        return result

    @classmethod
    def _handle_error(cls, exception):
        call = audit.current_call()
        if call is not None and call.route_kind in audit.API_ROUTE_KINDS:
            # a malformed call, which core answers as a server error
            exception = audit.as_client_error(exception) or exception
        answer = super()._handle_error(exception)
        call = audit.current_call()
        if call is None:
            return answer
        # `type="http"` routes answer with the HTTP exception itself
        response = answer if isinstance(answer, Response) else None
        if response is None:
            status = getattr(answer, "code", None) or 500
        elif call.route_kind in ("jsonrpc", "xmlrpc"):
            status = audit.status_of_exception(exception)
        else:
            status = response.status_code
        if call.route_kind in audit.API_ROUTE_KINDS or call.uses_api_key:
            cls._strip_traceback(response)
        if not request.env.cr.closed:
            # the call failed: end its transaction, and its locks, first
            request.env.cr.rollback()
        cls._finish_audited_call(response, status, exception)
        return answer

    @classmethod
    def _strip_traceback(cls, response):
        """Remove the server's traceback from a JSON error response: API
        clients get the error's name and message, never the code around it."""
        if response is None or response.mimetype != "application/json":
            return
        try:
            body = json.loads(response.get_data())
        except ValueError:
            return
        if not isinstance(body, dict):
            return
        # /json/2 answers the error itself, /jsonrpc wraps it in error.data
        error = body["error"].get("data") if "error" in body else body
        if isinstance(error, dict) and error.pop("debug", None) is not None:
            response.set_data(json.dumps(body))

    @classmethod
    def _finish_audited_call(cls, response, status, exception=None):
        request_uid = audit.finish(request.db, status, request.env.uid, exception)
        if request_uid is None:
            return
        if response is None:
            audit.collect()
            return
        response.headers["X-Request-Id"] = request_uid
        # the row is confirmed once the client has its answer
        response.call_on_close(audit.collect)
