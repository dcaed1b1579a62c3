"""The services' engine (`common.db.create_engine`)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from talentflow.common.db import create_engine


async def test_a_failed_statements_error_does_not_show_its_parameters(database_url: str) -> None:
    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            with pytest.raises(DBAPIError) as caught:
                statement = text("SELECT 1 / 0 WHERE CAST(:name AS text) IS NOT NULL")
                await conn.execute(statement, {"name": "Ada Lovelace"})
    finally:
        await engine.dispose()

    assert "division by zero" in str(caught.value)
    assert "Ada Lovelace" not in str(caught.value)
    assert "parameters hidden" in str(caught.value)
