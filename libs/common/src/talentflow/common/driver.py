"""Statements that go to the driver as they are: the asyncpg connection under a session's
transaction, and asyncpg's errors raised as SQLAlchemy's.

For the few hot, set-based statements (batches of rows as arrays) where SQLAlchemy's
per-statement work would cost more than the statement: the SQL still lives in repository
modules, and the transaction is still the session's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, TypeAlias

import asyncpg
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncSession

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
