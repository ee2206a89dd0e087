"""A real PostgreSQL server for the tests: its URL comes from $IMR_ETL_TEST_PG
(``.ci/postgres`` starts one and prints it; ``.ci/run`` exports it).

Without a reachable server a test that needs one is skipped, saying why —
unless $CI is set, where it fails: CI must run them.  Each warehouse is a
database of its own, created for the test and dropped after.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from typing import Iterator

import pytest

from helpers import missing

ENV_VAR = "IMR_ETL_TEST_PG"
_checked: dict[str, str | None] = {}  # url -> why it cannot be used (None: it can)


def _unusable(url: str | None) -> str | None:
    if not url:
        return (f"no PostgreSQL server for the tests: set ${ENV_VAR} to an SQLAlchemy URL of a role "
                f"that may create databases (`.ci/postgres` starts a local server and prints one)")
    if url not in _checked:
        from imr_etl import warehouse

        try:
            with warehouse.open_engine(url):
                _checked[url] = None
        except Exception as error:  # noqa: BLE001 - any failure is the reason to skip
            _checked[url] = f"PostgreSQL server of ${ENV_VAR} unusable: {error}"
    return _checked[url]


def server() -> str:
    """The server's URL, or skip (fail under CI) saying why there is none."""
    url = os.environ.get(ENV_VAR)
    reason = _unusable(url)
    if reason:
        missing(reason)
    return url


@contextmanager
def database(url: str | None = None) -> Iterator[str]:
    """A new, empty database on the server: its URL, dropped afterwards."""
    from sqlalchemy import create_engine, make_url

    from imr_etl import warehouse

    base = warehouse.resolve_url(url or server())
    name = f"imr_etl_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def pg_db() -> Iterator[str]:
    """A fresh PostgreSQL warehouse URL for one test."""
    with database() as url:
        yield url
