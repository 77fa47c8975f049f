# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, models, tools

from .. import narrowing


class IrRule(models.Model):
    _inherit = "ir.rule"

    def _compute_domain_context_values(self):
        # Part of the cache key of `_compute_domain`, which core keys by user id.
        yield from super()._compute_domain_context_values()
        group_ids = narrowing.narrowed_group_ids(self.env, self.env.uid)
        if group_ids is not None:
            yield group_ids

    @api.model
    def _compute_domain(self, model_name, mode="read"):
        if self.env.su or narrowing.narrowed_group_ids(self.env, self.env.uid) is None:
            return super()._compute_domain(model_name, mode)
        return self._narrowed_domain(model_name, mode)

    @api.model
    @tools.ormcache(
        "self.env.uid",
        "model_name",
        "mode",
        "tuple(self._compute_domain_context_values())",
    )
    def _narrowed_domain(self, model_name, mode):
        """Return the record rule domain of a key limited to a role.

        Record rules are not monotonic: dropping a group may drop a rule that
        restricted its members. The role's rules are therefore intersected with
        the owner's, so a key never sees more than its owner. Cached like
        core's domain, whose cache every change of rules or groups clears.
        """
        domain = super()._compute_domain(model_name, mode)
        with narrowing.owner_rights(self.env):
            owner_domain = self._compute_domain(model_name, mode)
        return (domain & owner_domain).optimize(self.env[model_name])

    def _make_access_error(self, operation, records):
        error = super()._make_access_error(operation, records)
        return narrowing.name_role_in_error(self.env, error)
