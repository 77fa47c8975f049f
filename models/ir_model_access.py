# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models, tools
from odoo.tools import SQL

from .. import narrowing


class IrModelAccess(models.Model):
    _inherit = "ir.model.access"

    def _get_allowed_models(self, mode="read"):
        # Core caches this by user id: a key's narrowed answer must neither
        # reach its owner's other calls nor be served from theirs.
        group_ids = narrowing.narrowed_group_ids(self.env, self.env.uid)
        if group_ids is None:
            return super()._get_allowed_models(mode)
        return self._allowed_models_for_groups(group_ids, mode)

    @tools.ormcache("group_ids", "mode")
    def _allowed_models_for_groups(self, group_ids, mode):
        """Return the models that members of exactly ``group_ids`` may access
        in ``mode``."""
        assert mode in ("read", "write", "create", "unlink"), "Invalid access mode"
        self.flush_model()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT model.model
                  FROM ir_model_access access
                  JOIN ir_model model ON model.id = access.model_id
                 WHERE access.perm_%s
                   AND access.active
                   AND (access.group_id IS NULL OR access.group_id IN %s)
                 GROUP BY model.model
                """,
                SQL(mode),
                group_ids or (None,),
            )
        )
        return frozenset(model for (model,) in rows)

    def _make_access_error(self, model, mode):
        error = super()._make_access_error(model, mode)
        return narrowing.name_role_in_error(self.env, error)
