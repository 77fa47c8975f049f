# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models

from .mcp_audit_request import RETENTION_PARAMETER


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    # Not a `config_parameter` field: those store 0 as no parameter at all,
    # which would bring the default back instead of keeping calls forever.
    mcp_audit_retention_days = fields.Integer(
        string="Audit Retention (days)",
        help="Recorded API calls and their changes older than this are deleted "
        "every day. 0 keeps them forever.",
    )

    @api.model
    def get_values(self):
        values = super().get_values()
        values["mcp_audit_retention_days"] = self.env[
            "mcp.audit.request"
        ]._retention_days()
        return values

    def set_values(self):
        result = super().set_values()
        self.env["ir.config_parameter"].sudo().set_param(
            RETENTION_PARAMETER, str(max(self.mcp_audit_retention_days, 0))
        )
        return result
