import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from endpoint import start_endpoint  # noqa: E402

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    """A fresh endpoint per test module, on a throwaway data directory."""
    data_dir = tmp_path_factory.mktemp("endpoint") / "data"
    server = start_endpoint(str(data_dir))
    yield server
    server.stop()
