# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, models
from odoo.http import request

from .. import audit


class AuditlogHttpSession(models.Model):
    _inherit = "auditlog.http.session"

    @api.model
    def current_http_session(self):
        # OCA auditlog names the session after its id, a credential that lets
        # whoever reads it act as the user: keep its hash instead.
        if not request or not request.session:
            return False
        name = audit.session_hash(request.session.sid)
        session = self.search(
            [("name", "=", name), ("user_id", "=", request.env.uid)], limit=1
        )
        return session.id or self.create({"name": name, "user_id": request.env.uid}).id
