# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models

from .. import write_capture


class Base(models.AbstractModel):
    _inherit = "base"

    def write(self, vals):
        # Every write, even one that an override makes with `super().write()`
        # past the audited method, shows its fields to the audited writes of
        # its records before changing them.
        write_capture.add_to_overlapping(self, vals)
        return super().write(vals)
