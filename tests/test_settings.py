"""bot/settings.py: one declaration per setting, checked at start-up, and the README table made from it."""
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO

from bot.errors import ConfigError
from bot.settings import Settings, settings_table


def test_defaults_need_no_environment():
    settings = Settings.from_env({})
    assert settings.port == 7860 and settings.multilingual is True and settings.allowed_origins == ()


@pytest.mark.parametrize("name, raw, says", [
    ("BOT_PORT", "abc", "expected int 1-65535"), ("BOT_PORT", "-5", "expected int 1-65535"),
    ("BOT_ANSWER_WORKERS", "0", "expected int 1-64"), ("BOT_ANSWER_TIMEOUT_SECONDS", "0", "float 0.1-600"),
    ("BOT_ACCENT_COLOR", "red", "`#rgb` or `#rrggbb`"), ("BOT_WIDGET_POSITION", "top", "`bottom-right` or"),
    ("BOT_MULTILINGUAL", "maybe", "true/false"), ("BOT_ALLOWED_ORIGINS", "example.org", "origins like"),
    ("BOT_LOGO_URL", "http://x/logo.png", "matching"),
])
def test_a_bad_value_names_the_variable_and_what_is_allowed(name, raw, says):
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({name: raw})
    assert str(caught.value).startswith(f"{name}={raw!r}") and says in str(caught.value)


def test_good_values_are_parsed():
    settings = Settings.from_env({"BOT_PORT": "8080", "BOT_ALLOWED_ORIGINS": "https://a.org, http://b.org:8000",
                                  "BOT_TRUST_PROXY_HEADERS": "on", "BOT_ACCENT_COLOR": "#abc"})
    assert settings.port == 8080 and settings.allowed_origins == ("https://a.org", "http://b.org:8000")
    assert settings.trust_proxy_headers is True and settings.accent_color == "#abc"


def test_the_readme_table_is_the_generated_one():
    readme = (REPO / "README.md").read_text()
    block = readme.split("<!-- settings:start -->\n", 1)[1].split("\n<!-- settings:end -->", 1)[0]
    assert block == settings_table(), "README settings table is stale: paste `python -m bot.settings` into it"
    assert settings_table().count("\n| `BOT_") == len(Settings.__dataclass_fields__)


def test_the_app_stops_with_one_clean_line_on_a_bad_setting(tmp_path):
    env = {"BOT_PORT": "abc", "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "HOME": str(tmp_path)}
    run = subprocess.run([sys.executable, str(REPO / "app.py")], env=env, capture_output=True, text=True,
                         timeout=120, cwd=Path(REPO))
    assert run.returncode != 0
    assert run.stderr.strip().splitlines()[-1] == "app.py: BOT_PORT='abc' is not valid: expected int 1-65535"
    assert "Traceback" not in run.stderr
