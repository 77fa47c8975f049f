from . import test_scoped_keys
