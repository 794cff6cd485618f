import pytest
from django.db import connection

from mutualaid.platform.accounts.roles import Role
from tests.factories import make_user


@pytest.fixture
def finance(dagong):
    return make_user(Role.TOWN_FINANCE, town=dagong)


@pytest.fixture
def check_db_constraints():
    """Fire the deferred balance triggers now (the test transaction is rolled back, never committed)."""

    def check():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    return check
