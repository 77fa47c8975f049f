# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models


class ResPartner(models.Model):
    _inherit = "res.partner"

    def write(self, vals):
        # A user's contact holds the email its password resets go to.
        if self.env.user.partner_id in self:
            self.env["res.users"]._check_key_may_change_account()
        return super().write(vals)
