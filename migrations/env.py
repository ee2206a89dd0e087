"""Alembic environment for the imr-etl warehouse (DuckDB through duckdb-engine,
or PostgreSQL through psycopg: the revisions' SQL must suit both).

Run from code (``imr_etl.warehouse.migrate``: the caller's connection arrives
in ``config.attributes["connection"]``) or from the command line at the repo
root: ``alembic upgrade head`` migrates ``$IMR_ETL_DB`` or
``warehouse/imr.duckdb``; ``alembic -x db=PATH_OR_URL upgrade head`` another.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from alembic.ddl.impl import DefaultImpl

from imr_etl import schema, warehouse


class DuckDBImpl(DefaultImpl):
    """Alembic has no built-in implementation for the ``duckdb`` dialect."""

    __dialect__ = "duckdb"
    transactional_ddl = True


config = context.config
target_metadata = schema.metadata

if config.config_file_name is not None and "connection" not in config.attributes:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str:
    db = context.get_x_argument(as_dictionary=True).get("db")
    if db or not config.get_main_option("sqlalchemy.url"):
        return warehouse.resolve_url(db)
    return config.get_main_option("sqlalchemy.url")


def run_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      compare_type=warehouse.compare_type)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = _url()
    with warehouse.lock(url), warehouse.open_engine(url) as engine, engine.begin() as connection:
        _run(connection)
        if context.get_context().get_current_revision() == context.script.get_current_head():
            warehouse.create_views(connection)  # the views read the latest schema


if context.is_offline_mode():
    run_offline()
else:
    run_online()
