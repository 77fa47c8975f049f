# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models

from .mcp_audit_request import DEFAULT_RETENTION_DAYS, RETENTION_PARAMETER


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    mcp_audit_retention_days = fields.Integer(
        string="Audit Retention (days)",
        config_parameter=RETENTION_PARAMETER,
        default=DEFAULT_RETENTION_DAYS,
        help="Recorded API calls and their changes older than this are deleted "
        "every day. 0 keeps them forever.",
    )
