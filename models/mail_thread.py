# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models

from .. import narrowing


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    def _track_get_fields(self):
        # Core caches the tracked fields by user id, filtered by the fields the
        # user may read: compute a key's own set without touching that cache.
        if narrowing.narrowed_grant(self.env):
            return super()._track_get_fields.__wrapped__(self)
        return super()._track_get_fields()
