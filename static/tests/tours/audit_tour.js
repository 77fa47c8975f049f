/* Copyright 2026 Pan MCP Pro
 * License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl). */
import {registry} from "@web/core/registry";
import {stepUtils} from "@web_tour/tour_utils";

// An API call made before the tour, with the key "Tour key", renamed the
// partner "Tour Partner" to "Tour Partner Renamed": the Audit Log shows the
// call and, in its Changes tab, the change.
registry.category("web_tour.tours").add("pan_mcp_pro_governance_audit_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("pan_mcp_pro_governance.menu_root", "Open MCP Pro"),
        {
            content: "Open the Audit Log",
            trigger:
                '.o_main_navbar [data-menu-xmlid="pan_mcp_pro_governance.mcp_audit_request_menu"]',
            run: "click",
        },
        {
            content: "Open the call made with the tour's key",
            trigger:
                '.o_list_view .o_data_row:contains("Tour key") td[name="method_name"]:contains("write")',
            run: "click",
        },
        {
            content: "The form shows the key, its role and the status",
            trigger:
                '.o_form_view:has([name="key_name"]:contains("Tour key")):has([name="role_id"]:contains("Contacts editor")):has([name="status"]:contains("200"))',
        },
        {
            content: "Open the changes of the call",
            trigger: '.o_notebook a[role="tab"]:contains("Changes")',
            run: "click",
        },
        {
            content: "The call renamed the partner",
            trigger:
                '.o_field_widget[name="auditlog_log_ids"] .o_data_row:contains("Tour Partner Renamed"):contains("write")',
        },
    ],
});

// The administrator creates an API key limited to one of their roles, from
// Preferences > Security > Add API Key.
registry.category("web_tour.tours").add("pan_mcp_pro_governance_key_role_tour", {
    url: "/odoo",
    steps: () => [
        {
            content: "Open the user menu",
            trigger: ".o_user_menu .dropdown-toggle",
            run: "click",
        },
        {
            content: "Open the preferences",
            trigger: "[data-menu=preferences]",
            run: "click",
        },
        {
            content: "Open the security tab",
            trigger: '.modal a[role="tab"]:contains("Security")',
            run: "click",
        },
        {
            content: "Add an API key",
            trigger: '.modal button:contains("Add API Key")',
            run: "click",
        },
        {
            content: "Confirm the password",
            trigger: ".modal [name=password] input",
            run: "edit admin",
        },
        {
            trigger: '.modal button:contains("Confirm Password")',
            run: "click",
        },
        {
            content: "Name the key",
            trigger: ".modal [name=name] input",
            run: "edit Tour role key",
        },
        {
            content: "Limit the key to a role",
            trigger: ".modal [name=role] input",
            run: "click",
        },
        {
            trigger: '.o_select_menu_item:contains("Tour employee")',
            run: "click",
        },
        {
            trigger: '.modal [name=role] input:value("Tour employee")',
        },
        {
            trigger: '.modal button:contains("Generate key")',
            run: "click",
        },
        {
            content: "The key is shown once",
            trigger: '.modal p:contains("Here is your new API key")',
        },
        {
            trigger: '.modal button:contains("Done")',
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
    ],
});
