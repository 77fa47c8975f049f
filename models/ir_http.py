# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models
from odoo.http import request

from .. import narrowing


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _authenticate(cls, endpoint):
        # The thread may have served another key's request: start clean, the
        # route's authentication sets the grant of this request's key if any.
        narrowing.deactivate(request.env)
        return super()._authenticate(endpoint)
