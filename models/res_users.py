# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, models
from odoo.exceptions import AccessDenied, AccessError

from .. import audit, narrowing


class ResUsers(models.Model):
    _inherit = "res.users"

    @api.model
    def _check_uid_passwd(self, uid, passwd):
        # Core caches this check by (uid, password): a key would then keep
        # working, with no grant to narrow it, after it was suspended, revoked,
        # expired or deleted. Keys are therefore checked here on every call,
        # and only passwords reach the cached check.
        narrowing.deactivate(self.env)
        # an RPC call may name another database than the one it was routed to
        audit.note_database(self.env.cr.dbname)
        if not isinstance(passwd, str) or type(uid) is not int:
            # what no client of ours sends, and core's cache cannot even hash
            raise AccessDenied()
        apikeys = self.env["res.users.apikeys"]
        key_id = apikeys._find_key_id(passwd)
        if not key_id:
            super()._check_uid_passwd(uid, passwd)
            audit.note_user(uid)
            return
        owner_id = apikeys._check_credentials(scope="rpc", key=passwd)
        if owner_id != uid:
            narrowing.deactivate(self.env)
            if owner_id:
                apikeys._refuse(key_id, f"not a key of user #{uid}")
            raise AccessDenied()

    def _check_credentials(self, credential, env):
        try:
            return super()._check_credentials(credential, env)
        except AccessDenied:
            # e.g. a login with another user's key: the key checked out, but
            # the call is refused all the same
            call = audit.current_call()
            if call is not None and call.key_id and not call.refusal:
                self.env["res.users.apikeys"]._refuse(
                    call.key_id, f"not a key of user #{self.env.uid}"
                )
            raise

    def write(self, vals):
        if self.env.user in self:
            self._check_key_may_change_account()
        return super().write(vals)

    @api.model
    def _check_key_may_change_account(self):
        """Refuse a key limited to a role the change of its owner's account.

        Users may change their own account and contact (email, login,
        password...) without any right on users: through a key limited to,
        say, editing contacts, that would hand the account to whoever resets
        its password. Such a key needs a role granting user administration.
        """
        if (
            not self.env.su
            and narrowing.narrowed_grant(self.env)
            and not self.env["ir.model.access"].check(
                "res.users", "write", raise_exception=False
            )
        ):
            raise narrowing.name_role_in_error(
                self.env,
                AccessError(
                    self.env._("An API key cannot change the account of its owner.")
                ),
            )

    def _get_group_ids(self):
        group_ids = narrowing.narrowed_group_ids(self.env, self.id)
        if group_ids is not None:
            return group_ids
        return super()._get_group_ids()

    def _compute_all_group_ids(self):
        result = super()._compute_all_group_ids()
        for user in self:
            group_ids = narrowing.narrowed_group_ids(self.env, user.id)
            if group_ids is not None:
                user.all_group_ids = self.env["res.groups"].browse(group_ids)
        return result

    def _api_key_roles(self):
        """Return the roles the user may bind its new API keys to: those it
        holds today, which grant nothing beyond its own groups and keep its
        user type."""
        self.ensure_one()
        user = self.sudo()
        owner_groups = user.group_ids.all_implied_ids
        user_type = owner_groups & self.env["res.groups"]._get_user_type_groups()
        return user._get_enabled_roles().role_id.filtered(
            lambda role: (
                role.all_implied_ids <= owner_groups
                and user_type <= role.all_implied_ids
            )
        )
