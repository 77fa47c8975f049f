# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging
from typing import NamedTuple

from odoo import api, fields, models, tools
from odoo.orm.identifiers import NewId

from .. import narrowing, write_capture

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


class AuditPolicy(NamedTuple):
    """How the confirmed rule of a model audits it."""

    log_type: str
    api_keys_only: bool
    excluded_user_ids: frozenset


def _audited_when_due(logged, method_name):
    """Return the method to call in place of ``logged``, the method that OCA
    auditlog patched into an audited model: it logs only the calls the rule
    audits, now (not as the rule was when the model was patched), and writes
    audited in full mode read only the fields they change."""

    def audited(records, *args, **kwargs):
        policy = records.env["auditlog.rule"]._audit_policy(records._name)
        if policy is None or (
            policy.api_keys_only and narrowing.current_grant() is None
        ):
            return audited.origin(records, *args, **kwargs)
        if method_name == "write" and policy.log_type == "full":
            return _write_capturing_changes(
                audited.origin, policy, records, *args, **kwargs
            )
        return logged(records, *args, **kwargs)

    audited.origin = logged.origin
    # OCA auditlog's own method, e.g. to compare with what it logs
    audited.logged = logged
    return audited


def _write_capturing_changes(write, policy, records, vals, **kwargs):
    """Write ``vals`` on ``records`` with ``write`` and log, as OCA auditlog's
    full mode does, the old and new values of the fields that changed."""
    records = records.with_context(auditlog_disabled_read=True)
    stored = records.filtered(lambda record: not isinstance(record.id, NewId))
    if not stored or write_capture.enclosing(stored):
        # a write that an audited write of the same records makes: its
        # changes are theirs
        return write(records, vals, **kwargs)

    rules = records.env["auditlog.rule"].sudo()
    capture = write_capture.WriteCapture(stored, set(rules.get_auditlog_fields(stored)))
    capture.add(vals, from_database=True)
    with write_capture.capturing(capture):
        result = write(records, vals, **kwargs)
    records.flush_recordset()
    if records.env.uid in policy.excluded_user_ids or not capture.field_names:
        return result

    rules.create_logs(
        records.env.uid,
        records._name,
        stored.ids,
        "write",
        capture.old_values,
        capture.new_values(),
        {"log_type": policy.log_type},
    )
    return result


class AuditlogRule(models.Model):
    _inherit = "auditlog.rule"

    api_keys_only = fields.Boolean(
        string="API Keys Only",
        help="Only log the changes made by calls authenticated with an API key. "
        "Uncheck to log the changes of all users.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        result = super().create(vals_list)
        self.env.registry.clear_cache()
        return result

    def write(self, vals):
        result = super().write(vals)
        self.env.registry.clear_cache()
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result

    @api.model
    @tools.ormcache("model_name")
    def _audit_policy(self, model_name):
        """Return how the confirmed rule of ``model_name`` audits it, or None.

        Read on every audited call rather than when auditlog patches the
        model, so that a change of the rule holds from the next call."""
        rule = self.sudo().search(
            [("model_model", "=", model_name), ("state", "=", "confirmed")], limit=1
        )
        if not rule:
            return None
        return AuditPolicy(
            rule.log_type,
            rule.api_keys_only,
            frozenset(rule.users_to_exclude_ids.ids),
        )

    def _patch_method(self, model, method_name, check_attr):
        patched = super()._patch_method(model, method_name, check_attr)
        if patched:
            model_class = model.env.registry[model._name]
            logged = getattr(model_class, method_name)
            setattr(model_class, method_name, _audited_when_due(logged, method_name))
        return patched

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
