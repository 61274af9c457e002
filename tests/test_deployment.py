"""Static checks of the deployment files (no Docker engine needed).

They guard the properties a reviewer would otherwise have to re-check by hand on every change:
pinned images, loopback-only ports, non-root container, and compose settings that the gateway's
``Settings`` actually understands.
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from gateway.policy.goruntime import RECOMMENDED_GOGC
from gateway.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"

BASE_IMAGE = "python:3.11-slim-bookworm"
POSTGRES_IMAGE = "postgres:16.4-bookworm"
PASSWORD_REF = "${POSTGRES_PASSWORD}"


# --------------------------------------------------------------------------- helpers


def _project_version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as fh:
        return tomllib.load(fh)["project"]["version"]


def _image_tag(image: str) -> str | None:
    """Tag of an image reference, or None; a registry port (``host:5000/x``) is not a tag."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # ["KEY=value", ...] form
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


@dataclass(frozen=True)
class Mount:
    source: str
    target: str
    read_only: bool


def _mounts(service: dict[str, Any]) -> list[Mount]:
    mounts = []
    for vol in service.get("volumes") or []:
        if isinstance(vol, str):
            parts = vol.split(":")
            options = parts[2].split(",") if len(parts) > 2 else []
            mounts.append(Mount(parts[0], parts[1], "ro" in options))
        else:
            mounts.append(Mount(vol["source"], vol["target"], bool(vol.get("read_only", False))))
    return mounts


def _mount_at(service: dict[str, Any], target: str) -> Mount:
    found = [m for m in _mounts(service) if m.target == target]
    assert len(found) == 1, f"expected exactly one mount at {target}, got {found}"
    return found[0]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


@dataclass
class Stage:
    base: str
    alias: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def args(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]


def _parse_dockerfile(text: str) -> list[Stage]:
    """Minimal Dockerfile reader: joins ``\\`` continuations, drops comments, splits stages."""
    logical: list[str] = []
    buf = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):  # Docker ignores both, even mid-continuation
            continue
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        logical.append(buf + line)
        buf = ""
    assert not buf, "dangling line continuation at end of Dockerfile"

    stages: list[Stage] = []
    for line in logical:
        keyword, _, args = line.partition(" ")
        keyword, args = keyword.upper(), args.strip()
        if keyword == "FROM":
            words = args.split()
            words = [w for w in words if not w.startswith("--platform")]
            alias = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base=words[0], alias=alias))
        else:
            assert stages, f"instruction before the first FROM: {line}"
            stages[-1].instructions.append((keyword, args))
    return stages


def _env_of(stage: Stage) -> dict[str, str]:
    env: dict[str, str] = {}
    for args in stage.args("ENV"):
        for token in shlex.split(args):
            key, sep, value = token.partition("=")
            assert sep, f"use ENV KEY=value, not the legacy 'ENV KEY value': {args}"
            env[key] = value
    return env


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    return _parse_dockerfile(DOCKERFILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def final(stages: list[Stage]) -> Stage:
    return stages[-1]


# --------------------------------------------------------------------------- compose


def test_compose_has_no_obsolete_version_key(compose: dict[str, Any]) -> None:
    assert "version" not in compose


def test_compose_services_are_exactly_postgres_opa_and_gateway(services: dict[str, Any]) -> None:
    """Plus the retention job, which `up` does not start (profile ``jobs``)."""
    assert set(services) == {"postgres", "opa", "gateway", "retention"}
    started = {name for name, service in services.items() if not service.get("profiles")}
    assert started == {"postgres", "opa", "gateway"}


def test_compose_retention_job_alone_may_write_the_key_store(services: dict[str, Any]) -> None:
    job, gateway = services["retention"], services["gateway"]
    assert job["profiles"] == ["jobs"] and "restart" not in job
    assert job["command"] == ["gateway", "retention", "run"]
    assert job["image"] == gateway["image"]
    env = job["environment"]
    # The same database, policies, engine and keys as the gateway it keeps.
    assert dict(env) == {k: v for k, v in gateway["environment"].items() if k != "GATEWAY_HOST"}
    keys = _mount_at(job, env["GATEWAY_PRIVATE_KEYS_DIR"])
    assert keys.source == "./secrets/gateway-keys" and not keys.read_only
    assert _mount_at(job, "/app/policies").read_only
    assert job["read_only"] is True and job["cap_drop"] == ["ALL"]


def test_compose_opa_is_the_embedded_engines_version_with_policies_mounted(
    services: dict[str, Any],
) -> None:
    opa = services["opa"]
    makefile = (ROOT / "Makefile").read_text()
    assert "opa-golib-python-bindings==0.4.4" in makefile  # bundles OPA v1.20.2
    assert opa["image"] == "openpolicyagent/opa:1.20.2"
    assert opa["command"][:2] == ["run", "--server"] and opa["command"][-1] == "/policies"
    # In mount mode (GATEWAY_OPA_PUSH=false) OPA must reload changed files itself, or the
    # gateway's revision check fails after a policy reload until OPA restarts.
    assert "--watch" in opa["command"] or "-w" in opa["command"]
    assert _env(services["gateway"])["GATEWAY_OPA_PUSH"] == "false"
    mount = _mount_at(opa, "/policies")
    assert mount.source == "./policies" and mount.read_only is True
    assert not opa.get("ports")
    env = _env(services["gateway"])
    assert env["GATEWAY_POLICY_ENGINE"] == "opa" and env["GATEWAY_OPA_URL"] == "http://opa:8181"
    assert services["gateway"]["depends_on"]["opa"]


def test_compose_images_are_pinned(services: dict[str, Any]) -> None:
    for name, service in services.items():
        image = service.get("image")
        assert image, f"{name}: no image"
        tag = _image_tag(image)
        assert tag, f"{name}: image {image!r} has no tag"
        assert tag != "latest", f"{name}: image {image!r} uses latest"
    assert services["postgres"]["image"] == POSTGRES_IMAGE
    assert services["gateway"]["image"] == f"mensenhandel-gateway:{_project_version()}"


def test_compose_gateway_builds_from_the_dockerfile(services: dict[str, Any]) -> None:
    build = services["gateway"]["build"]
    if isinstance(build, str):
        build = {"context": build}
    assert build["context"] == "."
    assert build.get("dockerfile", "Dockerfile") == "Dockerfile"


def test_compose_ports_bound_to_loopback_only(services: dict[str, Any]) -> None:
    for name, service in services.items():
        for port in service.get("ports") or []:
            if isinstance(port, dict):
                assert port.get("host_ip") == "127.0.0.1", f"{name}: {port}"
            else:
                assert isinstance(port, str), f"{name}: quote port mappings, got {port!r}"
                assert port.startswith("127.0.0.1:"), f"{name}: {port} is not loopback-only"
    assert services["gateway"]["ports"] == ["127.0.0.1:8080:8080"]
    # The database is reached over the compose network, never from the host.
    assert not services["postgres"].get("ports")


def test_compose_postgres_data_on_named_volume(
    compose: dict[str, Any], services: dict[str, Any]
) -> None:
    data = _mount_at(services["postgres"], "/var/lib/postgresql/data")
    assert "/" not in data.source and not data.source.startswith("."), "not a named volume"
    assert data.source in (compose.get("volumes") or {})


def test_compose_postgres_password_is_required(services: dict[str, Any]) -> None:
    password = _env(services["postgres"])["POSTGRES_PASSWORD"]
    assert re.fullmatch(r"\$\{POSTGRES_PASSWORD:\?[^}]+\}", password), password


def test_compose_gateway_env_vars_are_settings_fields(services: dict[str, Any]) -> None:
    prefix = Settings.model_config["env_prefix"]
    known = {prefix + name.upper() for name in Settings.model_fields}
    used = {k for k in _env(services["gateway"]) if k.startswith(prefix)}
    assert used, "gateway sets no GATEWAY_* variables"
    assert used <= known, f"unknown settings: {sorted(used - known)}"
    assert {
        "GATEWAY_DATABASE_URL",
        "GATEWAY_HOST",
        "GATEWAY_KEYS_DIR",
        "GATEWAY_PRIVATE_KEYS_DIR",
        "GATEWAY_POLICIES_DIR",
    } <= used


def test_compose_gateway_env_is_accepted_by_settings(
    services: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in _env(services["gateway"]).items():
        monkeypatch.setenv(key, value.replace(PASSWORD_REF, "s3cret"))
    settings = Settings()
    assert settings.host == "0.0.0.0"
    assert settings.keys_dir == Path("/app/keys")
    assert settings.policies_dir == Path("/app/policies")
    assert settings.private_keys_dir == Path("/run/secrets/gateway-keys")
    assert not settings.is_sqlite


def test_compose_database_url_targets_postgres_service(services: dict[str, Any]) -> None:
    url = urlsplit(_env(services["gateway"])["GATEWAY_DATABASE_URL"])
    assert url.scheme == "postgresql+psycopg"
    assert url.hostname == "postgres"
    assert url.port == 5432
    assert url.password == PASSWORD_REF
    # User and database must be the ones the postgres image creates on first start.
    pg_env = _env(services["postgres"])
    assert url.username == pg_env["POSTGRES_USER"] == "gateway"
    assert url.path.lstrip("/") == pg_env["POSTGRES_DB"] == "gateway"


def test_compose_postgres_healthcheck_uses_pg_isready(services: dict[str, Any]) -> None:
    test = services["postgres"]["healthcheck"]["test"]
    command = " ".join(test) if isinstance(test, list) else test
    assert "pg_isready" in command
    assert "-U gateway" in command and "-d gateway" in command


def test_compose_gateway_waits_for_healthy_postgres(services: dict[str, Any]) -> None:
    depends_on = services["gateway"]["depends_on"]
    assert isinstance(depends_on, dict), "short depends_on form cannot wait for health"
    assert depends_on["postgres"]["condition"] == "service_healthy"


def test_compose_gateway_mounts_are_read_only(services: dict[str, Any]) -> None:
    gateway = services["gateway"]
    env = _env(gateway)
    policies = _mount_at(gateway, env["GATEWAY_POLICIES_DIR"])
    assert policies.source == "./policies" and policies.read_only
    keys = _mount_at(gateway, env["GATEWAY_PRIVATE_KEYS_DIR"])
    assert keys.source == "./secrets/gateway-keys" and keys.read_only
    # Every bind mount of the gateway is read-only: it has no business writing to the host.
    assert all(m.read_only for m in _mounts(gateway))


def test_compose_gateway_is_hardened(services: dict[str, Any]) -> None:
    gateway = services["gateway"]
    assert gateway["read_only"] is True
    assert "/tmp" in gateway["tmpfs"]
    for name, service in services.items():
        if service.get("profiles"):
            continue  # a one-off job, run by `docker compose run --rm`
        assert service.get("restart") in {"always", "unless-stopped", "on-failure"}, name


# --------------------------------------------------------------------------- Dockerfile


def test_dockerfile_is_multi_stage_on_pinned_base(stages: list[Stage]) -> None:
    assert len(stages) >= 2
    aliases = {s.alias for s in stages if s.alias}
    for stage in stages:
        if stage.base in aliases:
            continue
        assert stage.base == BASE_IMAGE, stage.base
        assert _image_tag(stage.base) not in (None, "latest")


def test_dockerfile_builder_installs_project_without_dev_extras(stages: list[Stage]) -> None:
    installs = [
        args for stage in stages[:-1] for args in stage.args("RUN") if "pip install" in args
    ]
    assert any(re.search(r"pip install\s+\.(\s|$)", args) for args in installs), installs
    assert not any("[dev]" in args or "-e " in args for args in installs), installs


def test_dockerfile_final_stage_copies_venv_policies_and_public_keys(
    stages: list[Stage], final: Stage
) -> None:
    builder = stages[0].alias
    copies = final.args("COPY")
    assert any(c.startswith(f"--from={builder} ") and "/opt/venv" in c for c in copies), copies
    assert any(c.split()[0].rstrip("/") == "policies" for c in copies), copies
    assert any(c.split()[0].rstrip("/") == "keys" for c in copies), copies
    assert not any("keys/dev" in c for c in copies), copies
    assert "libsodium23" in " ".join(final.args("RUN"))


def test_dockerfile_runs_as_non_root_uid_10001(final: Stage) -> None:
    users = final.args("USER")
    assert users, "final stage has no USER"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    assert user == "10001"
    assert any("--uid 10001" in run for run in final.args("RUN"))


def test_dockerfile_exposes_8080(final: Stage) -> None:
    assert "8080" in " ".join(final.args("EXPOSE")).replace("/tcp", "").split()


def test_dockerfile_healthcheck_probes_healthz_with_urllib(final: Stage) -> None:
    checks = final.args("HEALTHCHECK")
    assert len(checks) == 1
    _, _, cmd = checks[0].partition("CMD ")
    argv = json.loads(cmd)  # exec form: no shell needed in the slim image
    assert argv[:2] == ["python", "-c"]
    code = argv[2]
    assert "urllib.request" in code and "http://127.0.0.1:8080/healthz" in code
    compile(code, "<healthcheck>", "exec")


def test_dockerfile_cmd_serves_on_all_interfaces(final: Stage) -> None:
    cmds = final.args("CMD")
    assert cmds, "final stage has no CMD"
    assert json.loads(cmds[-1]) == ["gateway", "serve"]
    env = _env_of(final)
    assert env["GATEWAY_HOST"] == "0.0.0.0"
    prefix = Settings.model_config["env_prefix"]
    known = {prefix + name.upper() for name in Settings.model_fields}
    assert {k for k in env if k.startswith(prefix)} <= known
    # keys/dev is not in the image, so the default keys_dir must be overridden.
    assert env["GATEWAY_KEYS_DIR"] == "/app/keys"


def test_image_and_make_run_start_the_go_runtime_with_the_recommended_gogc(final: Stage) -> None:
    # Go reads GOGC only from the environment the process starts with (goruntime.py), so it is
    # set where the process is started: the image's ENV and the README's `make run`.
    assert _env_of(final)["GOGC"] == RECOMMENDED_GOGC
    run = re.search(r"^run:.*?(?=^\S|\Z)", (ROOT / "Makefile").read_text(), re.M | re.S)
    assert run is not None
    assert f"GOGC=$${{GOGC:-{RECOMMENDED_GOGC}}} $(BIN)/gateway serve" in run.group(0)


def test_dockerignore_keeps_secrets_and_local_state_out() -> None:
    entries = {
        line.strip().rstrip("/")
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".venv", "var", "keys/dev", ".git", "secrets"} <= entries
