"""Every error leaves a service as an RFC 9457 problem document, and the body guard refuses
non-JSON and oversized bodies before any handler runs."""

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from servicekit.problems import Conflict, JsonBodyGuard, install_problem_handlers

handled: list[str] = []


class Thing(BaseModel):
    name: str
    size: int


def app() -> FastAPI:
    application = FastAPI()
    install_problem_handlers(application)
    application.add_middleware(JsonBodyGuard, max_bytes=1024)

    @application.post("/things")
    async def create(thing: Thing) -> Thing:
        handled.append(thing.name)
        if thing.name == "taken":
            raise Conflict("That name is taken.", field="name")
        if thing.name == "boom":
            raise RuntimeError("bug")
        return thing

    return application


@pytest.fixture
async def client():
    handled.clear()
    transport = httpx.ASGITransport(app=app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


def assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["type"]
    return body


async def test_invalid_fields_are_listed_one_by_one(client):
    body = assert_problem(await client.post("/things", json={"size": "big"}), 422)
    fields = {e["field"]: e for e in body["errors"]}
    assert set(fields) == {"name", "size"}
    assert fields["name"]["type"] == "missing"
    assert handled == []


async def test_malformed_json_is_a_400(client):
    response = await client.post(
        "/things", content=b'{"name": "x", ', headers={"content-type": "application/json"}
    )
    assert assert_problem(response, 400)["title"] == "Malformed JSON"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
async def test_a_body_that_is_not_json_is_a_415(client, content_type):
    response = await client.post(
        "/things", content=b"name=x&size=1", headers={"content-type": content_type}
    )
    assert_problem(response, 415)
    assert handled == []


async def test_an_oversized_body_is_a_413(client):
    response = await client.post("/things", json={"name": "x" * 5000, "size": 1})
    assert_problem(response, 413)
    assert handled == []


async def test_domain_errors_keep_their_status_and_extensions(client):
    body = assert_problem(await client.post("/things", json={"name": "taken", "size": 1}), 409)
    assert body["field"] == "name"
    assert body["instance"] == "/things"


async def test_an_unknown_route_is_a_problem_too(client):
    assert_problem(await client.get("/nowhere"), 404)


async def test_a_bug_is_a_500_problem_that_does_not_leak_the_exception(client):
    body = assert_problem(await client.post("/things", json={"name": "boom", "size": 1}), 500)
    assert "bug" not in body["detail"]


async def test_an_extension_named_like_a_standard_member_is_left_out_not_a_500():
    """`status=` meant as a record's status (say) must not turn a 409 into a 500, nor an
    extension named `type` change what the problem is."""
    application = FastAPI()
    install_problem_handlers(application)

    @application.get("/clash")
    async def clash() -> None:
        raise Conflict("Already closed.", status="closed", type="x", detail="y", field="status")

    transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        response = await c.get("/clash")
    assert response.status_code == 409
    assert response.json() == {
        "type": "https://docs.dotmac.example/problems/conflict",
        "title": "Conflict",
        "status": 409,
        "detail": "Already closed.",
        "instance": "/clash",
        "field": "status",
    }
