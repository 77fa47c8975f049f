from . import res_users_apikeys_description
