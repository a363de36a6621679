"""The reference deployment (#22 item 7) is consistent with the app and with itself, without Docker.

deploy/compose.yaml is read with PyYAML (merge keys and all): its services, what each replica is given
(every SEEDANCE_* variable is one config.py reads, and the whole environment passes `load_settings`), the
secrets it interpolates come from deploy/studio.env.example, and the replica names, addresses and ports
are those deploy/nginx.conf routes to. The nginx file passes `nginx -t` as the tests render it
(tests/nginx_server.py). The running topology is tests/test_replicas_nginx.py.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from nginx_server import CONF, REPLICA_PORT, check_config, render

from seedance_ui.config import ConfigError, load_settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / "studio.env.example"
REPLICAS = ("studio-a", "studio-b")
SERVICES = {"postgres", "minio", "minio-init", *REPLICAS, "nginx"}
INTERPOLATION = re.compile(r"\$\{(\w+)(?::([?-])([^}]*))?\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def _example_env() -> dict[str, str]:
    pairs = (line.split("=", 1) for line in ENV_EXAMPLE.read_text().splitlines()
             if line.strip() and not line.startswith("#"))
    return {name.strip(): value.strip() for name, value in pairs}


def _interpolate(value: Any, variables: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default} and ${NAME:?error}, then $$ -> $, with `variables` set."""
    def one(match: re.Match[str]) -> str:
        name, kind, rest = match.groups()
        if variables.get(name):
            return variables[name]
        assert kind == "-", f"${{{name}}} has no value in {ENV_EXAMPLE.name} and no default"
        return rest

    return INTERPOLATION.sub(one, str(value)).replace("$$", "$")


def _settings_names() -> set[str]:
    return set(re.findall(r'"(SEEDANCE_\w+)"', (ROOT / "seedance_ui" / "config.py").read_text()))


def test_the_services_are_the_topology_of_the_issue(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == SERVICES
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["minio"]["image"].startswith("minio/minio")
    init = services["minio-init"]
    assert init["restart"] == "no"
    assert "mc mb --ignore-existing local/seedance-media" in " ".join(init["command"])
    nginx = services["nginx"]
    assert "./nginx.conf:/etc/nginx/nginx.conf:ro" in nginx["volumes"]
    assert nginx["ports"] == ["8080:80"]  # the only published port
    assert all("ports" not in services[name] for name in SERVICES - {"nginx"})


def test_each_replica_is_the_repositorys_image_with_settings_the_app_reads(compose: dict[str, Any]) -> None:
    known = _settings_names()
    secrets = _example_env()
    assert {key for key in secrets if key.startswith("SEEDANCE_")} <= known  # the env file's too
    for name in REPLICAS:
        replica = compose["services"][name]
        build = replica["build"]
        assert (COMPOSE.parent / build["context"] / build["dockerfile"]).resolve() == ROOT / "Dockerfile"
        assert replica["env_file"] == ["studio.env"] and "EVOLINK_API_KEY" in secrets
        env = {key: _interpolate(value, secrets | {"POSTGRES_PASSWORD": "pw", "MINIO_ROOT_PASSWORD": "pw"})
               for key, value in replica["environment"].items()}
        unknown = {key for key in env if key.startswith("SEEDANCE_")} - known
        assert not unknown, f"{name} sets variables seedance_ui/config.py does not read: {unknown}"
        settings = load_settings({**env, "EVOLINK_API_KEY": "sk-x"}, dotenv_path=None)
        assert settings.replica_name == name
        assert settings.database_url == "postgresql://seedance:pw@postgres:5432/seedance"
        assert settings.media_url == "s3://seedance-media/studio" and settings.trust_proxy == 1
        assert {"AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} <= set(env)
        assert replica["depends_on"]["minio-init"] == {"condition": "service_completed_successfully"}
        assert replica["volumes"] == [f"{name}-data:/data"]  # each its own data directory


def test_the_database_and_bucket_the_replicas_use_are_the_ones_compose_makes(compose: dict[str, Any]) -> None:
    services = compose["services"]
    postgres = services["postgres"]["environment"]
    url = services["studio-a"]["environment"]["SEEDANCE_DATABASE_URL"]
    assert url.startswith(f"postgresql://{postgres['POSTGRES_USER']}:")
    assert url.endswith(f"@postgres:5432/{postgres['POSTGRES_DB']}")
    bucket = services["studio-a"]["environment"]["SEEDANCE_MEDIA_URL"].split("/")[2]
    assert f"local/{bucket}" in " ".join(services["minio-init"]["command"])


def test_nginx_routes_each_replica_name_to_that_replica_at_its_fixed_address(compose: dict[str, Any]) -> None:
    conf = CONF.read_text()
    services = compose["services"]
    hosts = dict(entry.split(":") for entry in services["nginx"]["extra_hosts"])
    for name in REPLICAS:
        route = re.search(rf"^\s*{name} studio_{name[-1]};$", conf, re.M)
        assert route, f"the route cookie {name} maps nowhere"
        assert f"server {name}:{REPLICA_PORT} max_fails" in conf.split(f"upstream studio_{name[-1]} {{")[1]
        assert hosts[name] == services[name]["networks"]["studio"]["ipv4_address"]


def test_nginx_conf_passes_nginx_t(tmp_path: Path) -> None:
    rendered = tmp_path / "nginx.conf"
    rendered.write_text(render(CONF.read_text(), {name: "127.0.0.1:9" for name in REPLICAS}, "127.0.0.1:8",
                               tmp_path))
    checked = check_config(rendered, tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr


@pytest.mark.parametrize("value", ["Studio-A", "studio a", "studio-a;Path=/x", "-a", "x" * 33])
def test_a_replica_name_that_is_no_plain_cookie_value_stops_the_app_naming_the_variable(value: str) -> None:
    with pytest.raises(ConfigError, match=r"^SEEDANCE_REPLICA_NAME must be unset or 1-32 lowercase "):
        load_settings({"SEEDANCE_REPLICA_NAME": value}, dotenv_path=None)
    assert load_settings({"SEEDANCE_REPLICA_NAME": "studio-b2"}, dotenv_path=None).replica_name == "studio-b2"
    assert load_settings({}, dotenv_path=None).replica_name == ""
