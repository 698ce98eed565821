#!/usr/bin/env python3
"""Install Safe Passage on a Debian 12 server (deploy/install.sh runs this; standard library only).

    deploy/install.sh --server-name cases.example.org \\
        --owner-database-url postgres://sp_owner:PASSWORD@127.0.0.1:5432/safe_passage \\
        --app-database-url postgres://sp_app:PASSWORD@127.0.0.1:5432/safe_passage

Where things go (each can be moved; --root DIR moves them all under DIR, for a trial or a test):
  /opt/safe-passage/           app/ (this code), venv/ (requirements.txt only), static/
                               (collectstatic; nginx serves it), bin/manage (manage.py as the
                               right user with the right environment)
  /etc/safe-passage/           web.env (the web app's user), signer.env (the signer's), owner.env
                               (root's: the database owner's credential, for migrate and the
                               purge); keys/ (the audit key pair); heads.jsonl (the signed heads
                               an auditor exported: the operator puts it there)
  /var/lib/safe-passage/       web/ (the web app's), signer/ (the signer's state: its last head)
  /etc/systemd/system/         NAME-web, NAME-signer, NAME-worker (notification mail),
                               NAME-{purge,prune,verify,health,notify}.timer,
                               NAME-failure@ (OnFailure= of every unit)
  /etc/nginx/                  sites-available/NAME.conf (+ sites-enabled), snippets/NAME-proxy.conf
  /etc/tor/torrc.d/NAME.conf   the onion service; its key in /var/lib/tor/NAME/

Every step can run again: a re-run keeps the secrets, the keys, the onion address and any line
an operator added to an environment file, and installs the code and the requirements anew
(this is also how a new version is installed). Steps (see STEPS at the bottom, in order):
users, code, virtualenv, onion, environment files, TLS, collectstatic, audit keys, migrate (as
the database owner), db_roles (least privilege for the app role), units, nginx, tor, the check
(`manage.py check --deploy` as the web app's user), start (only where systemd runs).
"""

from __future__ import annotations

import argparse
import grp
import hashlib
import ipaddress
import os
import pwd
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent
TEMPLATES = HERE / "templates"

# Not copied: development and test material, caches, local secrets.
TOP_LEVEL_EXCLUDED = {
    ".git",
    ".venv",
    ".local",
    ".ci",
    "staticfiles",
    "tests",
    "bench",
    ".ruff_cache",
    ".hypothesis",
    ".import_linter_cache",
    ".pytest_cache",
    "node_modules",
}
EVERYWHERE_EXCLUDED = {"__pycache__", ".DS_Store"}

UNITS = {
    "web.service": "web.service",
    "signer.service": "signer.service",
    "purge.service": "purge.service",
    "purge.timer": "purge.timer",
    "prune.service": "prune.service",
    "prune.timer": "prune.timer",
    "verify.service": "verify.service",
    "verify.timer": "verify.timer",
    "health.service": "health.service",
    "health.timer": "health.timer",
    "worker.service": "worker.service",
    "notify.service": "notify.service",
    "notify.timer": "notify.timer",
    "failure@.service": "failure@.service",
}
STARTED = ["web.service", "signer.service", "purge.timer", "prune.timer", "verify.timer"]
STARTED += ["health.timer"]
# Staff notifications: the worker sends what pages queue; the timer sweeps every 5 minutes.
STARTED += ["worker.service", "notify.timer"]
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}
SAFE_VALUE = re.compile(r"^[A-Za-z0-9_./:@%+=,*~-]*$")


def say(message: str) -> None:
    print(message, flush=True)


def step(title: str) -> None:
    say(f"\n== {title}")


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    say("  $ " + shlex.join(str(part) for part in command))
    return subprocess.run([str(part) for part in command], check=True, **kwargs)  # noqa: S603


# --- options and the layout -----------------------------------------------------------------------


@dataclass
class Layout:
    name: str
    root: Path
    prefix: Path
    config: Path
    state: Path
    systemd: Path
    nginx: Path
    tor: Path
    tor_data: Path
    log: Path
    backups: Path
    link_dir: Path | None
    web_user: str
    signer_user: str
    extra: dict = field(default_factory=dict)

    @property
    def app(self) -> Path:
        return self.prefix / "app"

    @property
    def venv(self) -> Path:
        return self.prefix / "venv"

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def static(self) -> Path:
        return self.prefix / "static"

    @property
    def keys(self) -> Path:
        return self.config / "keys"

    @property
    def private_key(self) -> Path:
        return self.keys / "audit_signing_key.pem"

    @property
    def public_key(self) -> Path:
        return self.keys / "audit_signing_key.pub.pem"

    @property
    def heads(self) -> Path:
        return self.config / "heads.jsonl"

    @property
    def hs_dir(self) -> Path:
        return self.tor_data / self.name

    def env_file(self, which: str) -> Path:
        return self.config / f"{which}.env"

    def unit(self, template: str) -> str:
        return f"{self.name}-{template}"


def options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="deploy/install.sh",
        description="Install Safe Passage on a Debian 12 server (see the README: Production).",
    )
    where = parser.add_argument_group("where")
    where.add_argument("--name", default="safe-passage", help="the instance's name: users, units")
    where.add_argument("--root", help="put every path below under this folder (a trial, a test)")
    where.add_argument("--prefix", help="code, virtualenv, static files (/opt/NAME)")
    where.add_argument("--config-dir", help="environment files and keys (/etc/NAME)")
    where.add_argument("--state-dir", help="the services' own data (/var/lib/NAME)")
    where.add_argument("--systemd-dir", help="unit files (/etc/systemd/system)")
    where.add_argument("--nginx-dir", help="nginx's configuration folder (/etc/nginx)")
    where.add_argument("--tor-dir", help="tor's configuration folder (/etc/tor)")
    where.add_argument("--tor-data-dir", help="where tor keeps onion keys (/var/lib/tor)")
    where.add_argument("--log-dir", help="nginx's log folder (/var/log/nginx)")
    where.add_argument("--source", default=str(SOURCE), help="the checkout to install")
    who = parser.add_argument_group("who")
    who.add_argument("--web-user", help="the web app's system user (NAME)")
    who.add_argument("--signer-user", help="the audit signer's system user (NAME-signer)")
    who.add_argument("--nginx-user", default="www-data", help="joins the web user's group")
    who.add_argument("--tor-user", default="debian-tor", help="owns the onion key")
    site = parser.add_argument_group("the site")
    site.add_argument("--server-name", help="the public host name (required on a first install)")
    site.add_argument("--listen-address", default="", help="nginx's address (default: all)")
    site.add_argument("--https-port", type=int, default=443)
    site.add_argument("--http-port", type=int, default=80)
    site.add_argument("--tls-cert", help="default /etc/letsencrypt/live/HOST/fullchain.pem")
    site.add_argument("--tls-key", help="default /etc/letsencrypt/live/HOST/privkey.pem")
    site.add_argument(
        "--self-signed",
        action="store_true",
        help="make a self-signed certificate when none is there (a trial only)",
    )
    site.add_argument("--keep-default-site", action="store_true", help="keep nginx's default site")
    site.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (2)")
    site.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for web.env (ORGANISATION_NAME=..., repeatable)",
    )
    site.add_argument("--alert-mail", default="", help="mail failures here (needs sendmail)")
    onion = parser.add_argument_group("the onion service")
    onion.add_argument("--no-onion", action="store_true", help="no onion service")
    onion.add_argument("--onion-address", help="use this address (its key is added to tor later)")
    onion.add_argument("--onion-port", type=int, default=8081, help="nginx's loopback port for tor")
    data = parser.add_argument_group("the database")
    data.add_argument("--owner-database-url", help="the owner role's URL (migrate, purge)")
    data.add_argument("--app-database-url", help="the app role's URL (web app, signer, timers)")
    data.add_argument("--app-role", help="the app role's name (default: the app URL's user)")
    run_ = parser.add_argument_group("running")
    run_.add_argument("--python", default="/usr/bin/python3.11", help="for the virtualenv")
    run_.add_argument(
        "--no-start", action="store_true", help="write everything, start nothing (no systemctl)"
    )
    keep = parser.add_argument_group("backups, upgrades and restores (README: Production)")
    keep.add_argument(
        "--backup-recipient",
        help="the operator's age public key (age1...): backups are encrypted to it",
    )
    keep.add_argument("--backup-dir", help="where archives go (/var/backups/NAME, root's)")
    keep.add_argument(
        "--upgrade",
        action="store_true",
        help="upgrade an installed site: backup, then code, migrate, collectstatic, restart",
    )
    keep.add_argument(
        "--no-backup",
        action="store_true",
        help="with --upgrade: skip the backup (only when you have just taken one)",
    )
    keep.add_argument(
        "--restore",
        metavar="ARCHIVE",
        help="a fresh server: restore this backup into the (empty) database instead of migrate",
    )
    keep.add_argument("--identity", help="with --restore: the operator's age key file")
    keep.add_argument("--expect", help="with --restore: the newest signed heads the auditor kept")
    keep.add_argument("--purges-from", help="with --restore: an audit export newer than the backup")
    return parser.parse_args(argv)


def layout(args: argparse.Namespace) -> Layout:
    root = Path(args.root).resolve() if args.root else Path("/")

    def place(given: str | None, default: str) -> Path:
        return Path(given).resolve() if given else root / default.lstrip("/")

    name = args.name
    if not re.fullmatch(r"[a-z][a-z0-9-]{0,23}", name):
        sys.exit("--name: lower-case letters, digits and '-', at most 24, a letter first.")
    return Layout(
        name=name,
        root=root,
        prefix=place(args.prefix, f"/opt/{name}"),
        config=place(args.config_dir, f"/etc/{name}"),
        state=place(args.state_dir, f"/var/lib/{name}"),
        systemd=place(args.systemd_dir, "/etc/systemd/system"),
        nginx=place(args.nginx_dir, "/etc/nginx"),
        tor=place(args.tor_dir, "/etc/tor"),
        tor_data=place(args.tor_data_dir, "/var/lib/tor"),
        log=place(args.log_dir, "/var/log/nginx"),
        backups=place(args.backup_dir, f"/var/backups/{name}"),
        link_dir=None if args.root else Path("/usr/local/sbin"),
        web_user=args.web_user or name,
        signer_user=args.signer_user or f"{name}-signer",
    )


# --- small helpers --------------------------------------------------------------------------------


def account(user: str) -> pwd.struct_passwd:
    return pwd.getpwnam(user)


def chown(path: Path, user: str | None, group: str | None = None) -> None:
    uid = account(user).pw_uid if user else 0
    gid = grp.getgrnam(group).gr_gid if group else (account(user).pw_gid if user else 0)
    os.chown(path, uid, gid)


def folder(path: Path, mode: int, user: str | None = None) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(mode)
    chown(path, user)
    return path


def read_env(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    sys.path.insert(0, str(HERE))
    from unitrun import read_env_file

    return read_env_file(path)


def env_line(name: str, value: str) -> str:
    if SAFE_VALUE.match(value):
        return f"{name}={value}"
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'{name}="{escaped}"'


def write_env(path: Path, values: dict[str, str], *, owner: str | None, title: str) -> None:
    """An environment file (systemd's EnvironmentFile= format), mode 0600, for `owner` alone.
    Lines an operator added by hand are kept (`values` already holds them)."""
    lines = [f"# {title}", "# Written by deploy/install.sh; a re-run keeps lines added by hand."]
    lines += [env_line(name, value) for name, value in values.items()]
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    os.chmod(temporary, 0o600)
    chown(temporary, owner)
    os.replace(temporary, path)


def render(template: str, values: dict[str, str]) -> str:
    text = (TEMPLATES / template).read_text()
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    left = re.findall(r"\{\{[A-Z_0-9]+\}\}", text)
    if left:
        raise SystemExit(f"install: {template} has unfilled {', '.join(sorted(set(left)))}")
    return re.sub(r"\n{3,}", "\n\n", text)


def write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    say(f"  wrote {path}")


def database_host_local(url: str) -> bool:
    host = urllib.parse.urlparse(url).hostname or ""
    if not host or host.startswith("/") or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Installer:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.at = layout(args)
        self.source = Path(args.source).resolve()
        self.onion = ""
        self.web_env: dict[str, str] = {}
        self.tls_cert = Path(args.tls_cert) if args.tls_cert else None
        self.tls_key = Path(args.tls_key) if args.tls_key else None
        existing = read_env(self.at.env_file("web"))
        if args.upgrade and not existing:
            sys.exit(f"install: --upgrade: nothing installed here ({self.at.env_file('web')}).")
        if args.upgrade and args.restore:
            sys.exit("install: --upgrade or --restore, not both.")
        if args.restore and not Path(args.restore).is_file():
            sys.exit(f"install: --restore: no archive {args.restore}.")
        self.server_name = args.server_name or existing.get("ALLOWED_HOSTS", "").split(",")[0]
        if not self.server_name:
            sys.exit("install: --server-name is needed on a first install.")
        owner_existing = read_env(self.at.env_file("owner"))
        recipient = args.backup_recipient or owner_existing.get("BACKUP_AGE_RECIPIENT")
        if args.upgrade and not args.no_backup and not recipient:
            sys.exit(
                "install: --upgrade takes a backup first: give --backup-recipient age1... once "
                "(the operator's age public key), or --no-backup if you have just taken one."
            )
        self.app_url = args.app_database_url or existing.get("DATABASE_URL", "")
        self.owner_url = args.owner_database_url or owner_existing.get("DATABASE_URL", "")
        if not (self.app_url and self.owner_url):
            sys.exit(
                "install: --owner-database-url and --app-database-url are needed on a first "
                "install (README: Production, the database)."
            )
        self.app_role = args.app_role or urllib.parse.unquote(
            urllib.parse.urlparse(self.app_url).username or ""
        )

    # -- running the app's own commands --------------------------------------------------------

    def manage(self, which: str, *arguments: str, user: str | None = None, **extra: str):
        """manage.py with one of the environment files, as `user` (root when None)."""
        command = [self.at.python, self.at.app / "deploy" / "unitrun.py"]
        command += ["--env-file", self.at.env_file(which), "--chdir", self.at.app]
        for name, value in extra.items():
            command += ["--setenv", f"{name}={value}"]
        if user:
            command += ["--user", user]
        command += ["--", self.at.python, "manage.py", *arguments]
        return run(command)

    # -- the steps -------------------------------------------------------------------------------

    def users(self) -> None:
        step("system users")
        for user, home in (
            (self.at.web_user, self.at.state / "web"),
            (self.at.signer_user, self.at.state / "signer"),
        ):
            try:
                account(user)
                say(f"  {user} exists")
            except KeyError:
                run(
                    [
                        *("useradd", "--system", "--user-group", "--no-create-home"),
                        *("--home-dir", home, "--shell", "/usr/sbin/nologin", user),
                    ]
                )
        nginx_user = self.args.nginx_user
        try:
            members = grp.getgrnam(self.at.web_user).gr_mem
            account(nginx_user)
        except KeyError:
            say(f"  no user {nginx_user}: install nginx, then run this again")
            return
        if nginx_user not in members:  # nginx may open the app's socket, nobody else
            run(["usermod", "--append", "--groups", self.at.web_user, nginx_user])

    def code(self) -> None:
        step(f"code: {self.source} -> {self.at.app}")
        folder(self.at.prefix, 0o755)
        staging = self.at.app.with_name("app.new")
        shutil.rmtree(staging, ignore_errors=True)

        def ignore(directory: str, names: list[str]) -> set[str]:
            skipped = {n for n in names if n in EVERYWHERE_EXCLUDED or n.endswith(".pyc")}
            if Path(directory).resolve() == self.source:
                skipped |= {n for n in names if n in TOP_LEVEL_EXCLUDED}
            return skipped

        shutil.copytree(self.source, staging, ignore=ignore)
        previous = self.at.app.with_name("app.old")
        shutil.rmtree(previous, ignore_errors=True)
        if self.at.app.exists():
            self.at.app.rename(previous)
        staging.rename(self.at.app)
        shutil.rmtree(previous, ignore_errors=True)
        run(["chown", "-R", "root:root", self.at.app])
        run(["chmod", "-R", "u+rwX,go+rX,go-w", self.at.app])
        bin_dir = folder(self.at.prefix / "bin", 0o755)
        manage = render(
            "manage.sh",
            {
                "NAME": self.at.name,
                "VENV": str(self.at.venv),
                "APP": str(self.at.app),
                "CONFIG": str(self.at.config),
                "WEB_USER": self.at.web_user,
                "SIGNER_USER": self.at.signer_user,
            },
        )
        write(bin_dir / "manage", manage, 0o755)
        if self.at.link_dir and self.at.link_dir.is_dir():
            link = self.at.link_dir / f"{self.at.name}-manage"
            if link.is_symlink() or link.exists():
                link.unlink()
            link.symlink_to(bin_dir / "manage")
            say(f"  {link} -> {bin_dir / 'manage'}")

    def virtualenv(self) -> None:
        step(f"virtualenv {self.at.venv} (requirements.txt only)")
        if not self.at.python.exists():
            run([self.args.python, "-m", "venv", self.at.venv])
        requirements = self.at.app / "requirements.txt"
        digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
        stamp = self.at.venv / ".requirements.sha256"
        if stamp.exists() and stamp.read_text().strip() == digest:
            say("  requirements unchanged")
        else:
            run(
                [
                    self.at.python,
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--no-input",
                    "--disable-pip-version-check",
                    "--require-hashes",
                    "-r",
                    requirements,
                ]
            )
            stamp.write_text(digest + "\n")
        run([self.at.python, "-m", "compileall", "-q", self.at.app])

    def onion_service(self) -> None:
        if self.args.no_onion:
            return
        step("onion service key")
        if self.args.onion_address:
            self.onion = self.args.onion_address.strip().lower()
            say(f"  using {self.onion}: put its key in {self.at.hs_dir} before tor starts")
            return
        if not self.at.tor_data.exists():
            folder(self.at.tor_data, 0o755)
        owner = self.args.tor_user
        try:
            account(owner)
        except KeyError:
            say(f"  no user {owner} (is tor installed?): the key stays root's")
            owner = ""
        command = [self.at.python, self.at.app / "deploy" / "onion.py", self.at.hs_dir]
        done = run(command + (["--owner", owner] if owner else []), capture_output=True, text=True)
        self.onion = done.stdout.strip()
        say(f"  onion address: {self.onion}")

    def environment(self) -> None:
        step(f"environment files in {self.at.config}")
        folder(self.at.config, 0o755)
        folder(self.at.keys, 0o755)
        folder(self.at.state, 0o755)
        folder(self.at.state / "web", 0o700, self.at.web_user)
        folder(self.at.state / "web" / "media", 0o700, self.at.web_user)
        folder(self.at.state / "signer", 0o700, self.at.signer_user)
        web_old = read_env(self.at.env_file("web"))
        signer_old = read_env(self.at.env_file("signer"))
        owner_old = read_env(self.at.env_file("owner"))
        secret = web_old.get("SECRET_KEY") or secrets.token_urlsafe(50)
        hosts = [self.server_name] + ([self.onion] if self.onion else [])
        disks = [str(self.at.prefix), str(self.at.state), "/tmp"]  # noqa: S108 (its room)
        if database_host_local(self.app_url) and Path("/var/lib/postgresql").is_dir():
            disks.append("/var/lib/postgresql")
        web = {
            "SAFE_PASSAGE_ENV": "production",
            "SECRET_KEY": secret,
            "DATABASE_URL": self.app_url,
            "ALLOWED_HOSTS": ",".join(hosts),
            "CLIENT_ADDRESS_HEADER": "X-Real-IP",
            "STATIC_ROOT": str(self.at.static),
            "MEDIA_ROOT": str(self.at.state / "web" / "media"),
            "SAFE_PASSAGE_LOCAL_DIR": str(self.at.state / "web"),
            "AUDIT_PUBLIC_KEY_FILE": str(self.at.public_key),
            "AUDIT_SIGNER_USER": self.at.signer_user,
            "HEALTH_SIGNING_KEY_FILE": str(self.at.private_key),
            "HEALTH_DISK_PATHS": ",".join(disks),
            "AUDIT_HEADS_FILE": str(self.at.heads),
            "ONION_ADDRESS": self.onion,
        }
        for item in self.args.set:
            name, sep, value = item.partition("=")
            if not sep or not re.fullmatch(r"[A-Z][A-Z0-9_]*", name):
                sys.exit(f"install: --set {item!r}: NAME=VALUE, with an upper-case NAME")
            if name == "AUDIT_SIGNING_KEY_FILE":
                sys.exit("install: AUDIT_SIGNING_KEY_FILE never goes into the web app's file.")
            web[name] = value
        web = {**web_old, **web}  # lines added by hand stay; the installer's own are renewed
        web.pop("AUDIT_SIGNING_KEY_FILE", None)
        max_age = int(web.get("AUDIT_MAX_UNSIGNED_AGE") or 3600)
        signer = {
            **signer_old,
            "SAFE_PASSAGE_ENV": "production",
            "SECRET_KEY": signer_old.get("SECRET_KEY") or secrets.token_urlsafe(50),
            # The signer reads events and appends checkpoints: the app role's rights suffice.
            "DATABASE_URL": self.app_url,
            "SAFE_PASSAGE_LOCAL_DIR": str(self.at.state / "signer"),
            "AUDIT_SIGNING_KEY_FILE": str(self.at.private_key),
            "AUDIT_PUBLIC_KEY_FILE": str(self.at.public_key),
            "AUDIT_SIGNER_STATE_DIR": str(self.at.state / "signer"),
            "AUDIT_MAX_UNSIGNED_AGE": str(max_age),
            # A checkpoint at least this often, even on a quiet chain, so that the newest is
            # always younger than AUDIT_MAX_UNSIGNED_AGE while the signer runs (the health check).
            "AUDIT_CHECKPOINT_DAILY_SECONDS": str(min(1800, max(60, max_age // 2))),
        }
        owner = {
            **owner_old,
            "SAFE_PASSAGE_ENV": "production",
            "SECRET_KEY": secret,
            "DATABASE_URL": self.owner_url,
            "ALLOWED_HOSTS": ",".join(hosts),
            "STATIC_ROOT": str(self.at.static),
            "AUDIT_PUBLIC_KEY_FILE": str(self.at.public_key),
            # The backups run as root with this file (README: Backups).
            "BACKUP_DIR": str(self.at.backups),
        }
        if self.args.backup_recipient:
            owner["BACKUP_AGE_RECIPIENT"] = self.args.backup_recipient.strip()
        for key in ("RETENTION_DAYS", "UNTOUCHED_DAYS", "RECENT_MESSAGE_DAYS"):
            if key in web:  # the purge must shred by the same rules the site shows
                owner[key] = web[key]
        self.web_env = web
        write_env(
            self.at.env_file("web"),
            web,
            owner=self.at.web_user,
            title=f"{self.at.name}: the web app and its timers (user {self.at.web_user})",
        )
        write_env(
            self.at.env_file("signer"),
            signer,
            owner=self.at.signer_user,
            title=f"{self.at.name}: the audit signer (user {self.at.signer_user}) alone",
        )
        write_env(
            self.at.env_file("owner"),
            owner,
            owner=None,
            title=f"{self.at.name}: the database owner (migrate, purge_expired); root's alone",
        )
        for which in ("web", "signer", "owner"):
            say(f"  {self.at.env_file(which)} (0600)")

    def tls(self) -> None:
        step("TLS certificate")
        live = Path("/etc/letsencrypt/live") / self.server_name
        self.tls_cert = self.tls_cert or live / "fullchain.pem"
        self.tls_key = self.tls_key or live / "privkey.pem"
        if self.tls_cert.exists() and self.tls_key.exists():
            say(f"  {self.tls_cert}")
            return
        if not self.args.self_signed:
            say(
                f"  {self.tls_cert} is not there yet: get one (certbot certonly --webroot ... or "
                "--standalone) and reload nginx; nginx refuses to start until then"
            )
            return
        self.tls_cert = self.at.config / "tls" / "selfsigned.crt"
        self.tls_key = self.at.config / "tls" / "selfsigned.key"
        folder(self.tls_cert.parent, 0o700)
        if not self.tls_cert.exists():
            run(
                [
                    *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30"),
                    *("-subj", f"/CN={self.server_name}"),
                    *("-addext", f"subjectAltName=DNS:{self.server_name}"),
                    *("-keyout", self.tls_key, "-out", self.tls_cert),
                ],
                capture_output=True,
            )
        say(f"  self-signed, 30 days: {self.tls_cert} (a trial only)")

    def static(self) -> None:
        step(f"collectstatic -> {self.at.static}")
        folder(self.at.static, 0o755)
        self.manage("owner", "collectstatic", "--noinput", "--clear", "-v", "0")
        run(["chmod", "-R", "go+rX", self.at.static])

    def audit_keys(self) -> None:
        step("audit signing key")
        self.manage(
            "owner",
            "audit_keygen",
            "--if-missing",
            "--owner",
            self.at.signer_user,
            AUDIT_SIGNING_KEY_FILE=str(self.at.private_key),
        )
        chown(self.at.private_key, self.at.signer_user)
        self.at.private_key.chmod(0o600)
        chown(self.at.public_key, None)
        self.at.public_key.chmod(0o644)
        say(f"  {self.at.private_key}: {self.at.signer_user} alone; {self.at.public_key}: all")

    def backup(self) -> None:
        """Before migrate: an upgrade's migrations are the one step that changes the database's
        shape. The new code writes the archive (as root, with owner.env) into the backup folder."""
        if not self.args.upgrade:
            return
        step(f"backup, before the upgrade's migrations -> {self.at.backups}")
        if self.args.no_backup:
            say("  skipped (--no-backup)")
            return
        folder(self.at.backups, 0o700)
        self.manage("owner", "backup")

    def migrate(self) -> None:
        if self.args.restore:
            step("restore, as the database owner (into the empty database)")
            folder(self.at.backups, 0o700)
            extra = [self.args.restore]
            if self.args.identity:
                extra += ["--identity", self.args.identity]
            if self.args.expect:
                extra += ["--expect", self.args.expect]
            if self.args.purges_from:
                extra += ["--purges-from", self.args.purges_from]
            self.manage("owner", "restore", *extra)  # it migrates after loading
            return
        step("migrate, as the database owner")
        self.manage("owner", "migrate", "--noinput", user="nobody")

    def db_roles(self) -> None:
        step("database roles")
        command = self.at.app / "audit" / "management" / "commands" / "db_roles.py"
        if not command.exists():
            say("  manage.py db_roles is not in this version: the app role's rights are yours")
            return
        if not self.app_role:
            sys.exit("install: no app role (give --app-role or a user in --app-database-url).")
        self.manage("owner", "db_roles", "--app-role", self.app_role, user="nobody")

    def units(self) -> None:
        step(f"systemd units in {self.at.systemd}")
        local = database_host_local(self.app_url) and database_host_local(self.owner_url)
        values = {
            "NAME": self.at.name,
            "APP": str(self.at.app),
            "VENV": str(self.at.venv),
            "CONFIG": str(self.at.config),
            "STATE": str(self.at.state),
            "WEB_USER": self.at.web_user,
            "SIGNER_USER": self.at.signer_user,
            "WORKERS": str(self.args.workers),
            "ALERT_MAIL": self.args.alert_mail,
            "HARDENING": (TEMPLATES / "hardening.conf").read_text().strip(),
            # The services speak to the database and nothing else: on one machine, loopback only.
            "IP_POLICY": "IPAddressDeny=any\nIPAddressAllow=localhost" if local else "",
            # The notification senders also speak to the mail server (EMAIL_HOST in web.env).
            "MAIL_IP_POLICY": "IPAddressDeny=any\nIPAddressAllow=localhost"
            if local and self.web_env.get("EMAIL_HOST", "localhost") in LOOPBACK_NAMES
            else "",
            "MORE_PRUNING": f"ExecStart={self.at.venv}/bin/python manage.py prune_signin_log"
            if (self.at.app / "accounts/management/commands/prune_signin_log.py").exists()
            else "",
        }
        for template, suffix in UNITS.items():
            write(self.at.systemd / self.at.unit(suffix), render(template, values))

    def nginx(self) -> None:
        step(f"nginx site in {self.at.nginx}")
        file_max = int(self.web_env.get("FILE_MAX_BYTES") or 10 * 1024 * 1024)
        body_mb = file_max // (1024 * 1024) + 2
        address = self.args.listen_address
        https = f"{address}:{self.args.https_port}" if address else str(self.args.https_port)
        http = f"{address}:{self.args.http_port}" if address else str(self.args.http_port)
        proxy_headers = self.at.nginx / "snippets" / f"{self.at.name}-proxy.conf"
        values = {
            "NAME": self.at.name,
            "SERVER_NAME": self.server_name,
            "HTTPS_LISTEN": https,
            "HTTP_LISTEN": http,
            "HTTPS_LISTEN_V6": ""
            if address
            else f"    listen [::]:{self.args.https_port} ssl http2 default_server;",
            "HTTP_LISTEN_V6": ""
            if address
            else f"    listen [::]:{self.args.http_port} default_server;",
            "HTTPS_PORT_SUFFIX": "" if self.args.https_port == 443 else f":{self.args.https_port}",
            "TLS_CERT": str(self.tls_cert),
            "TLS_KEY": str(self.tls_key),
            "LOG_DIR": str(self.at.log),
            "STATIC": str(self.at.static),
            "MAX_BODY": f"{body_mb}m",
            "FILE_MAX_MB": str(file_max // (1024 * 1024)),
            "PROXY_HEADERS": str(proxy_headers),
            "ACME_ROOT": str(self.at.root / "var/www/letsencrypt"),
            "ONION": self.onion,
            "ONION_PORT": str(self.args.onion_port),
            "ONION_LOCATION": f"        add_header Onion-Location http://{self.onion}$request_uri;"
            if self.onion
            else "",
        }
        site = render("nginx-site.conf", values)
        if self.onion:
            site += render("nginx-onion.conf", values)
        if not self.at.log.exists():
            folder(self.at.log, 0o755)
        if not (self.at.root / "var/www/letsencrypt").exists():
            folder(self.at.root / "var/www/letsencrypt", 0o755)
        write(proxy_headers, render("nginx-proxy-headers.conf", values))
        available = self.at.nginx / "sites-available" / f"{self.at.name}.conf"
        write(available, site)
        enabled = self.at.nginx / "sites-enabled" / f"{self.at.name}.conf"
        enabled.parent.mkdir(parents=True, exist_ok=True)
        if not enabled.is_symlink():
            enabled.symlink_to(available)
        default = self.at.nginx / "sites-enabled" / "default"
        if default.is_symlink() and not self.args.keep_default_site:
            default.unlink()  # it logs client addresses and takes port 80 as default_server
            say(f"  disabled nginx's default site ({default}; --keep-default-site keeps it)")

    def tor(self) -> None:
        if not self.onion:
            return
        step(f"tor: {self.at.tor}/torrc.d/{self.at.name}.conf")
        values = {
            "NAME": self.at.name,
            "HS_DIR": str(self.at.hs_dir),
            "ONION_PORT": str(self.args.onion_port),
        }
        write(self.at.tor / "torrc.d" / f"{self.at.name}.conf", render("torrc", values))
        main = self.at.tor / "torrc"
        include = f"%include {self.at.tor}/torrc.d/*.conf"
        if main.exists() and include not in main.read_text():
            with main.open("a") as handle:
                handle.write(f"\n# Added by Safe Passage's deploy/install.sh\n{include}\n")
            say(f"  {main}: added {include}")

    def check(self) -> None:
        step("manage.py check --deploy, as the web app's user")
        self.manage("web", "check", "--deploy", user=self.at.web_user)

    def start(self) -> None:
        step("start")
        units = [self.at.unit(name) for name in STARTED]
        if self.args.no_start or not Path("/run/systemd/system").is_dir():
            say("  not started (--no-start, or systemd is not PID 1). With systemd:")
            say("    systemctl daemon-reload && systemctl enable --now " + " ".join(units))
            if self.args.upgrade:
                restart = " ".join(self.at.unit(name) for name in ("web", "signer", "worker"))
                say(f"    systemctl restart {restart}")
            say("    nginx -t && systemctl reload nginx; systemctl restart tor")
            return
        run(["systemctl", "daemon-reload"])
        run(["systemctl", "enable", "--now", *units])
        if self.args.upgrade:  # the new code runs from now on
            run(
                [
                    "systemctl",
                    "restart",
                    self.at.unit("web.service"),
                    self.at.unit("signer.service"),
                    self.at.unit("worker.service"),
                ]
            )
        run(["nginx", "-t"])
        run(["systemctl", "reload-or-restart", "nginx"])
        if self.onion:
            run(["systemctl", "restart", "tor"])

    def summary(self) -> None:
        manage = self.at.prefix / "bin" / "manage"
        step("done")
        onion = f"  onion: http://{self.onion}/" if self.onion else ""
        say(f"  site: https://{self.server_name}/{onion}")
        say("  next, once (README: Production):")
        say(f"    {manage} createstaff ADMIN --role admin")
        say(f"    {manage} init_vault --grant CASEWORKER   # prints the recovery secret once")
        say(f"    the first signed heads: an auditor saves them; install them at {self.at.heads}")
        say(
            f"  health: curl -fsk --resolve {self.server_name}:{self.args.https_port}:127.0.0.1 "
            f"https://{self.server_name}:{self.args.https_port}/healthz ; {manage} healthcheck"
        )


STEPS = [
    "users",
    "code",
    "virtualenv",
    "onion_service",
    "environment",
    "tls",
    "static",
    "audit_keys",
    "backup",
    "migrate",
    "db_roles",
    "units",
    "nginx",
    "tor",
    "check",
    "start",
    "summary",
]


def main(argv: list[str] | None = None) -> None:
    args = options(argv)
    if os.geteuid() != 0:
        sys.exit("install: run it as root (it creates users and writes system files).")
    os.umask(0o022)
    installer = Installer(args)
    for name in STEPS:
        getattr(installer, name)()


if __name__ == "__main__":
    try:
        main()
    except subprocess.CalledProcessError as exc:
        sys.exit(f"install: a step failed (exit {exc.returncode}): {shlex.join(map(str, exc.cmd))}")
