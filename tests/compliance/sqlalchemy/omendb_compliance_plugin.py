"""Load SQLAlchemy's pytest plugin for a third-party dialect, as README.dialects describes.

README.dialects puts this in a conftest.py; here it is a plugin module that setup.cfg loads
with ``-p``, and the suite module is ``compliance_suite.py``, so that the main pytest run
(``testpaths = tests``) neither collects the suites nor loads SQLAlchemy's plugin.

The omendb dialect is registered by the package's entry points; registering it here too
keeps the suite runnable from a source checkout that was not reinstalled.
"""

import pytest
from sqlalchemy.dialects import registry

registry.register("omendb", "sqlalchemy_omendb.psycopg", "OmenDBDialect_psycopg")
registry.register("omendb.psycopg", "sqlalchemy_omendb.psycopg", "OmenDBDialect_psycopg")
registry.register("omendb.psycopg_async", "sqlalchemy_omendb.psycopg", "OmenDBDialectAsync_psycopg")

pytest.register_assert_rewrite("sqlalchemy.testing.assertions")

from sqlalchemy.testing.plugin.pytestplugin import *
