from . import test_key_escalation
from . import test_key_isolation
from . import test_key_lifecycle
from . import test_key_narrowing
from . import test_key_wizard
from . import test_live_server
from . import test_scoped_keys
