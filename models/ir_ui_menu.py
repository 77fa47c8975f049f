# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, models
from odoo.exceptions import AccessError

from .. import narrowing


class IrUiMenu(models.Model):
    _inherit = "ir.ui.menu"

    # Core caches the menus by user id; API clients have no use for them, so
    # a key limited to a role is refused them rather than served or caching
    # its owner's.

    @api.model
    def load_menus_root(self):
        self._check_not_narrowed()
        return super().load_menus_root()

    @api.model
    def load_menus(self, debug):
        self._check_not_narrowed()
        return super().load_menus(debug)

    def _check_not_narrowed(self):
        if narrowing.narrowed_grant(self.env):
            raise narrowing.name_role_in_error(
                self.env,
                AccessError(self.env._("Menus are not served to API keys.")),
            )
