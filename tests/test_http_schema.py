"""Property tests of the HTTP API against its own OpenAPI document (schemathesis): for
generated requests to every operation, no 5xx, no undocumented status code, and every
response matches its documented schema."""

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings

from bot.channels.http import create_app
from bot.channels.http.config import HttpSettings
from bot.runtime import Runtime
from bot.settings import Settings

KEY = "schema-test-key-0123456789"
HEADERS = {"X-API-Key": KEY, "X-SafeBot-User": "schema-user"}


@pytest.fixture
def app(tmp_path: Path, real_assistant: object) -> Iterator[FastAPI]:
    http = HttpSettings(
        keys={hashlib.sha256(KEY.encode()).hexdigest(): "schema"}, session_secret="x" * 32, rate_per_minute=100_000
    )
    made = create_app(
        Settings(data_dir=tmp_path / "var", database_url=f"sqlite:///{tmp_path / 'schema.sqlite3'}"),
        http,
        assistant=real_assistant,  # type: ignore[arg-type]
    )
    engine: Runtime = made.state.runtime
    engine.open()
    yield made
    engine.close()


def _operations() -> list[tuple[str, str]]:
    """Every operation in the document, read from an app that is never started."""
    paths = create_app(Settings(), HttpSettings()).openapi()["paths"]
    return [(method.upper(), path) for path, item in paths.items() for method in item]


@pytest.mark.parametrize(("method", "path"), _operations())
def test_every_operation_conforms(app: FastAPI, method: str, path: str) -> None:
    operation = schemathesis.openapi.from_asgi("/openapi.json", app)[path][method]

    @given(case=operation.as_strategy())
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def conforms(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=HEADERS)

    conforms()
