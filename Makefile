# The two commands of this addon (see README.rst); the work is in scripts/.
#   make serve   Odoo on http://127.0.0.1:8069 serving SERVE_DB with the addon
#   make test    the test suite, with pytest, on a fresh TEST_DB
PYTHON ?= python3
SERVE_DB ?= mcp_pro
TEST_DB ?= mcp_pro_test
# extra pytest arguments, e.g. make test PYTEST_ARGS="-k lifecycle -x"
PYTEST_ARGS ?=

.PHONY: serve test

serve:
	PYTHON="$(PYTHON)" DB="$(SERVE_DB)" bash scripts/serve.sh

test:
	PYTHON="$(PYTHON)" DB="$(TEST_DB)" bash scripts/test.sh $(PYTEST_ARGS)
