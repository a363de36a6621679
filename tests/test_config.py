"""Configuration: defaults, parsing, and that every variable is documented."""

import re
from pathlib import Path

import pytest

from seedance_ui.config import ConfigError, load_settings
from seedance_ui.options import DEFAULT_BASE_URL

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_with_empty_environment():
    s = load_settings({})
    assert s.api_key == ""
    assert s.demo_mode
    assert s.base_url == DEFAULT_BASE_URL
    assert s.data_dir == Path("data")
    assert s.poll_interval == 5.0
    assert (s.server_name, s.server_port) == ("127.0.0.1", 7860)


def test_values_are_read_and_the_key_stays_out_of_repr():
    s = load_settings(
        {
            "EVOLINK_API_KEY": "sk-secret-123",
            "EVOLINK_BASE_URL": "http://127.0.0.1:9000/",
            "SEEDANCE_DATA_DIR": "/tmp/x",
            "SEEDANCE_POLL_INTERVAL": "0.5",
            "GRADIO_SERVER_NAME": "0.0.0.0",
            "GRADIO_SERVER_PORT": "8080",
        }
    )
    assert not s.demo_mode
    assert s.base_url == "http://127.0.0.1:9000"
    assert s.data_dir == Path("/tmp/x")
    assert s.poll_interval == 0.5
    assert (s.server_name, s.server_port) == ("0.0.0.0", 8080)
    assert "sk-secret-123" not in repr(s)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SEEDANCE_POLL_INTERVAL", "fast"),
        ("SEEDANCE_POLL_INTERVAL", "0"),
        ("SEEDANCE_MAX_JOBS_IN_FLIGHT", "1.5"),
        ("GRADIO_SERVER_PORT", "-1"),
    ],
)
def test_bad_values_name_the_variable(name, value):
    with pytest.raises(ConfigError, match=name):
        load_settings({name: value})


def test_dotenv_file_is_read(tmp_path, monkeypatch):
    env_file = tmp_path / ".env"
    env_file.write_text("SEEDANCE_MAX_JOBS_PER_OWNER=7\n")
    monkeypatch.delenv("SEEDANCE_MAX_JOBS_PER_OWNER", raising=False)
    assert load_settings(dotenv_path=env_file).max_jobs_per_owner == 7


def test_every_variable_is_documented_in_env_example_and_readme():
    source = (ROOT / "seedance_ui" / "config.py").read_text()
    names = set(re.findall(r'"((?:EVOLINK|SEEDANCE|GRADIO)_[A-Z_]+)"', source))
    assert len(names) >= 10
    example = (ROOT / ".env.example").read_text()
    readme = (ROOT / "README.md").read_text()
    for name in names:
        assert re.search(rf"^{name}=", example, re.M), f"{name} missing from .env.example"
        assert name in readme, f"{name} missing from README.md"


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "studio.example"])
def test_mocked_sign_in_is_refused_off_loopback(host):
    """Without real OAuth credentials Gradio signs its session cookie with a fixed public key."""
    env = {"SEEDANCE_SIGN_IN": "1", "GRADIO_SERVER_NAME": host}
    with pytest.raises(ConfigError, match=r"GRADIO_SERVER_NAME=127\.0\.0\.1"):
        load_settings(env, dotenv_path=None)
    with pytest.raises(ConfigError, match="SEEDANCE_SIGN_IN"):  # a Space without its OAuth secret too
        load_settings({**env, "SPACE_ID": "me/studio", "OAUTH_CLIENT_ID": "x"}, dotenv_path=None)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_mocked_sign_in_is_allowed_on_loopback_and_real_oauth_anywhere(host):
    assert load_settings({"SEEDANCE_SIGN_IN": "1", "GRADIO_SERVER_NAME": host}, dotenv_path=None).sign_in
    real = {"SEEDANCE_SIGN_IN": "auto", "GRADIO_SERVER_NAME": "0.0.0.0", "SPACE_ID": "me/studio",
            "OAUTH_CLIENT_ID": "id", "OAUTH_CLIENT_SECRET": "secret"}
    settings = load_settings(real, dotenv_path=None)
    assert settings.sign_in and settings.on_space and settings.trust_proxy
