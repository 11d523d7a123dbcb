"""Configuration: flags > environment > config.toml > embedded default; URL masking."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest

from ladder_cli.util.config import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_EMBEDDED_BATCH_SIZE,
    resolve,
)
from ladder_cli.util.errors import BadInput
from ladder_cli.util.urls import mask_url

FLAG_URL = "postgresql://flag@db.example/ladder"
ENV_URL = "postgresql://env@db.example/ladder"
FILE_URL = "postgresql://file@db.example/ladder"


def write_config(directory: Path, text: str) -> Path:
    path = directory / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


# -- where things live -----------------------------------------------------------------


def test_embedded_default(home):
    s = resolve(home=home, env={})
    assert s.database_url is None and s.embedded
    assert s.database_source.startswith("default")
    assert s.data_dir == home
    assert s.config_file == home / "config.toml"
    assert s.url == f"sqlite:///{home / 'ladder.sqlite3'}"
    assert s.queue_path == home / "queue.sqlite3"
    assert s.snapshot_dir.parent == home
    assert (s.batch_size, s.connect_timeout, s.activity_days) == (
        DEFAULT_EMBEDDED_BATCH_SIZE,
        5.0,
        None,
    )


def test_batch_size_default_depends_on_the_store(home):
    # a server's batch holds row locks: smaller; the embedded store gains from larger
    assert resolve(db=FILE_URL, home=home, env={}).batch_size == DEFAULT_BATCH_SIZE
    assert resolve(home=home, env={}).batch_size == DEFAULT_EMBEDDED_BATCH_SIZE
    assert DEFAULT_BATCH_SIZE < DEFAULT_EMBEDDED_BATCH_SIZE
    sqlite_url = f"sqlite:///{home / 'elsewhere.sqlite3'}"
    assert resolve(db=sqlite_url, home=home, env={}).batch_size == DEFAULT_EMBEDDED_BATCH_SIZE
    write_config(home, "batch_size = 7\n")
    assert resolve(db=FILE_URL, home=home, env={}).batch_size == 7
    assert resolve(home=home, env={}).batch_size == 7


def test_home_from_env(home):
    s = resolve(env={"LADDER_HOME": str(home)})
    assert s.data_dir == home and s.config_file == home / "config.toml"


def test_home_flag_beats_env(home, tmp_path):
    other = tmp_path / "other"
    s = resolve(home=home, env={"LADDER_HOME": str(other)})
    assert s.data_dir == home


def test_relative_home_is_made_absolute(home, monkeypatch):
    monkeypatch.chdir(home.parent)
    s = resolve(home=home.name, env={})
    assert s.data_dir.is_absolute() and s.data_dir == home


def test_without_home_uses_platform_dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    s = resolve(env={})
    assert s.data_dir == tmp_path / "data" / "ladder"
    assert s.config_file == tmp_path / "config" / "ladder" / "config.toml"


# -- which database --------------------------------------------------------------------


def test_precedence_flag_env_file_default(home):
    write_config(home, f'database_url = "{FILE_URL}"\n')
    env = {"LADDER_DATABASE_URL": ENV_URL}

    s = resolve(db=FLAG_URL, home=home, env=env)
    assert (s.database_url, s.database_source) == (FLAG_URL, "--db")

    s = resolve(home=home, env=env)
    assert (s.database_url, s.database_source) == (ENV_URL, "LADDER_DATABASE_URL")

    s = resolve(home=home, env={})
    assert s.database_url == FILE_URL
    assert "config file" in s.database_source and str(home) in s.database_source

    (home / "config.toml").unlink()
    s = resolve(home=home, env={})
    assert s.database_url is None and s.embedded


def test_empty_values_fall_through(home):
    write_config(home, f'database_url = "{FILE_URL}"\n')
    s = resolve(db="", home=home, env={"LADDER_DATABASE_URL": ""})
    assert s.database_url == FILE_URL


def test_config_file_found_via_env_home(home):
    write_config(home, f'database_url = "{FILE_URL}"\nbatch_size = 7\n')
    s = resolve(env={"LADDER_HOME": str(home)})
    assert (s.database_url, s.batch_size) == (FILE_URL, 7)


def test_config_file_settings(home):
    write_config(home, "batch_size = 500\nconnect_timeout = 2\nactivity_days = 30\n")
    s = resolve(home=home, env={})
    assert (s.batch_size, s.connect_timeout, s.activity_days) == (500, 2.0, 30)
    assert s.embedded


def test_flag_db_still_reads_other_file_settings(home):
    write_config(home, f'database_url = "{FILE_URL}"\nbatch_size = 3\n')
    s = resolve(db=FLAG_URL, home=home, env={})
    assert (s.database_url, s.batch_size) == (FLAG_URL, 3)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("database_url = \n", "not valid TOML"),
        ("[unclosed\n", "not valid TOML"),
        ('database_url = "a" "b"\n', "not valid TOML"),
        ('databse_url = "x"\n', "unknown setting 'databse_url'"),
        ("[ladder]\ndatabase_url = 'x'\n", "unknown setting 'ladder'"),
        ("database_url = 5\n", "database_url must be a string"),
        ("batch_size = 0\n", "batch_size"),
        ("batch_size = -3\n", "batch_size"),
        ("batch_size = true\n", "batch_size"),
        ('batch_size = "10"\n', "batch_size"),
        ("connect_timeout = 0\n", "connect_timeout"),
        ("activity_days = 0\n", "activity_days"),
        ("activity_days = 1.5\n", "activity_days"),
    ],
)
def test_bad_config_file(home, text, fragment):
    path = write_config(home, text)
    with pytest.raises(BadInput) as info:
        resolve(home=home, env={})
    message = str(info.value)
    assert fragment in message
    assert str(path) in message
    assert "\n" not in message


def test_unreadable_config_is_bad_input(home):
    (home / "config.toml").mkdir()  # a directory where the file should be
    with pytest.raises(BadInput, match="config file"):
        resolve(home=home, env={})


def test_describe_masks_the_password(home):
    s = resolve(db="postgresql://admin:hunter2@db.example:5432/ladder", home=home, env={})
    described = s.describe()
    assert "hunter2" not in repr(described)
    assert described["database"] == "postgresql://admin:***@db.example:5432/ladder"
    assert described["database_source"] == "--db"
    assert described["config_file_exists"] is False


# -- mask_url --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:////home/me/.local/share/ladder/ladder.sqlite3",
        "postgresql://admin@db.example:5432/ladder",
        "postgresql://db.example/ladder?sslmode=require",
        "postgresql:///ladder",
    ],
)
def test_mask_url_leaves_urls_without_a_password_alone(url):
    assert mask_url(url) == url


def test_mask_url_plain_password():
    url = "postgresql://admin:hunter2@db.example:5432/ladder"
    assert mask_url(url) == "postgresql://admin:***@db.example:5432/ladder"
    assert mask_url(url, hide_password=True) == "postgresql://admin@db.example:5432/ladder"


def test_mask_url_password_in_query():
    url = "postgresql://db.example/ladder?user=admin&password=hunter2&sslmode=require"
    assert mask_url(url) == (
        "postgresql://db.example/ladder?user=admin&password=***&sslmode=require"
    )


SECRETS = [
    "hunter2",
    "p@ss@word",  # '@' unencoded: the host is after the last '@'
    "pa:ss:word",  # ':' after the first one belongs to the password
    "pa#ss",  # libpq reads the userinfo up to '@', '#' and '?' included
    "pa?ss",
    "pa ss",
    "!$&'()*+,;=",
    "päßwörd",
    "p%40ss%3Aw0rd",  # percent-encoded "p@ss:w0rd"
]


@pytest.mark.parametrize("secret", SECRETS)
@pytest.mark.parametrize("hide", [False, True])
def test_mask_url_never_shows_the_password_in_userinfo(secret, hide):
    url = f"postgresql://admin:{secret}@db.example:5432/ladder"
    masked = mask_url(url, hide_password=hide)
    assert secret not in masked
    # nor its meaningful fragments
    for piece in ("hunter", "word", "ss", "w0rd"):
        if piece in secret:
            assert piece not in masked.replace("db.example", "")
    assert masked.startswith("postgresql://admin")
    assert masked.endswith("@db.example:5432/ladder")


@pytest.mark.parametrize("secret", ["hunter2", "p@ss", "a#b", "a&b=c", "päß"])
def test_mask_url_never_shows_the_password_in_query(secret):
    encoded = quote(secret, safe="")
    # an unencoded '&' would end the value, so such a secret is only ever sent encoded
    for value in (encoded,) if "&" in secret else (secret, encoded):
        url = f"postgresql://db.example/ladder?sslmode=require&password={value}"
        masked = mask_url(url)
        assert value not in masked
        assert secret not in masked
        assert masked == "postgresql://db.example/ladder?sslmode=require&password=***"


def test_mask_url_query_key_is_case_insensitive():
    masked = mask_url("postgresql://db.example/ladder?PASSWORD=hunter2")
    assert "hunter2" not in masked


def test_mask_url_both_userinfo_and_query():
    url = "postgresql://admin:one@db.example/ladder?password=two"
    masked = mask_url(url)
    assert "one" not in masked.replace("db.example", "") and "two" not in masked


@pytest.mark.parametrize(
    "url",
    [
        # libpq accepts several hosts; urlsplit cannot read a port from them
        "postgresql://admin:hunter2@h1.example:5432,h2.example:5433/ladder",
        "postgresql://admin:hunter2@db.example:notaport/ladder",
        "postgresql://admin:hunter2@[::1]:5432/ladder",
    ],
)
def test_mask_url_odd_hosts(url):
    masked = mask_url(url)
    assert "hunter2" not in masked
    assert "admin" in masked


def test_mask_url_ipv6_is_kept():
    assert mask_url("postgresql://u:secret@[::1]:5432/db") == "postgresql://u:***@[::1]:5432/db"


@pytest.mark.parametrize(
    "url",
    [
        # a digit-only start: urlsplit takes "1234" for a port and "#x@..." for a fragment
        "postgresql://admin:1234#x@db.example/ladder",
        # '/' in a raw password: unusable by libpq, still never printed
        "postgresql://admin:pa/ss@db.example/ladder",
        # '#' inside a query password
        "postgresql://db.example/ladder?password=ab#cd",
        # percent-encoded key
        "postgresql://db.example/ladder?%70assword=hunter2",
        # a libpq key=value string is not a URL, but must not leak either
        "host=db.example user=admin password=hunter2 dbname=ladder",
    ],
)
def test_mask_url_tricky(url):
    masked = mask_url(url)
    for secret in ("1234#x", "pa/ss", "ab#cd", "#cd", "hunter2"):
        assert secret not in masked


def test_mask_url_keeps_a_normal_url_stable():
    # the masked URL (hide_password=True) names a queue's target: it must not change
    # between runs or versions for ordinary URLs
    url = "postgresql://Admin:s3cret@DB.Example.com:6543/ladder?sslmode=require"
    assert mask_url(url, hide_password=True) == (
        "postgresql://Admin@db.example.com:6543/ladder?sslmode=require"
    )
