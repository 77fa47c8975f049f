# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "MCP Pro Governance",
    "summary": "API keys narrowed to a user role, with an audit trail of every call",
    "version": "19.0.1.1.0",
    "category": "Tools",
    "website": "https://github.com/pan-mcp-pro/pan_mcp_pro_governance",
    "author": "Pan MCP Pro, Odoo Community Association (OCA)",
    "license": "AGPL-3",
    "application": True,
    "installable": True,
    "depends": ["mail", "auditlog", "base_user_role"],
    "post_init_hook": "post_init_hook",
    "data": [
        "security/res_groups.xml",
        "security/ir.model.access.csv",
        "security/ir_rule.xml",
        "views/res_users_apikeys_views.xml",
        "views/mcp_audit_request_views.xml",
        "views/res_config_settings_views.xml",
        "wizards/res_users_apikeys_description_views.xml",
        "views/menus.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "pan_mcp_pro_governance/static/tests/tours/*.js",
        ],
    },
}
