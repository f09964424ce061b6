"""Profiles, precedence, secrets and the every-missing-at-once refusal."""
from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from pms_runbook import config as C
from pms_runbook import options as O
from pms_runbook import secrets
from pms_runbook.secrets import Secret

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def profiles():
    return C.load_profiles(REPO / "environments.toml")


def resolve(profiles, options=None, environ=None, dotenv=None, lab=None):
    return C.resolve(options=options or {}, environ=environ or {}, dotenv=dotenv or {},
                     lab_status=(lambda: lab) if lab is not None else None, profiles=profiles)


# ------------------------------------------------------------------------------- profiles

def test_shipped_profiles(profiles):
    assert set(profiles) == {"lab", "staging", "production"} and profiles.default == "lab"
    prod = profiles["production"]
    assert prod.api_url == "https://api.fewo.kolibri-visions.de"
    assert prod.admin_url == "https://admin.fewo.kolibri-visions.de"
    assert prod.sb_url == "https://sb-pms.kolibri-visions.de"
    assert prod.retention_days == 180 and profiles["lab"].retention_days == 90
    assert profiles["staging"].retention_days == 90
    for p in profiles.values():
        assert p.failed_share_max == 0.10 and p.batch_window_hours == 24
        assert p.supabase_network == "bccg4gs4o4kgsowocw08wkw4"
        assert p.db_statement_timeout_ms == 5000 and p.sync_log_stale_minutes == 60
        assert p.http_connect_timeout == 3.0 and p.http_read_timeout == 10.0
        assert p.containers["backend"][0] == "pms-backend" and p.containers["worker"] == ("pms-worker-v2",)
        assert p.containers["old_worker"] == ("pms-worker",) and p.containers["redis"][0] == "supabase-redis"
        assert p.containers["db"][0] == "supabase-db" and p.containers["admin"][0] == "pms-admin"
    assert "pms-api-backend" in prod.containers["backend"]
    assert profiles["lab"].ready_wait_seconds < prod.ready_wait_seconds == 90


def test_shipped_file_has_no_secret():
    text = (REPO / "environments.toml").read_text().lower()
    for word in ("password =", "anon_key =", "dsn =", "eyj", "secret ="):
        assert word not in text


def test_profiles_file_refuses_secrets_unknown_keys_and_bad_types(tmp_path):
    f = tmp_path / "env.toml"
    f.write_text('[profiles.lab]\napi_url = "http://x"\nadmin_password = "hunter22"\nretention = 3\n'
                 'retention_days = "ninety"\n[profiles.lab.containers]\nbackend = []\n')
    with pytest.raises(C.ConfigError) as e:
        C.load_profiles(f)
    msg = str(e.value)
    assert "admin_password: secrets never go into environments.toml" in msg
    assert "retention: unknown key" in msg and "retention_days: expected a whole number" in msg
    assert "containers.backend" in msg and len(e.value.problems) == 4
    assert "hunter22" not in msg


def test_profiles_file_missing_or_broken(tmp_path):
    with pytest.raises(C.ConfigError, match="not found"):
        C.load_profiles(tmp_path / "nope.toml")
    (tmp_path / "bad.toml").write_text("[profiles.lab\n")
    with pytest.raises(C.ConfigError, match="cannot read"):
        C.load_profiles(tmp_path / "bad.toml")
    (tmp_path / "d.toml").write_text('default = "qa"\n[profiles.lab]\n')
    with pytest.raises(C.ConfigError, match="'qa' is not one of the profiles"):
        C.load_profiles(tmp_path / "d.toml")


# ------------------------------------------------------------------------------- choosing a profile

def test_default_profile_is_lab(profiles):
    assert resolve(profiles).profile == "lab"


def test_profile_precedence(profiles):
    assert resolve(profiles, environ={"PMS_ENV": "staging"}, dotenv={"PMS_ENV": "lab"}).profile == "staging"
    assert resolve(profiles, options={"pms_env": "production"}, environ={"PMS_ENV": "staging"}).profile == "production"
    assert resolve(profiles, dotenv={"PMS_ENV": "production"}).profile == "production"
    assert resolve(profiles, options={"--pms-env": "production"}).profile == "production"


def test_unknown_profile_lists_known_ones(profiles):
    with pytest.raises(C.ConfigError) as e:
        resolve(profiles, options={"pms_env": "prod"})
    assert "unknown profile 'prod'" in str(e.value)
    assert "lab, production, staging" in str(e.value)


# ------------------------------------------------------------------------------- precedence

LAB = {"api_url": "http://127.0.0.1:18000", "admin_url": "http://127.0.0.1:13000", "auth_url": "http://127.0.0.1:19999",
       "db_dsn": "postgresql://pms_ro:lab-ro-pw-7@127.0.0.1:15432/postgres", "anon_key": "lab-anon-key-abcdef",
       "admin_email": "admin@lab.example", "admin_password": "lab-admin-pw-123",
       "commit": "5767b154a1c3e9f0d2b8a7c6e5f4d3c2b1a09876", "frontend_dir": "/tmp/lab-frontend",
       "supabase_network": "lab-supabase-net", "containers": {"backend": "lab-pms-backend"}, "faults": ["redis-down"]}


def test_precedence_option_env_dotenv_lab_profile(profiles):
    levels = [("options", {"api_url": "http://option:1"}), ("environ", {"PMS_API_URL": "http://env:2"}),
              ("dotenv", {"PMS_API_URL": "http://dotenv:3"})]
    for i in range(len(levels) + 1):
        kw = {name: value for name, value in levels[i:]}
        s = resolve(profiles, lab=LAB, **kw)
        expected = ["http://option:1", "http://env:2", "http://dotenv:3", "http://127.0.0.1:18000"][i]
        assert s.api_url == expected
    assert resolve(profiles).api_url == "http://127.0.0.1:8000"  # the profile, last


def test_source_of_each_value_is_recorded(profiles):
    s = resolve(profiles, options={"api_url": "http://o:1"}, environ={"ANON_KEY": "env-anon-key"},
                dotenv={"PMS_ADMIN_EMAIL": "a@b.c"}, lab=LAB)
    assert s.sources["api_url"] == "option --api-url"
    assert s.sources["anon_key"] == "environment ANON_KEY"
    assert s.sources["admin_email"] == ".env PMS_ADMIN_EMAIL"
    assert s.sources["db_dsn"] == "lab status db_dsn"
    assert s.sources["retention_days"] == "profile lab"
    assert "[option --api-url]" in s.describe()


def test_empty_values_fall_through(profiles):
    s = resolve(profiles, options={"api_url": ""}, environ={"PMS_API_URL": "  "}, dotenv={"PMS_API_URL": "http://d:3"})
    assert s.api_url == "http://d:3"


def test_lab_status_fills_in_only_for_lab(profiles):
    s = resolve(profiles, lab=LAB)
    assert (s.api_url, s.admin_url, s.sb_url) == ("http://127.0.0.1:18000", "http://127.0.0.1:13000",
                                                  "http://127.0.0.1:19999")
    assert s.expected_commit == LAB["commit"] and s.admin_email == "admin@lab.example"
    assert s.frontend_dir == Path("/tmp/lab-frontend") and s.supabase_network == "lab-supabase-net"
    assert s.container("backend") == "lab-pms-backend" and s.container("worker") == "pms-worker-v2"
    assert s.lab_faults == ("redis-down",)
    assert s.db_dsn.reveal() == LAB["db_dsn"] and s.anon_key.reveal() == LAB["anon_key"]

    called = []
    prod = C.resolve(options={"pms_env": "production"}, environ={}, dotenv={},
                     lab_status=lambda: called.append(1) or LAB, profiles=profiles)
    assert called == [] and prod.api_url == "https://api.fewo.kolibri-visions.de" and prod.db_dsn is None


def test_partial_broken_or_failing_lab_status(profiles):
    assert resolve(profiles, lab={"sb_url": "http://127.0.0.1:19998"}).sb_url == "http://127.0.0.1:19998"
    s = resolve(profiles, lab={"api_url": "http://127.0.0.1:18001"})
    assert s.api_url == "http://127.0.0.1:18001" and s.admin_url == "http://127.0.0.1:3000"
    assert s.lab_error is None

    def boom():
        raise RuntimeError("lab is not running")

    s = C.resolve(options={}, environ={}, dotenv={}, lab_status=boom, profiles=profiles)
    assert s.lab_error == "RuntimeError: lab is not running" and s.api_url == "http://127.0.0.1:8000"
    s = C.resolve(options={}, environ={}, dotenv={}, lab_status=lambda: ["not", "a", "dict"], profiles=profiles)
    assert "expected an object" in s.lab_error


def test_secret_aliases(profiles):
    for env in ("ANON_KEY", "SB_ANON_KEY", "SUPABASE_ANON_KEY"):
        assert resolve(profiles, environ={env: "anon-" + env}).anon_key.reveal() == "anon-" + env
    for env in ("PMS_ADMIN_EMAIL", "EMAIL", "SB_EMAIL"):
        assert resolve(profiles, environ={env: env + "@x.de"}).admin_email == env + "@x.de"
    for env in ("PMS_ADMIN_PASSWORD", "PASSWORD", "SB_PASSWORD"):
        assert resolve(profiles, environ={env: "pw-" + env}).admin_password.reveal() == "pw-" + env
    # the documented name wins over the aliases
    s = resolve(profiles, environ={"SUPABASE_ANON_KEY": "alias-key", "ANON_KEY": "main-key"})
    assert s.anon_key.reveal() == "main-key"


# ------------------------------------------------------------------------------- secrets

def test_secrets_are_masked_and_registered(profiles):
    s = resolve(profiles, environ={"ANON_KEY": "anon-canary-0451", "PMS_ADMIN_PASSWORD": "pw-canary-0451",
                                   "PMS_DB_DSN": "postgresql://ro:dsn%2Bcanary@db:5432/postgres",
                                   "PMS_ADMIN_EMAIL": "ops@example.com"})
    text = repr(s) + str(s) + s.describe()
    for value in ("anon-canary-0451", "pw-canary-0451", "dsn%2Bcanary", "dsn+canary"):
        assert value not in text
        assert value not in secrets.scrub(f"leak: {value}")
    assert isinstance(s.anon_key, Secret) and isinstance(s.admin_password, Secret) and isinstance(s.db_dsn, Secret)
    assert "ops@example.com" in repr(s)  # the e-mail is not a secret


def test_too_short_secret_is_refused(profiles):
    with pytest.raises(C.ConfigError) as e:
        resolve(profiles, environ={"PMS_ADMIN_PASSWORD": "abc"})
    assert "too short to be kept out of reports" in str(e.value)


# ------------------------------------------------------------------------------- require / missing

def test_require_lists_every_missing_value_at_once(profiles):
    s = resolve(profiles, options={"pms_env": "staging"}, environ={"ANON_KEY": ""})
    with pytest.raises(C.ConfigError) as e:
        s.require("PMS_API_URL", "SB_URL", "ANON_KEY", "PMS_ADMIN_EMAIL", "PMS_ADMIN_PASSWORD", "expected_commit")
    msg = str(e.value)
    assert e.value.missing == ("PMS_API_URL", "SB_URL", "ANON_KEY", "PMS_ADMIN_EMAIL", "PMS_ADMIN_PASSWORD",
                               "expected_commit")
    assert "6 value(s)" in msg
    assert "--api-url" in msg and "PMS_API_URL" in msg and "--sb-url" in msg
    assert "ANON_KEY (or SB_ANON_KEY, SUPABASE_ANON_KEY)" in msg
    assert "PMS_ADMIN_PASSWORD (or PASSWORD, SB_PASSWORD)" in msg
    assert "--expected-commit" in msg
    assert "nothing was sent to the target" in msg


def test_require_passes_and_missing(profiles):
    s = resolve(profiles, environ={"ANON_KEY": "anon-key-1", "EMAIL": "a@b.c"})
    s.require("api_url", "anon_key", "EMAIL")
    assert s.missing("anon_key", "admin_password", "PMS_DB_DSN", "sb_url") == ["admin_password", "PMS_DB_DSN"]
    with pytest.raises(KeyError):
        s.missing("NOT_A_SETTING")


# ------------------------------------------------------------------------------- validation

@pytest.mark.parametrize("options,words", [
    ({"api_url": "ftp://x"}, "not an http(s) URL"),
    ({"admin_url": "admin.fewo.kolibri-visions.de"}, "not an http(s) URL"),
    ({"sb_url": "https://user:pw@sb.example"}, "must not carry credentials"),
    ({"retention_days": 0}, "must be > 0"),
    ({"retention_days": "ninety"}, "not a whole number"),
    ({"failed_share_max": 0}, "(0, 1]"),
    ({"failed_share_max": 1.5}, "(0, 1]"),
    ({"ready_wait": -1}, ">= 0"),
    ({"expected_commit": "main"}, "not a hex git SHA"),
    ({"expected_commit": "abc12"}, "too short"),
    ({"docker_host": "somewhere"}, "expected 'local', 'none'"),
])
def test_invalid_values(profiles, options, words):
    with pytest.raises(C.ConfigError) as e:
        resolve(profiles, options=options)
    assert words in str(e.value)


def test_all_problems_reported_together(profiles):
    with pytest.raises(C.ConfigError) as e:
        resolve(profiles, options={"api_url": "x", "retention_days": -1, "expected_commit": "zz"})
    assert len(e.value.problems) == 3


def test_numbers_from_env_and_options(profiles):
    s = resolve(profiles, environ={"PMS_RETENTION_DAYS": "365", "PMS_FAILED_SHARE_MAX": "5%", "PMS_READY_WAIT": "12.5"})
    assert (s.retention_days, s.failed_share_max, s.ready_wait_seconds) == (365, 0.05, 12.5)
    s = resolve(profiles, options={"retention_days": 30, "failed_share_max": 0.2, "ready_wait": 0})
    assert (s.retention_days, s.failed_share_max, s.ready_wait_seconds) == (30, 0.2, 0)
    s = resolve(profiles, options={"expected_commit": "5767B15"})
    assert s.expected_commit == "5767b15"
    assert resolve(profiles, environ={"EXPECT_COMMIT": "95503f1"}).expected_commit == "95503f1"


def test_http_timeouts_from_env_dotenv_and_profile(profiles):
    s = resolve(profiles, environ={"PMS_HTTP_CONNECT_TIMEOUT": "0.5", "PMS_HTTP_READ_TIMEOUT": "2",
                                   "PMS_HTTP_TOTAL_DEADLINE": "4.5"})
    assert (s.http_connect_timeout, s.http_read_timeout, s.http_total_deadline) == (0.5, 2.0, 4.5)
    assert s.sources["http_read_timeout"] == "environment PMS_HTTP_READ_TIMEOUT"
    s = resolve(profiles, environ={"PMS_HTTP_READ_TIMEOUT": "3"}, dotenv={"PMS_HTTP_READ_TIMEOUT": "7",
                                                                          "PMS_HTTP_TOTAL_DEADLINE": "9"})
    assert (s.http_connect_timeout, s.http_read_timeout, s.http_total_deadline) == (3.0, 3.0, 9.0)
    s = resolve(profiles, environ={"PMS_HTTP_CONNECT_TIMEOUT": " "})  # empty falls through to the profile
    assert (s.http_connect_timeout, s.sources["http_connect_timeout"]) == (3.0, "profile lab")


@pytest.mark.parametrize("value,words", [("0", "must be > 0"), ("-1", "must be > 0"), ("inf", "must be > 0"),
                                         ("nan", "must be > 0"), ("soon", "not a number")])
def test_http_timeouts_refuse_bad_values(profiles, value, words):
    with pytest.raises(C.ConfigError) as e:
        resolve(profiles, environ={"PMS_HTTP_TOTAL_DEADLINE": value})
    assert "http_total_deadline" in str(e.value) and words in str(e.value)


def test_urls_are_normalised(profiles):
    assert resolve(profiles, options={"api_url": "https://api.example.com/ "}).api_url == "https://api.example.com"


# ------------------------------------------------------------------------------- docker

def test_docker_modes(profiles):
    lab = resolve(profiles)
    assert lab.docker == "local" and lab.docker_enabled and lab.docker_host is None
    lab = resolve(profiles, environ={"DOCKER_HOST": "unix:///run/user/1000/docker.sock"})
    assert lab.docker_host == "unix:///run/user/1000/docker.sock"
    prod = resolve(profiles, options={"pms_env": "production"}, environ={"DOCKER_HOST": "unix:///laptop.sock"})
    # production asks for Docker access (Steps 1, 3, 5 run on the host): a laptop's DOCKER_HOST never answers it
    assert prod.docker == "ask" and not prod.docker_enabled and prod.docker_host is None
    assert prod.missing("PMS_DOCKER_HOST") == ["PMS_DOCKER_HOST"]
    with pytest.raises(C.ConfigError, match="--docker-host ssh://user@host .*or --docker-host none"):
        prod.require("PMS_DOCKER_HOST")
    explicit = resolve(profiles, options={"pms_env": "production", "docker_host": "none"})
    assert explicit.docker == "none" and explicit.missing("PMS_DOCKER_HOST") == []
    assert resolve(profiles, options={"pms_env": "staging"}).docker == "ask"
    prod = resolve(profiles, options={"pms_env": "production", "docker_host": "ssh://ops@vps.example"})
    assert prod.docker_enabled and prod.docker_host == "ssh://ops@vps.example"
    # A Docker host is a URL the Docker transport opens (transports.kind), not an http(s):// target.
    assert resolve(profiles, options={"docker_host": "tcp://10.0.0.1:2375"}).docker_host == "tcp://10.0.0.1:2375"
    with pytest.raises(C.ConfigError, match="docker host 'https://api.example.com': expected"):
        resolve(profiles, options={"pms_env": "production", "docker_host": "https://api.example.com"})
    prod = resolve(profiles, options={"pms_env": "production"}, environ={"PMS_DOCKER_HOST": "local"})
    assert prod.docker == "local"
    assert resolve(profiles, options={"docker_host": "none"}).docker_enabled is False


def test_container_names(profiles):
    s = resolve(profiles, options={"pms_env": "production"})
    assert s.container("backend") == "pms-backend"
    assert s.container_names("redis") == ("supabase-redis", "coolify-redis", "pms-redis")
    with pytest.raises(KeyError):
        s.container("nope")


# ------------------------------------------------------------------------------- .env

def test_read_dotenv(tmp_path):
    f = tmp_path / ".env"
    f.write_text(
        "# comment\n"
        "\n"
        "export ANON_KEY=abc123def456\n"
        "PMS_ADMIN_EMAIL = ops@example.com   # trailing comment\n"
        "PMS_ADMIN_PASSWORD='p#ss word $HOME'\n"
        'MULTI="line1\\nline2 \\"q\\""\n'
        'SPAN="a\nb"\n'
        "URL=https://x.example/#frag\n"
        "EMPTY=\n"
        "not a line\n"
        "1BAD=x\n"
        "UNTERMINATED='oops\n"
        "LAST=1"
    )
    env = C.read_dotenv(f)  # a line that cannot be parsed (no '=', an unterminated quote) is left out
    assert env == {"ANON_KEY": "abc123def456", "PMS_ADMIN_EMAIL": "ops@example.com",
                   "PMS_ADMIN_PASSWORD": "p#ss word $HOME", "MULTI": 'line1\nline2 "q"', "SPAN": "a\nb",
                   "URL": "https://x.example/#frag", "EMPTY": "", "1BAD": "x", "LAST": "1"}
    assert C.read_dotenv(tmp_path / "missing.env") == {}
    assert C.read_dotenv(None) == {}
    with pytest.raises(C.ConfigError):
        C.read_dotenv(tmp_path)


def test_from_options_reads_the_env_file(tmp_path):
    f = tmp_path / "custom.env"
    f.write_text("PMS_API_URL=http://from-env-file:1\nPMS_ENV=lab\n")
    s = C.from_options({"env_file": str(f)}, environ={})
    assert s.api_url == "http://from-env-file:1" and s.env_file == f
    s = C.from_options({"env_file": str(f)}, environ={"PMS_API_URL": "http://env:2"})
    assert s.api_url == "http://env:2"


# ------------------------------------------------------------------------------- options

def make_parser():
    from _pytest.config.argparsing import Parser

    try:
        return Parser(_ispytest=True)
    except TypeError:  # older pytest
        return Parser()


def test_add_options_registers_the_group():
    parser = make_parser()
    O.add_options(parser)
    ns = parser.parse([])
    assert all(getattr(ns, d) is None for d in O.OPTION_DESTS if d != "env_file")
    assert ns.env_file == ".env"
    ns = parser.parse(["--pms-env", "production", "--expected-commit", "5767b15", "--api-url", "https://a",
                       "--admin-url", "https://b", "--sb-url", "https://c", "--docker-host", "ssh://u@h",
                       "--frontend-dir", "/src/frontend", "--retention-days", "180", "--failed-share-max", "10%",
                       "--ready-wait", "30", "--env-file", "prod.env"])
    assert (ns.pms_env, ns.retention_days, ns.failed_share_max, ns.ready_wait, ns.env_file) == \
        ("production", 180, 0.10, 30.0, "prod.env")
    assert parser.getgroup("pms-runbook").options


@pytest.mark.parametrize("flag,value", [("--retention-days", "0"), ("--retention-days", "x"),
                                        ("--failed-share-max", "2"), ("--failed-share-max", "x"),
                                        ("--ready-wait", "-1")])
def test_option_types_reject_bad_values(flag, value):
    converters = {"--retention-days": O._positive_int, "--failed-share-max": O._share, "--ready-wait": O._seconds}
    with pytest.raises(argparse.ArgumentTypeError):
        converters[flag](value)


def test_collect_and_resolve_from_a_pytest_like_config(profiles):
    class FakeConfig:
        def __init__(self, values):
            self.values = values

        def getoption(self, name):
            if name not in self.values:
                raise ValueError(name)
            return self.values[name]

    opts = O.collect(FakeConfig({"pms_env": "production", "retention_days": 365}))
    assert set(opts) == set(O.OPTION_DESTS) and opts["api_url"] is None
    s = resolve(profiles, options=opts)
    assert s.profile == "production" and s.retention_days == 365


# ------------------------------------------------------------------------------- the table drives the rest

def test_every_option_of_the_table_is_registered_with_its_name():
    from pms_runbook.config.table import DOCKER, PMS_ENV, SETTINGS

    parser = make_parser()
    O.add_options(parser)
    flags = {flag for opt in parser.getgroup("pms-runbook").options for flag in opt.names()}
    assert flags == {s.option for s in (PMS_ENV, DOCKER, *SETTINGS) if s.option} | {"--env-file"}


def test_every_profile_key_of_the_table_is_a_profile_field():
    from pms_runbook.config.profiles import PROFILE_KEYS
    from pms_runbook.config.table import SETTINGS

    assert {s.name for s in SETTINGS if s.profile} <= PROFILE_KEYS
    assert PROFILE_KEYS - {s.name for s in SETTINGS if s.profile} == {"description", "docker", "containers"}


def test_readme_table_of_settings_is_current():
    from pms_runbook.config.table import README_END, README_START, markdown

    readme = (REPO / "README.md").read_text()
    assert README_START in readme and README_END in readme
    block = readme.split(README_START, 1)[1].split(README_END, 1)[0]
    assert block == markdown(), "README's settings table is stale: run python -m pms_runbook.config --readme"
    assert "| failed_share_max | `--failed-share-max` | `PMS_FAILED_SHARE_MAX` | `failed_share_max` " \
           "(`failed_batch_threshold`) |" in block


def test_old_names_are_still_read_with_a_note(tmp_path, profiles):
    f = tmp_path / "env.toml"
    f.write_text('[profiles.lab]\nfailed_batch_threshold = 0.25\n')
    old = C.load_profiles(f)
    assert old["lab"].failed_share_max == 0.25
    s = resolve(old)
    assert s.failed_share_max == 0.25 and any("failed_batch_threshold" in n for n in s.notes)
    s = resolve(profiles, environ={"EXPECT_COMMIT": "95503f1", "SB_ANON_KEY": "anon-key-old"})
    assert s.expected_commit == "95503f1" and s.anon_key.reveal() == "anon-key-old"
    assert {n.split()[0] for n in s.notes} == {"EXPECT_COMMIT", "SB_ANON_KEY"}
    assert resolve(profiles, environ={"EXPECTED_COMMIT": "95503f1"}).notes == ()
