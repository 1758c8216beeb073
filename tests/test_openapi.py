"""OpenAPI services as tool sources, against a real HTTP service on 127.0.0.1.

`servers/openapi_shop.py` is a FastAPI app served by uvicorn; its own `/openapi.json` is the
spec. GET with path and query parameters, POST with a JSON body, an auth header from an
environment variable, 4xx answers with an error body, and the side-effect policy asserted
on the service's own state.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from conftest import assert_one_error_line, free_port, run_ste
from ste.tools import execute, load_tools

SHOP = Path(__file__).parent / "servers" / "openapi_shop.py"
KEY = "shop-secret-4242"


@pytest.fixture(scope="module")
def shop() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(SHOP), str(port)],
        env={**os.environ, "SHOP_KEY": KEY},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/openapi.json", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("the shop service did not start")
    yield url
    process.kill()
    process.wait()


@pytest.fixture
def config(shop: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The spec saved as YAML beside a config that names the base URL and the key."""
    monkeypatch.setenv("SHOP_KEY_FOR_STE", KEY)
    spec = tmp_path / "shop.yaml"
    spec.write_text(yaml.safe_dump(httpx.get(f"{shop}/openapi.json").json()))
    path = tmp_path / "tools.json"
    service = {
        "spec": "shop.yaml",
        "base_url": shop,
        "headers": {"X-Api-Key": "${SHOP_KEY_FOR_STE}"},
    }
    path.write_text(json.dumps({"openapiServices": {"shop": service}}))
    return path


def by_name(source: str) -> dict:
    return {t.name: t for t in load_tools(source)}


async def test_operations_become_tools_with_one_schema(shop):
    tools = by_name(f"{shop}/openapi.json")  # the document's URL; its server is the service
    assert {"get_item", "list_items", "create_order", "cancel_order", "list_orders"} <= set(tools)
    get_item = tools["get_item"]
    assert get_item.description == "One item with its price."
    assert get_item.parameters["required"] == ["item_id"]
    assert get_item.parameters["properties"]["currency"]["enum"] == ["EUR", "USD", "GBP"]
    order = tools["create_order"].parameters  # the JSON body's fields ($ref resolved) merged in
    assert {"item_id", "quantity", "gift"} <= set(order["properties"])
    assert order["properties"]["quantity"]["maximum"] == 10
    assert (tools["get_item"].effect, tools["get_item"].effect_from) == ("read_only", "HTTP GET")
    assert tools["create_order"].effect == "side_effecting"
    assert tools["cancel_order"].effect_from == "HTTP DELETE"


async def test_get_with_path_and_query_parameters(shop):
    tools = by_name(f"{shop}/openapi.json")
    priced = await execute(tools["get_item"], {"item_id": 2, "currency": "USD"})
    assert priced.ok and priced.value == {"id": 2, "name": "lamp", "price": 44.0, "currency": "USD"}
    kitchen = await execute(tools["list_items"], {"tag": "kitchen", "limit": 1})
    assert kitchen.ok and kitchen.value == [{"id": 1, "name": "kettle"}]


async def test_a_4xx_is_an_error_observation_with_status_and_body(shop):
    tools = by_name(f"{shop}/openapi.json")
    missing = await execute(tools["get_item"], {"item_id": 9})
    assert not missing.ok and missing.error_kind == "tool_error"
    assert "HTTP 404" in missing.observation and "no item 9; items are 1-3" in missing.observation
    no_key = await execute(tools["create_order"], {"item_id": 1, "quantity": 1})
    assert "HTTP 401" in no_key.observation and "X-Api-Key" in no_key.observation


async def test_post_with_a_json_body_and_a_key_from_the_environment(config):
    tools = by_name(str(config))
    assert "x-api-key" not in tools["create_order"].parameters["properties"]  # not the model's
    placed = await execute(tools["create_order"], {"item_id": 3, "quantity": 2, "gift": True})
    assert placed.ok and placed.value["quantity"] == 2 and placed.value["gift"] is True
    too_many = await execute(tools["create_order"], {"item_id": 3, "quantity": 50})
    assert too_many.error_kind == "invalid_arguments"  # the schema, before any request


async def test_a_credential_never_reaches_an_observation(config):
    echoed = await execute(by_name(str(config))["whoami"], {})
    assert echoed.ok and KEY not in echoed.observation and "***" in echoed.observation


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("openapi: 3.1.0\ninfo: {title: x}\npaths: {}\n", "invalid OpenAPI document"),
        ("swagger: '2.0'\n", "not an OpenAPI 3.x document"),
        ("openapi: [unclosed\n", "not valid JSON or YAML"),
        (
            "openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths:\n  /a:\n    get:\n"
            "      responses: {'200': {description: ok}}\n",
            "no absolute server URL",
        ),
    ],
)
def test_an_invalid_document_is_one_clear_line(tmp_path, document, message):
    path = tmp_path / "openapi.yaml"
    path.write_text(document)
    assert_one_error_line(run_ste("tools", str(path)), message)


def test_side_effects_reach_the_service_only_when_allowed(config, shop, tmp_path):
    from ste.testing.scripted_endpoint import ScriptedEndpoint

    def orders() -> dict:
        return httpx.get(f"{shop}/orders").json()["orders"]

    before = len(orders())
    with ScriptedEndpoint(tool_arguments=lambda _n: {"item_id": 1, "quantity": 1}) as endpoint:
        common = [
            "explore",
            str(config),
            "--model",
            "openai:scripted",
            "--base-url",
            endpoint.base_url,
            "--episodes",
            "1",
            "--trials",
            "1",
            "--only",
            "create_order",
        ]
        env = {"SHOP_KEY_FOR_STE": KEY}
        held = run_ste(*common, "--out", str(tmp_path / "held"), env=env)
        assert held.returncode == 0, held.stderr
        assert len(orders()) == before  # nothing was ordered
        ran = run_ste(
            *common, "--out", str(tmp_path / "ran"), "--allow-side-effects", "all", env=env
        )
        assert ran.returncode == 0, ran.stderr
    assert len(orders()) == before + 1
    for run in ("held", "ran"):  # the key is in no run file
        for path in (tmp_path / run).rglob("*"):
            if path.is_file():
                assert KEY not in path.read_text(errors="replace"), path


def test_eval_on_a_benchmark_folder_holding_an_openapi_document(shop, tmp_path):
    from ste.testing.scripted_endpoint import ScriptedEndpoint

    bench = tmp_path / "bench"
    bench.mkdir()
    document = httpx.get(f"{shop}/openapi.json").json()
    document["servers"] = [{"url": shop}]  # a bare document names its server
    (bench / "openapi.json").write_text(json.dumps(document))
    items = [
        {"id": "p1", "query": "Price of item 2 in dollars?", "tools": ["get_item"],
         "expected": [{"name": "get_item", "arguments": {"item_id": 2, "currency": "USD"}}]},
        {"id": "p2", "query": "Price of item 3 in pounds?", "tools": ["get_item"],
         "expected": [{"name": "get_item", "arguments": {"item_id": 3, "currency": "GBP"}}]},
    ]  # fmt: skip
    (bench / "tests.jsonl").write_text("".join(json.dumps(i) + "\n" for i in items))
    with ScriptedEndpoint(tool_arguments=lambda _n: {"item_id": 2, "currency": "USD"}) as endpoint:
        result = run_ste(
            "eval", str(bench / "tests.jsonl"), "--model", "openai:scripted", "--base-url",
            endpoint.base_url, "--out", str(tmp_path / "results"),
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    records = {
        r["id"]: r
        for r in map(json.loads, (tmp_path / "results" / "items.jsonl").read_text().splitlines())
    }
    assert records["p1"]["correct"] and records["p1"]["exec_equivalent"]  # a real GET, twice
    assert records["p2"]["api_match"] and not records["p2"]["correct"]
