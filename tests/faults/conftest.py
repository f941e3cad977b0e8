"""The stack the fault tests cut parts of: on PostgreSQL, with a Redis of their own (see ``stack.py``)."""
import os

import pytest

from tests.faults.stack import Stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    stack = Stack(os.environ["TEST_DATABASE_URL"], tmp_path_factory.mktemp("faults"))
    try:
        stack.create()
        stack.web = stack.start_web()
        yield stack
    finally:
        stack.destroy()


@pytest.fixture
def running(stack):
    """The stack, with Redis and the web answering, and no 500 in the web's log during the test."""
    if stack.redis is None:
        stack.start_redis()
    before = len(stack.web.log())
    yield stack
    new = stack.web.log()[before:]
    assert "unhandled error" not in new and '" 500 ' not in new, stack.web.tail(80)
