from collections.abc import Callable
from typing import Any

import pytest


def _example_body(app: Any, method: str, path: str) -> dict[str, Any]:
    """Request arguments with the first example of the operation's body: a body that passes
    validation (JSON, or a file such as a CSV), so the probe reaches the lookup of the ids in
    the path."""
    if method not in ("POST", "PUT", "PATCH"):
        return {}
    document = app.openapi()
    operation = document["paths"][path][method.lower()]
    content = operation.get("requestBody", {}).get("content", {})
    if not content:
        return {"json": {}}
    media_type, body = next(iter(content.items()))
    if media_type != "application/json":
        return {"content": body["example"].encode(), "headers": {"Content-Type": media_type}}
    schema = body["schema"]
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    examples = schema.get("examples") or [{}]
    return {"json": examples[0]}


@pytest.fixture(scope="session")
def example_body() -> Callable[[Any, str, str], dict[str, Any]]:
    """`example_body(app, method, path)`: request arguments (`json`, or `content` and
    `headers`) carrying the first example of the operation's body from the OpenAPI document."""
    return _example_body
