"""The web app cannot read the checkpoint signing key: only the signer's own user can.

The suite runs as root, which reads everything, so this test drops to other users (setpriv) the
way the installed services run: the key belongs to the signer's user, mode 0600, and the web
app's user is refused. Under CI=true a machine that cannot run it fails the test."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from audit import signing

BASE_DIR = Path(__file__).resolve().parents[2]
SIGNER_USER, WEB_USER = "daemon", "nobody"


def _can_drop_privileges() -> str:
    """Why this machine cannot run the test, or "" when it can."""
    if os.geteuid() != 0:
        return "not root: cannot change users"
    if shutil.which("setpriv") is None:
        return "setpriv (util-linux) is missing"
    for name in (SIGNER_USER, WEB_USER):
        try:
            pwd.getpwnam(name)
        except KeyError:
            return f"no {name} user"
    return ""


@pytest.fixture
def as_user():
    problem = _can_drop_privileges()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true needs this test: {problem}")
        pytest.skip(problem)

    def run(user: str, *command: str, env: dict | None = None) -> subprocess.CompletedProcess:
        account = pwd.getpwnam(user)
        return subprocess.run(
            [
                "setpriv",
                f"--reuid={account.pw_uid}",
                f"--regid={account.pw_gid}",
                "--clear-groups",
                "--",
                *command,
            ],
            capture_output=True,
            text=True,
            env=env,
            cwd=BASE_DIR,
            timeout=120,
            check=False,
        )

    return run


@pytest.fixture
def installed_keys():
    """Keys as the installer leaves them: the private key the signer's (0600), the public one
    for everyone, in a folder every user can enter (pytest's own tmp_path is root's alone, which
    would refuse everyone for the wrong reason)."""
    folder = Path(tempfile.mkdtemp(prefix="sp-keys-"))
    folder.chmod(0o755)
    private, public = folder / "signing.pem", folder / "signing.pub.pem"
    signing.key_generate(private, public)
    account = pwd.getpwnam(SIGNER_USER)
    os.chown(private, account.pw_uid, account.pw_gid)
    yield private, public
    shutil.rmtree(folder)


def test_the_web_apps_user_cannot_read_the_key_and_the_signers_user_can(as_user, installed_keys):
    private, _public = installed_keys
    read = f"open({str(private)!r}, 'rb').read()"
    refused = as_user(WEB_USER, sys.executable, "-c", read)
    assert refused.returncode != 0 and "PermissionError" in refused.stderr
    allowed = as_user(SIGNER_USER, sys.executable, "-c", read)
    assert allowed.returncode == 0, allowed.stderr


def test_check_deploy_as_the_web_app_sees_the_public_key_and_cannot_read_the_private_one(
    as_user, installed_keys
):
    private, public = installed_keys
    tmp_path = private.parent
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PYTHONDONTWRITEBYTECODE": "1",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SAFE_PASSAGE_ENV": "development",
        "SAFE_PASSAGE_LOCAL_DIR": str(tmp_path / "local-web"),
        "SECRET_KEY": "check-deploy-as-the-web-app",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'web.sqlite3'}",
        "AUDIT_SIGNING_KEY_FILE": str(private),
        "AUDIT_PUBLIC_KEY_FILE": str(public),
    }
    (tmp_path / "local-web").mkdir()
    (tmp_path / "local-web").chmod(0o777)
    (tmp_path / "local-web" / "secret_key").write_text("check-deploy-as-the-web-app")
    checked = as_user(WEB_USER, sys.executable, "manage.py", "check", "--deploy", env=env)
    output = checked.stdout + checked.stderr
    assert "System check identified" in output, output  # it ran, as the web app's user
    assert "audit.E001" not in output, output
    assert "audit.W001" not in output, output  # the key is out of the web app's reach
    # And as root, who can read it, the same check warns.
    as_root = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        capture_output=True,
        text=True,
        env=env,
        cwd=BASE_DIR,
        timeout=120,
        check=False,
    )
    assert "audit.W001" in as_root.stdout + as_root.stderr
