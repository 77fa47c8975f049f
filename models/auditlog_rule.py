# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging

from odoo import api, fields, models

from .. import narrowing

_logger = logging.getLogger(__name__)

# The models whose changes matter most to a company handing keys to agents.
SEEDED_MODELS = (
    "sale.order",
    "res.partner",
    "account.move",
    "crm.lead",
    "product.template",
    "stock.picking",
)


class AuditlogRule(models.Model):
    _inherit = "auditlog.rule"

    api_keys_only = fields.Boolean(
        string="API Keys Only",
        help="Only log the changes made by calls authenticated with an API key. "
        "Uncheck to log the changes of all users.",
    )

    def create_logs(
        self,
        uid,
        res_model,
        res_ids,
        method,
        old_values=None,
        new_values=None,
        additional_log_values=None,
    ):
        if narrowing.current_grant() is None and self.sudo().search_count(
            [("model_model", "=", res_model), ("api_keys_only", "=", True)], limit=1
        ):
            return None
        return super().create_logs(
            uid,
            res_model,
            res_ids,
            method,
            old_values=old_values,
            new_values=new_values,
            additional_log_values=additional_log_values,
        )

    @api.model
    def _seed_api_key_rules(self):
        """Audit the changes API keys make to the company's key models, for
        those installed and not yet audited."""
        ir_model = self.env["ir.model"].sudo()
        for model_name in SEEDED_MODELS:
            model = ir_model._get(model_name)
            if not model or self.with_context(active_test=False).search_count(
                [("model_id", "=", model.id)], limit=1
            ):
                continue
            rule = self.create(
                {
                    "name": self.env._("API keys: %(model)s", model=model.name),
                    "model_id": model.id,
                    "log_read": False,
                    "log_create": True,
                    "log_write": True,
                    "log_unlink": True,
                    "log_export_data": False,
                    "log_type": "full",
                    "api_keys_only": True,
                }
            )
            # as auditlog's form does, for its "View logs" action on the model
            rule.set_to_confirmed()
            # an external id, so that uninstalling this addon removes the rule
            self.env["ir.model.data"]._update_xmlids(
                [
                    {
                        "xml_id": "pan_mcp_pro_governance.auditlog_rule_"
                        + model_name.replace(".", "_"),
                        "record": rule,
                        "noupdate": True,
                    }
                ]
            )
            _logger.info("Changes made by API keys to %s are now audited", model_name)
