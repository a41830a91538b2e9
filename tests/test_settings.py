"""Settings refuse bad environment values with a message naming the variable.
Each case runs in a fresh interpreter, as a real start-up would."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
SECRET = "a-long-random-production-secret-key-0123456789-abcdefghijklmnop"


def _start(env_overrides, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE"))}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *(args or ("check",))],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DJANGO_DEBUG": "0"}, "DJANGO_SECRET_KEY must be set"),
        ({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG must be a boolean"),
        ({"DJANGO_DEBUG": "1", "DATABASE_URL": "mysql://x/y"}, "DATABASE_URL must be a postgres"),
        ({"DJANGO_DEBUG": "1", "CELERY_BROKER_URL": "sqs://x"}, "CELERY_BROKER_URL must be"),
        (
            {"DJANGO_DEBUG": "1", "FACTCHECK_CACHE_URL": "memcached://x"},
            "FACTCHECK_CACHE_URL must be a redis",
        ),
        (
            {"DJANGO_DEBUG": "1", "FACTCHECK_FETCH_TIMEOUT": "soon"},
            "FACTCHECK_FETCH_TIMEOUT must be an integer",
        ),
    ],
)
def test_bad_environment_stops_start_up(env, message):
    result = _start(env)
    assert result.returncode != 0
    assert message in result.stderr


def test_deploy_check_is_clean_with_debug_off():
    result = _start({"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": SECRET}, "check", "--deploy")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_ci_uses_the_services_it_was_given():
    """With DATABASE_URL and CELERY_BROKER_URL set (as .ci/run does), the
    suite really runs on PostgreSQL and Redis, never a silent fallback."""
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        assert connection.vendor == "postgresql"
    else:
        assert connection.vendor == "sqlite"
    if os.environ.get("CELERY_BROKER_URL", "").startswith("redis"):
        assert settings.CELERY_BROKER_URL.startswith("redis://")
    else:
        assert settings.CELERY_BROKER_URL == "filesystem://"


@pytest.mark.skipif(
    not os.environ.get("CELERY_BROKER_URL", "").startswith("redis"),
    reason="needs the Redis that CI gives (CELERY_BROKER_URL)",
)
def test_a_cache_url_shares_the_throttle_between_processes():
    """Two processes with the same FACTCHECK_CACHE_URL count one budget."""
    key = f"throttle-probe-{uuid.uuid4().hex}"
    code = (
        "import django; django.setup(); from django.core.cache import cache; "
        f"cache.add({key!r}, 0, 60); print('count', cache.incr({key!r}))"
    )
    redis = os.environ["CELERY_BROKER_URL"].rsplit("/", 1)[0] + "/14"
    env = {"DJANGO_DEBUG": "1", "FACTCHECK_CACHE_URL": redis}
    runs = [_start(env, "shell", "-c", code) for _ in range(2)]
    assert [r.returncode for r in runs] == [0, 0], runs[0].stderr
    counts = [r.stdout.strip().splitlines()[-1] for r in runs]
    assert counts == ["count 1", "count 2"]
