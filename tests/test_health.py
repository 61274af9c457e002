"""Liveness, readiness, metrics, problem documents and OpenAPI over a real server."""

from __future__ import annotations

import shutil

import httpx

from gateway.runtime import Runtime
from gateway.storage.database import create_db_engine
from tests.support import live_server


def test_healthz_and_readyz_when_everything_is_up(server):
    url, _ = server
    assert httpx.get(url + "/healthz").json() == {"status": "ok"}
    ready = httpx.get(url + "/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "checks": {
            "database": "ok",
            "keys": "ok",
            "release_key": "ok",
            "policy": "ok",
            "policy_directory": "ok",
        },
    }


def test_readyz_fails_with_a_problem_when_the_database_is_down(settings):
    dead = create_db_engine(
        "postgresql+psycopg://postgres@127.0.0.1:1/test", connect_args={"connect_timeout": 1}
    )
    rt = Runtime.build(settings, engine=dead)
    with live_server(rt) as url:
        assert httpx.get(url + "/healthz").status_code == 200
        ready = httpx.get(url + "/readyz", timeout=10)
    assert ready.status_code == 503
    assert ready.headers["content-type"] == "application/problem+json"
    assert ready.headers["retry-after"] == "5"
    assert ready.json()["checks"]["database"] == "unavailable"
    dead.dispose()


def test_readyz_fails_without_a_current_release_key(settings, engine, tmp_path):
    """Adapters seal to the current release key: without it the gateway is not ready."""
    private = tmp_path / "private"
    shutil.copytree(settings.private_keys_dir, private)
    rt = Runtime.build(settings.model_copy(update={"private_keys_dir": private}), engine=engine)
    with live_server(rt) as url:
        assert httpx.get(url + "/readyz").status_code == 200
        for key in rt.release_keys.keys():
            key.path.unlink()
        ready = httpx.get(url + "/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["release_key"] == "no current release key"


def test_unknown_routes_and_methods_are_problems(server):
    url, _ = server
    missing = httpx.get(url + "/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["type"] == "/problems/not-found"
    wrong_method = httpx.delete(url + "/v1/signals")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["type"] == "/problems/method-not-allowed"


def test_problem_types_are_described_by_the_gateway(server):
    url, _ = server
    described = httpx.get(url + "/problems/unauthenticated").json()
    assert described["status"] == 401 and described["title"] == "Niet geauthenticeerd"
    assert httpx.get(url + "/problems/bestaat-niet").status_code == 404


def test_openapi_lists_the_signal_endpoints(server):
    url, _ = server
    paths = httpx.get(url + "/openapi.json").json()["paths"]
    assert {"/v1/signals", "/v1/signals/{ref}/status", "/healthz", "/readyz", "/metrics"} <= set(
        paths
    )


def test_metrics_are_prometheus_text(server):
    url, _ = server
    httpx.get(url + "/healthz")
    text = httpx.get(url + "/metrics").text
    assert (
        'gateway_http_request_duration_seconds_count{method="GET",route="/healthz",status="200"}'
        in text
    )
