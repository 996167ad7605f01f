"""Settings: precedence (flag > environment > .env > default) and validation naming the variable."""

from __future__ import annotations

import pytest

from migrator.config import load_settings
from migrator.errors import ConfigError

GOOD = {
    "TISTORY_BLOG_URL": "https://myblog.tistory.com/",
    "WP_BASE_URL": "https://wp.example.com/wp-json",
    "WP_APP_USER": "admin",
    "WP_APP_PASSWORD": "abcd EFGH ijkl mnop qrst uv1x",
}


def load(tmp_path, env=None, flags=None, dotenv=""):
    path = tmp_path / ".env"
    path.write_text(dotenv, encoding="utf-8")
    return load_settings(flags, environ=env if env is not None else dict(GOOD), dotenv_path=path)


def test_defaults_and_normalisation(tmp_path):
    s = load(tmp_path)
    assert s.blog_url == "https://myblog.tistory.com"
    assert s.wp_base_url == "https://wp.example.com"
    assert s.worker_count == 4 and s.rate_limit == 2.0 and s.wp_rate_limit is None
    assert s.db_path.name == "migration.db"


def test_precedence(tmp_path):
    env = {**GOOD, "WORKER_COUNT": "6"}
    s = load(tmp_path, env=env, dotenv="WORKER_COUNT=3\nRATE_LIMIT=5\n")
    assert s.worker_count == 6 and s.rate_limit == 5.0
    s = load(tmp_path, env=env, flags={"WORKER_COUNT": "9"}, dotenv="WORKER_COUNT=3\n")
    assert s.worker_count == 9


def test_dotenv_only(tmp_path):
    text = "\n".join(f'{k}="{v}"' for k, v in GOOD.items()) + "\n# comment\nexport WORKER_COUNT=2 # two\nEMPTY=\n"
    s = load(tmp_path, env={}, dotenv=text)
    assert s.wp_user == "admin" and s.worker_count == 2


def test_empty_value_keeps_default(tmp_path):
    s = load(tmp_path, env={**GOOD, "WORKER_COUNT": ""}, dotenv="RATE_LIMIT=\n")
    assert s.worker_count == 4 and s.rate_limit == 2.0


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("TISTORY_BLOG_URL", "", "TISTORY_BLOG_URL is not set"),
        ("TISTORY_BLOG_URL", "myblog.tistory.com", "TISTORY_BLOG_URL must be an http(s) URL"),
        ("WP_BASE_URL", "", "WP_BASE_URL is not set"),
        ("WP_BASE_URL", "ftp://x", "WP_BASE_URL must be an http(s) URL"),
        ("WP_APP_USER", "", "WP_APP_USER is not set"),
        ("WP_APP_PASSWORD", "   ", "WP_APP_PASSWORD is not set"),
        ("WORKER_COUNT", "zero", "WORKER_COUNT must be a whole number"),
        ("WORKER_COUNT", "0", "WORKER_COUNT must be between 1 and 64"),
        ("RATE_LIMIT", "-1", "RATE_LIMIT must be between"),
        ("RATE_LIMIT", "fast", "RATE_LIMIT must be a number"),
        ("RATE_LIMIT", "nan", "RATE_LIMIT must be between"),
        ("MIGRATION_DB_PATH", "/nonexistent-dir/x.db", "MIGRATION_DB_PATH: the folder"),
    ],
)
def test_bad_values_name_the_variable(tmp_path, variable, value, message):
    env = {**GOOD, variable: value}
    if value.strip() == "":
        env.pop(variable)
    with pytest.raises(ConfigError) as info:
        load(tmp_path, env=env)
    assert message in str(info.value)
    assert info.value.variable == variable


def test_password_never_in_repr_or_errors(tmp_path):
    s = load(tmp_path)
    assert GOOD["WP_APP_PASSWORD"] not in repr(s)
    with pytest.raises(ConfigError) as info:
        load(tmp_path, env={**GOOD, "WORKER_COUNT": "x"})
    assert GOOD["WP_APP_PASSWORD"] not in str(info.value)


def test_directory_as_db_path(tmp_path):
    with pytest.raises(ConfigError, match="directory"):
        load(tmp_path, env={**GOOD, "MIGRATION_DB_PATH": str(tmp_path)})


@pytest.mark.parametrize("url", ["https://admin:s3cret@wp.example.com", "https://admin@wp.example.com/blog",
                                 "https://admin:s3cret@[::1"])
def test_credentials_in_wp_base_url_are_refused_without_echo(tmp_path, url):
    with pytest.raises(ConfigError) as info:
        load(tmp_path, env={**GOOD, "WP_BASE_URL": url})
    assert info.value.variable == "WP_BASE_URL"
    assert "user name or password" in str(info.value)
    assert "s3cret" not in str(info.value) and "admin" not in str(info.value)


@pytest.mark.parametrize(
    "url, warned",
    [("http://wp.example.com", True), ("http://203.0.113.5:8080/blog", True), ("https://wp.example.com", False),
     ("http://127.0.0.1:8089", False), ("http://localhost", False), ("http://[::1]:81", False)],
)
def test_http_to_a_host_that_is_not_loopback_warns(tmp_path, url, warned):
    from migrator.config import settings_warnings

    warnings = settings_warnings(load(tmp_path, env={**GOOD, "WP_BASE_URL": url}))
    assert bool(warnings) == warned
    if warned:
        assert "unencrypted" in warnings[0] and "https://" in warnings[0]


def test_content_format_defaults_to_blocks_and_the_flag_wins(tmp_path):
    assert load(tmp_path).content_format == "blocks"
    assert load(tmp_path, env={**GOOD, "CONTENT_FORMAT": "HTML"}).content_format == "html"
    assert load(tmp_path, env={**GOOD, "CONTENT_FORMAT": "html"}, flags={"CONTENT_FORMAT": "blocks"}).content_format == "blocks"
    with pytest.raises(ConfigError) as info:
        load(tmp_path, env={**GOOD, "CONTENT_FORMAT": "markdown"})
    assert info.value.variable == "CONTENT_FORMAT" and "blocks, html" in str(info.value)
