# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging
from typing import NamedTuple

from odoo import api, fields, models, tools
from odoo.exceptions import MissingError
from odoo.fields import Command

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


# The relations of the chatter, which records its messages, followers and
# activities itself.
CHATTER_MODELS = (
    "mail.message",
    "mail.followers",
    "mail.activity",
    "discuss.channel",
    "discuss.channel.member",
    "discuss.channel.rtc.session",
    "rating.rating",
)


def _left_out_of_seeded_rules(field):
    """Whether the rules seeded at installation leave ``field`` out: the
    chatter's relations, and files and images, whose content a log line would
    copy, and which auditlog's full mode would read at every write."""
    return field.ttype == "binary" or (
        field.ttype in ("one2many", "many2many") and field.relation in CHATTER_MODELS
    )


# the methods auditlog patches into audited models, each logged by the rule
# when its flag says so
LOGGED_METHODS = ("create", "read", "write", "unlink", "export_data")


class AuditPolicy(NamedTuple):
    """Which confirmed rule audits a model, what and for whom."""

    rule_id: int
    methods: frozenset
    api_keys_only: bool
    excluded_fields: frozenset


def _audited_when_due(method_name, replaced):
    """Return the method to patch into a model audited by OCA auditlog, in
    place of ``replaced``, the one that auditlog made of its rule when it
    patched the model.

    That one keeps the rule as it was then (what it logs, its log type, its
    excluded users) until the server restarts; this one asks for the rule on
    every call, which a change of the rule then holds for from the next call,
    and leaves the calls made without an API key alone when the rule audits
    keys only.
    """

    def audited(records, *args, **kwargs):
        rules = records.env["auditlog.rule"]
        policy = rules._audit_policy(records._name)
        if (
            policy is None
            or method_name not in policy.methods
            or (policy.api_keys_only and narrowing.current_grant() is None)
        ):
            return audited.origin(records, *args, **kwargs)
        try:
            logged = getattr(
                rules.sudo().browse(policy.rule_id), f"_make_{method_name}"
            )()
        except MissingError:
            # deleted by another transaction, whose signal is yet to come
            return audited.origin(records, *args, **kwargs)
        logged.origin = audited.origin
        return logged(records, *args, **kwargs)

    # what the ORM reads on the method (`_api_model` for `create`), and the
    # method that auditlog's own replaced (`origin`)
    audited.__dict__.update(replaced.__dict__)
    return audited


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
            rule.id,
            frozenset(name for name in LOGGED_METHODS if rule[f"log_{name}"]),
            rule.api_keys_only,
            frozenset(rule.fields_to_exclude_ids.mapped("name")),
        )

    @api.model
    def get_auditlog_fields(self, model):
        # Excluded fields are never logged: their values need not be read,
        # before and after each write, as auditlog's full mode does.
        names = super().get_auditlog_fields(model)
        policy = self._audit_policy(model._name)
        if policy is None:
            return names
        return [name for name in names if name not in policy.excluded_fields]

    def _patch_method(self, model, method_name, check_attr):
        patched = super()._patch_method(model, method_name, check_attr)
        if patched:
            model_class = model.env.registry[model._name]
            replaced = getattr(model_class, method_name)
            setattr(model_class, method_name, _audited_when_due(method_name, replaced))
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
            left_out = model.field_id.filtered(_left_out_of_seeded_rules)
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
                    "fields_to_exclude_ids": [Command.set(left_out.ids)],
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
