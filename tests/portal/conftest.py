from tests.activities.conftest import make_activity, soon  # noqa: F401 - the activity factory, shared

import pytest


@pytest.fixture
def tree(make_tree):
    return make_tree("fed/street/comm", "fed/street2", "other/o-street")
