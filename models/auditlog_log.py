# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models

from .. import audit


class AuditlogLog(models.Model):
    _inherit = "auditlog.log"

    mcp_request_uid = fields.Char(string="Request ID", readonly=True, index=True)
    mcp_request_id = fields.Many2one(
        "mcp.audit.request", string="API Call", compute="_compute_mcp_request_id"
    )

    def _compute_mcp_request_id(self):
        rows = (
            self.env["mcp.audit.request"]
            .sudo()
            .search([("request_uid", "in", self.mapped("mcp_request_uid"))])
        )
        row_by_uid = {row.request_uid: row.id for row in rows}
        for log in self:
            log.mcp_request_id = row_by_uid.get(log.mcp_request_uid, False)

    @api.model_create_multi
    def create(self, vals_list):
        # OCA auditlog cannot see the HTTP request of /jsonrpc and /xmlrpc
        # calls; the audited call can, whatever the route.
        call = audit.note_audited_change()
        if call is not None:
            for vals in vals_list:
                vals.setdefault("mcp_request_uid", call.request_uid)
        return super().create(vals_list)
