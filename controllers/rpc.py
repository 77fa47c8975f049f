# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import xmlrpc.client

from odoo.exceptions import UserError
from odoo.http import dispatch_rpc, request, route

from odoo.addons.rpc.controllers import RPC
from odoo.addons.rpc.controllers.xmlrpc import (
    RPC_FAULT_CODE_APPLICATION_ERROR,
    dumps,
    xmlrpc_handle_exception_int,
    xmlrpc_handle_exception_string,
)

from .. import audit


class AuditedRPC(RPC):
    """Tell the audit which model and method XML-RPC calls target, and audit
    their faults, which never reach `ir.http._handle_error`. (JSON-RPC calls
    are noted by `ir.http._dispatch`, which sees their parameters.)"""

    def _xmlrpc(self, service):
        # as core does, parsing the body once
        params, method = xmlrpc.client.loads(
            request.httprequest.get_data(), use_datetime=True
        )
        audit.note_rpc(service, method, params)
        return dumps((dispatch_rpc(service, method, params),))

    @route()
    def xmlrpc_1(self, service):
        return self._audit_faults(super().xmlrpc_1, service, legacy=True)

    @route()
    def xmlrpc_2(self, service):
        return self._audit_faults(super().xmlrpc_2, service, legacy=False)

    def _audit_faults(self, serve, service, legacy):
        try:
            return serve(service)
        except Exception as error:
            call = audit.current_call()
            if call is None:
                raise
            response = getattr(error, "error_response", None)
            if response and not isinstance(error, UserError):
                # API clients get the error's message, never the traceback;
                # a malformed call is theirs to mend, not a server error
                client_error = audit.as_client_error(error)
                if client_error is not None:
                    answer = (
                        xmlrpc_handle_exception_string(client_error)
                        if legacy
                        else xmlrpc_handle_exception_int(client_error)
                    )
                else:
                    message = audit.error_message(error)
                    answer = dumps(
                        xmlrpc.client.Fault(message, "")
                        if legacy
                        else xmlrpc.client.Fault(
                            RPC_FAULT_CODE_APPLICATION_ERROR, message
                        )
                    )
                response.set_data(answer)
                error = client_error or error
            request.env["ir.http"]._finish_audited_call(
                response, audit.status_of_exception(error), error
            )
            raise
