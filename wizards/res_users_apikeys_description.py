# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models
from odoo.exceptions import UserError

from odoo.addons.base.models.res_users import check_identity


class ResUsersApikeysDescription(models.TransientModel):
    _inherit = "res.users.apikeys.description"

    # A selection rather than a many2one: users may not read roles, not even
    # their own, and the choice must be limited to the user's roles anyway.
    role = fields.Selection(
        selection="_selection_role",
        help="Narrow the key to one of your roles. Empty: the key has all your rights.",
    )

    def _selection_role(self):
        return [(str(role.id), role.name) for role in self.env.user._api_key_roles()]

    @check_identity
    def make_key(self):
        # The role comes from the wizard record and is checked again here:
        # the identity check replays this call with a client-supplied context.
        role = self.env["res.users.role"].sudo().browse(int(self.role or 0))
        if role and role not in self.env.user._api_key_roles():
            raise UserError(
                self.env._(
                    "You cannot bind an API key to the role %(role)s.", role=role.name
                )
            )
        action = super().make_key()
        if role:
            apikeys = self.env["res.users.apikeys"]
            key_id = apikeys._find_key_id(action["context"]["default_key"])
            apikeys.browse(key_id).sudo().write({"role_id": role.id})
        return action
