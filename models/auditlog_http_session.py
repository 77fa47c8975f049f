# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, models
from odoo.http import request

from .. import audit, narrowing


class AuditlogHttpSession(models.Model):
    _inherit = "auditlog.http.session"

    @api.model
    def current_http_session(self):
        # OCA auditlog names the session after its id, a credential that lets
        # whoever reads it act as the user: keep its hash instead.
        if not request or not request.session:
            return False
        if request.session.is_new and narrowing.current_grant() is not None:
            # A key's call without a session cookie runs in a session of its
            # own, never saved: naming it would leave a record per call. The
            # call is known by its audit row.
            return False
        name = audit.session_hash(request.session.sid)
        session = self.search(
            [("name", "=", name), ("user_id", "=", request.env.uid)], limit=1
        )
        return session.id or self.create({"name": name, "user_id": request.env.uid}).id
