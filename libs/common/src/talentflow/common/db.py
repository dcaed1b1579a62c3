"""Database plumbing shared by every service: metadata, engines and sessions, and statements
that go to the driver as they are.

For the few hot, set-based statements (batches of rows as arrays) where SQLAlchemy's
per-statement work would cost more than the statement, `driver_connection` gives the asyncpg
connection under a session's transaction and `driver_errors` raises the driver's errors as
SQLAlchemy's; the SQL still lives in repository modules, and the transaction is still the
session's. `insert_rows` and `unnest_insert_sql` insert rows given column by column.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any, TypeAlias

import asyncpg
from sqlalchemy import MetaData, Table, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def make_metadata(schema: str) -> MetaData:
    """Return the one MetaData of a service, bound to its own PostgreSQL schema."""
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


def async_url(url: str) -> str:
    """Return `url` with the asyncpg driver, whatever driver (if any) it named."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def create_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    """Create the async engine of a service (call it in the lifespan, never at import)."""
    return create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        echo=echo,
        # A statement's error (logged when unhandled) names the statement, never its
        # parameters: they may be a person's data.
        hide_parameters=True,
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded attributes after commit."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def transaction(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """One unit of work: commit when the block ends, roll back when it raises."""
    async with sessionmaker() as session, session.begin():
        yield session


async def ping(engine: AsyncEngine) -> None:
    """Raise unless the database answers."""
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


# --- statements straight on the driver ------------------------------------------------------

# An asyncpg.Connection (the driver has no type hints).
DriverConnection: TypeAlias = Any


async def driver_connection(session: AsyncSession | DriverConnection) -> DriverConnection:
    """The asyncpg connection under `session`'s transaction, BEGIN already sent, for
    statements that go to the driver as they are (no per-statement SQLAlchemy work; an
    asyncpg connection is returned as it is)."""
    if not isinstance(session, AsyncSession):
        return session
    conn = await session.connection()
    driver = (await conn.get_raw_connection()).driver_connection
    assert driver is not None
    if not driver.is_in_transaction():
        await conn.exec_driver_sql("SELECT 1")  # SQLAlchemy sends BEGIN with the first statement
    return driver


@contextlib.contextmanager
def driver_errors() -> Iterator[None]:
    """Raise what the driver raises inside the block as SQLAlchemy's errors, which callers
    and the error handlers expect (a lost connection is an OperationalError, 503)."""
    try:
        yield
    except asyncpg.exceptions.IntegrityConstraintViolationError as exc:
        raise sa_exc.IntegrityError(None, None, exc) from exc
    except asyncpg.exceptions.DataError as exc:
        raise sa_exc.DataError(None, None, exc) from exc
    except (
        asyncpg.exceptions.PostgresConnectionError,
        asyncpg.exceptions.OperatorInterventionError,
        asyncpg.exceptions.InsufficientResourcesError,
        asyncpg.exceptions.TransactionRollbackError,
        OSError,
    ) as exc:
        raise sa_exc.OperationalError(None, None, exc, connection_invalidated=True) from exc
    except asyncpg.exceptions.InterfaceError as exc:
        raise sa_exc.InterfaceError(None, None, exc, connection_invalidated=True) from exc
    except asyncpg.exceptions.PostgresError as exc:
        raise sa_exc.DBAPIError(None, None, exc) from exc


async def insert_rows(
    session: AsyncSession | DriverConnection, table: Table, columns: dict[str, list[Any]]
) -> None:
    """Insert rows given column by column ({column: [value per row]}) in the session's
    transaction: one statement, `INSERT ... SELECT * FROM unnest($1::type[], ...)`, rows in
    the lists' order, values passed to the driver as they are (JSON columns take JSON text)."""
    conn = await driver_connection(session)
    with driver_errors():
        await conn.execute(unnest_insert_sql(table, tuple(columns)), *columns.values())


@functools.cache
def unnest_insert_sql(table: Table, columns: tuple[str, ...], first: int = 1) -> str:
    """`INSERT INTO table (columns) SELECT * FROM unnest($first::type[], ...)`."""
    names = ", ".join(f'"{name}"' for name in columns)
    arrays = unnest_arrays_sql(table, columns, first)
    return f"INSERT INTO {table.fullname} ({names}) SELECT * FROM unnest({arrays})"  # noqa: S608


def unnest_arrays_sql(table: Table, columns: tuple[str, ...], first: int = 1) -> str:
    """`$first::type[], ...`: one array parameter per column, typed as the column."""
    return ", ".join(
        f"${i}::{table.c[name].type.compile(dialect=_POSTGRESQL)}[]"
        for i, name in enumerate(columns, start=first)
    )


_POSTGRESQL = postgresql.dialect()  # type: ignore[no-untyped-call]
