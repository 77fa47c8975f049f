# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging

from odoo import models

_logger = logging.getLogger(__name__)


class ResUsersRole(models.Model):
    _inherit = "res.users.role"

    def unlink(self):
        # A key bound to a deleted role must never fall back to its owner's
        # full rights: it is revoked, for good, before its role goes.
        keys = (
            self.env["res.users.apikeys"].sudo().search([("role_id", "in", self.ids)])
        )
        if keys:
            keys.write({"state": "revoked", "role_id": False})
            _logger.info(
                "API keys %s revoked with their role(s) %s", keys.ids, self.ids
            )
        return super().unlink()
