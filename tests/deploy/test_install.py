"""deploy/install.sh, for real, once per `make test` (marker `install`: the SQLite pass only).

As root: the installer runs into a temporary root (its own system users with a unique suffix, a
fresh PostgreSQL database with an owner and an app role, made here and dropped afterwards), then
its units' ExecStart commands run directly (no systemd as PID 1 here: deploy/unitrun.py does what
systemd would around them, except the sandboxing), nginx runs the installed site on loopback high
ports with a self-signed certificate, and the unit files and the torrc are checked by
systemd-analyze and tor. Through nginx: an intake, a receipt code, a staff sign-in with two
factors and the case pages (a Python client from 127.83.21.9, so that the address can be looked
for in every log afterwards), the onion listener with PROXY-protocol lines for two Tor circuits,
one Chromium pass over the applicant form, the timers, the health checks; then the web app's
database connection is cut (a TCP relay: the shared server is never stopped) and every page must
be the project's own error page. Last, every log is searched for the client's address, the case
reference and the receipt code.

The tests of this module run in order and share one installation (`site`)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from core.health import readable_by
from tests.deploy.web import (
    Relay,
    Visitor,
    hidden_fields,
    proxy_request,
    raw_get,
    raw_post,
    split_answer,
)
from tests.factories import RECEIPT_RE, intake_data

pytestmark = pytest.mark.install

ROOT = Path(__file__).resolve().parents[2]
CI = os.environ.get("CI") == "true"
SERVER = "sp-install.test"
CLIENT = "127.83.21.9"  # the HTTPS client's own address: no log may hold it
CIRCUITS = ("fc00:dead:beef:4dad::a1:b2", "fc00:dead:beef:4dad::c3:d4")
PYTHON = Path("/usr/bin/python3.11")  # Debian's, as on a server
TOOLS = ("nginx", "tor", "systemd-analyze", "openssl")
PASSWORD = "install-test-password-of-length"
SERVICES = ("web", "signer", "purge", "prune", "verify", "health", "worker", "notify")
# One staff member of each role (tests/security/pages.py's VISITORS), all with PASSWORD.
STAFF = {"carla": "caseworker", "cora": "coordinator", "audrey": "auditor", "adam": "admin"}


def _unavailable(reason: str) -> None:
    if CI:
        pytest.fail(f"CI=true needs the install test: {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _totp(secret: str, at: float | None = None) -> str:
    key = base64.b32decode(secret.replace(" ", "").upper() + "=" * (-len(secret) % 8))
    counter = int((at or time.time()) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


@dataclass
class Site:
    top: Path
    name: str
    relay: Relay
    https: int
    http: int
    onion_port: int
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    reference: str = ""
    code: str = ""
    onion: str = ""
    secrets: dict[str, str] = field(default_factory=dict)  # username -> TOTP secret

    @property
    def root(self) -> Path:
        return self.top / "root"

    @property
    def prefix(self) -> Path:
        return self.root / "opt" / self.name

    @property
    def app(self) -> Path:
        return self.prefix / "app"

    @property
    def config(self) -> Path:
        return self.root / "etc" / self.name

    @property
    def units(self) -> Path:
        return self.root / "etc" / "systemd" / "system"

    @property
    def site_file(self) -> Path:
        return self.root / "etc" / "nginx" / "sites-available" / f"{self.name}.conf"

    @property
    def signer(self) -> str:
        return f"{self.name}-signer"

    def unit(self, service: str) -> Path:
        return self.units / f"{self.name}-{service}.service"

    def env(self, which: str) -> dict[str, str]:
        sys.path.insert(0, str(ROOT / "deploy"))
        from unitrun import read_env_file

        return read_env_file(self.config / f"{which}.env")

    def run_unit(self, service: str, *, timeout: int = 180, instance: str = ""):
        command = [sys.executable, self.app / "deploy" / "unitrun.py", self.unit(service)]
        if instance:
            command = [
                sys.executable,
                self.app / "deploy" / "unitrun.py",
                "--instance",
                instance,
                self.units / f"{self.name}-{service}@.service",
            ]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout)

    def start_unit(self, service: str) -> subprocess.Popen:
        log = (self.top / f"{service}.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, self.app / "deploy" / "unitrun.py", self.unit(service)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[service] = process
        return process

    def manage(self, *args: str, input: str | None = None, check: bool = True):
        done = subprocess.run(
            [self.prefix / "bin" / "manage", *args],
            capture_output=True,
            text=True,
            input=input,
            timeout=180,
        )
        if check:
            assert done.returncode == 0, f"manage {args}:\n{done.stdout}\n{done.stderr}"
        return done

    def visitor(self, language: str = "en") -> Visitor:
        return Visitor(self.https, SERVER, CLIENT, language)

    def logs(self) -> dict[Path, str]:
        found = {}
        for path in [*self.top.glob("*.log"), *(self.root / "var" / "log").rglob("*")]:
            if path.is_file():
                found[path] = path.read_text(errors="replace")
        return found


def _nginx_conf(site: Site) -> Path:
    """nginx.conf as Debian's, with the installed site included: an access log at the http
    level (which the site's servers must switch off) and the main error log at its default."""
    (site.top / "nginx-tmp").mkdir(exist_ok=True)
    conf = site.top / "nginx.conf"
    conf.write_text(
        f"""user www-data;
worker_processes 1;
pid {site.top}/nginx.pid;
error_log {site.top}/nginx-main.log;
events {{ worker_connections 128; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {site.top}/nginx-access.log;
    client_body_temp_path {site.top}/nginx-tmp/body;
    proxy_temp_path {site.top}/nginx-tmp/proxy;
    include {site.root}/etc/nginx/sites-enabled/*;
}}
"""
    )
    return conf


def _wait_for(check, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _drop_users(*names: str) -> None:
    for name in names:
        subprocess.run(["gpasswd", "-d", "www-data", name], capture_output=True)
        subprocess.run(["userdel", name], capture_output=True)
        subprocess.run(["groupdel", name], capture_output=True)


@pytest.fixture(scope="module")
def site():
    if os.geteuid() != 0:
        _unavailable("the install test runs as root (it creates system users)")
    if not all(shutil.which(tool) for tool in TOOLS):
        subprocess.run([ROOT / "scripts" / "ensure_deploy_tools.sh"], check=False)
    missing = [tool for tool in TOOLS if not shutil.which(tool)]
    if missing:
        _unavailable(f"missing {', '.join(missing)} (scripts/ensure_deploy_tools.sh installs them)")
    if not PYTHON.exists():
        _unavailable(f"{PYTHON} is missing")
    try:
        admin = psycopg.connect(
            "host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True
        )
    except psycopg.Error:
        _unavailable("no PostgreSQL on 127.0.0.1:5432 (scripts/ensure_postgres.sh)")
    token = secrets.token_hex(3)
    name = f"sp-t{token}"
    owner, app, database = f"sp_t{token}_owner", f"sp_t{token}_app", f"sp_t{token}"
    top = Path(tempfile.mkdtemp(prefix="sp-install-", dir="/tmp"))
    top.chmod(0o755)  # the services' users must reach the installation below it
    relay = Relay()
    here = Site(top, name, relay, _free_port(), _free_port(), _free_port())
    try:
        admin.execute(f"CREATE ROLE {_identifier(owner)} LOGIN")
        admin.execute(f"CREATE ROLE {_identifier(app)} LOGIN")
        admin.execute(f"CREATE DATABASE {_identifier(database)} OWNER {_identifier(owner)}")
        tls = top / "tls"
        tls.mkdir(mode=0o700)
        subprocess.run(
            [
                *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
                *("-subj", f"/CN={SERVER}", "-addext", f"subjectAltName=DNS:{SERVER}"),
                *("-keyout", tls / "key.pem", "-out", tls / "cert.pem"),
            ],
            check=True,
            capture_output=True,
        )
        command = [
            "bash",
            ROOT / "deploy" / "install.sh",
            *("--root", here.root, "--name", name, "--server-name", SERVER),
            *("--listen-address", "127.0.0.1", "--https-port", str(here.https)),
            *("--http-port", str(here.http), "--onion-port", str(here.onion_port)),
            *("--tls-cert", tls / "cert.pem", "--tls-key", tls / "key.pem"),
            *("--owner-database-url", f"postgres://{owner}@127.0.0.1:5432/{database}"),
            # The web app (and the signer) reach the database through the relay the last test
            # cuts.
            *("--app-database-url", f"postgres://{app}@127.0.0.1:{relay.port}/{database}"),
            *("--python", PYTHON, "--no-start"),
            *("--set", "RATE_LIMIT_INTAKE_PER_SOURCE=1", "--set", "ORGANISATION_NAME=Test Org"),
            # Staff sign in here with TOTP: Chromium offers no WebAuthn on a site whose
            # certificate it does not trust (this one is self-signed). Security keys, and the
            # policy that asks for them, are tested on localhost (tests/browser/).
            *("--set", "WEBAUTHN_REQUIRED_ROLES=none"),
        ]
        with (top / "install.log").open("w") as log:
            done = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, timeout=600)
        assert done.returncode == 0, (top / "install.log").read_text()[-6000:]
        here.onion = here.env("web")["ONION_ADDRESS"]
        here.start_unit("web")
        here.start_unit("signer")
        conf = _nginx_conf(here)
        subprocess.run(["nginx", "-t", "-q", "-c", conf], check=True)
        here.processes["nginx"] = subprocess.Popen(
            ["nginx", "-c", conf, "-g", "daemon off;"], start_new_session=True
        )
        _wait_for(lambda: here.visitor().get("/healthz").status == 200, "/healthz through nginx")
        yield here
    finally:
        _tear_down(here, admin, (database, app, owner))


def _tear_down(here: Site, admin, names: tuple[str, str, str]) -> None:
    """Everything the fixture made goes, each step whatever the one before did."""
    database, app, owner = names
    for name, process in here.processes.items():
        # gunicorn stops at once on SIGINT (SIGTERM waits for its workers), nginx on SIGTERM.
        stop = signal.SIGINT if name == "web" else signal.SIGTERM
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, stop)
    for process in here.processes.values():
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
    here.relay.cut()
    for statement in (
        f"DROP DATABASE IF EXISTS {_identifier(database)} WITH (FORCE)",
        f"DROP ROLE IF EXISTS {_identifier(app)}",
        f"DROP ROLE IF EXISTS {_identifier(owner)}",
    ):
        with contextlib.suppress(psycopg.Error):
            admin.execute(statement)
    admin.close()
    _drop_users(here.name, here.signer)
    shutil.rmtree(Path("/run") / here.name, ignore_errors=True)
    shutil.rmtree(here.top, ignore_errors=True)


# --- what the installer left --------------------------------------------------------------------


def _stat(path: Path) -> tuple[str, int]:
    import pwd

    info = path.stat()
    return pwd.getpwuid(info.st_uid).pw_name, info.st_mode & 0o777


def test_environment_files_and_keys_belong_to_their_users(site):
    assert _stat(site.config / "web.env") == (site.name, 0o600)
    assert _stat(site.config / "signer.env") == (site.signer, 0o600)
    assert _stat(site.config / "owner.env") == ("root", 0o600)
    web, signer, owner = site.env("web"), site.env("signer"), site.env("owner")
    assert "AUDIT_SIGNING_KEY_FILE" not in web
    assert "_owner@" not in web["DATABASE_URL"] and "_app@" in web["DATABASE_URL"]
    assert "_owner@" in owner["DATABASE_URL"]
    assert web["CLIENT_ADDRESS_HEADER"] == "X-Real-IP"
    assert web["ALLOWED_HOSTS"] == f"{SERVER},{site.onion}"
    assert web["ORGANISATION_NAME"] == "Test Org"
    assert signer["SECRET_KEY"] != web["SECRET_KEY"] == owner["SECRET_KEY"]
    private = Path(signer["AUDIT_SIGNING_KEY_FILE"])
    public = Path(web["AUDIT_PUBLIC_KEY_FILE"])
    assert _stat(private) == (site.signer, 0o600)
    assert readable_by(private, site.signer) and not readable_by(private, site.name)
    assert readable_by(public, site.name)
    assert int(signer["AUDIT_CHECKPOINT_DAILY_SECONDS"]) < int(signer["AUDIT_MAX_UNSIGNED_AGE"])
    assert (site.prefix / "static" / "staticfiles.json").exists()  # collectstatic ran


def test_the_virtualenv_holds_the_runtime_requirements_only(site):
    venv = site.prefix / "venv"
    listed = subprocess.run(
        [venv / "bin" / "python", "-m", "pip", "list", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    installed = {item["name"].lower() for item in json.loads(listed.stdout)}
    assert {"django", "gunicorn", "psycopg"} <= installed
    assert not installed & {"pytest", "playwright", "ruff", "hypothesis", "bandit"}
    assert not (site.app / "tests").exists() and not (site.app / ".venv").exists()


def test_the_unit_files_pass_systemd_analyze(site):
    units = sorted(str(path) for path in site.units.iterdir())
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *units], capture_output=True, text=True
    )
    assert done.returncode == 0 and not done.stdout.strip() and not done.stderr.strip(), (
        done.stdout + done.stderr
    )
    for service in SERVICES:
        text = site.unit(service).read_text()
        assert f"OnFailure={site.name}-failure@%n.service" in text, service
        exposure = subprocess.run(
            ["systemd-analyze", "security", "--offline=yes", "--no-pager", site.unit(service)],
            capture_output=True,
            text=True,
        )
        score = re.search(r"Overall exposure level for \S+: ([0-9.]+)", exposure.stdout)
        assert score and float(score.group(1)) <= 2.0, exposure.stdout[-2000:]
    web = site.unit("web").read_text()
    for needed in (
        "--no-control-socket",
        "--worker-class sync",
        f"unix:/run/{site.name}/web.sock",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
        "ProtectHome=yes",
    ):
        assert needed in web, needed
    assert "DynamicUser=yes" in site.unit("purge").read_text()
    assert f"{site.config}/owner.env" in site.unit("purge").read_text()


def test_tor_accepts_the_torrc_and_the_onion_key_it_was_given(site):
    snippet = site.root / "etc" / "tor" / "torrc.d" / f"{site.name}.conf"
    text = snippet.read_text()
    assert "HiddenServicePoWDefensesEnabled 1" in text
    assert "HiddenServiceExportCircuitID haproxy" in text
    assert f"HiddenServicePort 80 127.0.0.1:{site.onion_port}" in text
    # tor runs as root here, so it checks a root-owned copy of the key (the installed one is
    # debian-tor's); without hostname and public key, tor derives the address from the secret.
    work = site.top / "tor-check"
    keys = work / "hs"
    keys.mkdir(parents=True, mode=0o700)
    shutil.copy(site.root / "var" / "lib" / "tor" / site.name / "hs_ed25519_secret_key", keys)
    (work / "data").mkdir(mode=0o700)
    torrc = work / "torrc"
    torrc.write_text(
        f"DataDirectory {work / 'data'}\nSocksPort 0\nDisableNetwork 1\nLog notice stdout\n"
        + text.replace(str(site.root / "var" / "lib" / "tor" / site.name), str(keys))
    )
    verified = subprocess.run(
        ["tor", "--verify-config", "-f", torrc], capture_output=True, text=True, timeout=60
    )
    assert verified.returncode == 0 and "Configuration was valid" in verified.stdout, (
        verified.stdout
    )
    tor = subprocess.Popen(["tor", "-f", torrc], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        _wait_for(lambda: (keys / "hostname").exists(), "tor to load the onion key", 30)
    finally:
        tor.terminate()
        tor.wait(timeout=20)
    assert (keys / "hostname").read_text().strip() == site.onion


def test_the_nginx_site_logs_no_client_address(site):
    text = site.site_file.read_text()
    servers = text.count("\nserver {")
    assert servers == 3  # redirect, HTTPS, onion
    assert text.count("access_log off;") == servers
    error_logs = re.findall(r"^\s*error_log\s+(.*);$", text, re.M)
    assert len(error_logs) == servers and all(line.endswith(" emerg") for line in error_logs)
    assert "client_max_body_size 12m;" in text
    assert "proxy_set_header X-Real-IP $remote_addr;" in text
    assert "proxy_set_header X-Real-IP $proxy_protocol_addr;" in text
    assert f"listen 127.0.0.1:{site.onion_port} proxy_protocol" in text
    assert f"alias {site.prefix / 'static'}/;" in text


# --- through nginx --------------------------------------------------------------------------------


def test_an_intake_a_receipt_code_and_a_staff_sign_in_through_nginx(site):
    applicant = site.visitor()
    for path in ("/en/", "/ru/", "/en/request/", "/en/status/", "/staff/login/", "/healthz"):
        answer = applicant.get(path)
        assert answer.status == 200, (path, answer.status)
    stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]+\.css)"', applicant.get("/en/").body)
    assert stylesheet, "no hashed stylesheet on the page (collectstatic's manifest)"
    css = applicant.get(stylesheet.group(1))
    assert css.status == 200 and css.header("content-type").startswith("text/css")
    assert "immutable" in css.header("cache-control")  # nginx's location, not whitenoise's
    # A file that only STATIC_ROOT holds, made after gunicorn started (whitenoise indexes its
    # files at start): only nginx can serve it.
    marker = site.prefix / "static" / "served-by-nginx.txt"
    marker.write_text("nginx\n")
    try:
        assert applicant.get("/static/served-by-nginx.txt").body == "nginx\n"
    finally:
        marker.unlink()

    # The first staff members and the organisation key (the README's first steps): one of each
    # role, the case staff holding the key, as in tests/security/pages.py's world.
    password_file = site.top / "password.txt"  # read by the web app's user, then gone
    password_file.write_text(PASSWORD + "\n")
    password_file.chmod(0o644)
    try:
        for username, role in STAFF.items():
            site.manage(
                "createstaff", username, "--role", role, "--password-file", str(password_file)
            )
    finally:
        password_file.unlink()
    site.manage("init_vault", "--grant", "carla", "--grant", "cora")
    applicant.get("/en/request/")
    sent = applicant.act("intake", **intake_data())
    assert sent.status == 200, sent.body[:2000]
    site.code = re.search(RECEIPT_RE, sent.body).group(1)
    site.reference = re.search(r"<strong>(EV-[\w-]+)</strong>", sent.body).group(1)
    applicant.get("/en/request/")
    assert applicant.act("intake", **intake_data()).status == 429  # one per source (the setting)
    applicant.get("/en/status/")
    status = applicant.act("lookup", code=site.code)
    assert status.status == 200 and site.reference in status.body

    staff = _sign_in_and_enrol(site, "carla")
    for path in ("/staff/", "/staff/cases/", f"/staff/cases/{site.reference}/"):
        answer = staff.get(path)
        assert answer.status == 200, (path, answer.status)
    assert site.reference in staff.get("/staff/cases/").body
    page = staff.get(f"/staff/cases/{site.reference}/")
    opened = staff.post(
        f"/staff/cases/{site.reference}/",
        {**hidden_fields(page.body), "reason": "assess"},
    )
    if opened.status == 302:  # opened for the session, then shown on the case page
        opened = staff.get(opened.header("location"))
    assert opened.status == 200 and intake_data()["situation"] in opened.body
    site.staff = staff  # signed in: the database-down test reuses this session


def _sign_in_and_enrol(site: Site, username: str) -> Visitor:
    """A first sign-in through nginx: password, then the authenticator enrolment with a code
    from the secret the page shows (kept in site.secrets for a later sign-in)."""
    staff = site.visitor()
    login = staff.get("/staff/login/")
    signed = staff.post(
        "/staff/login/",
        {**hidden_fields(login.body), "username": username, "password": PASSWORD},
    )
    assert signed.status == 302, (username, signed.body[:1000])
    enrol = staff.get(signed.header("location"))
    assert enrol.status == 200, (username, enrol.status)
    secret = re.search(r'<span class="secret">([^<]+)</span>', enrol.body).group(1)
    site.secrets[username] = secret
    enrolled = staff.post(
        "/staff/login/enrol/", {**hidden_fields(enrol.body), "token": _totp(secret)}
    )
    assert enrolled.status == 200 and "backup" in enrolled.body.lower(), enrolled.body[:1000]
    return staff


def test_every_page_a_role_may_see_answers_200_through_nginx(site):
    """The access matrix's 200 cells, through the proxy: each page that a caseworker, a
    coordinator, an auditor or an administrator may open, with one signed-in session per role
    (the four walk at once), and every applicant page in every language. The applicant pages
    are the same for everyone (no session reaches them: tests/security), so the caseworker's
    session walks them once."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.security.pages import APPLICANT_PATTERNS, VISITORS, patterns
    from tests.security.test_access_matrix import MATRIX

    assert site.reference, "no case: the intake test failed first"
    started = time.monotonic()
    script = (
        "import json; from audit.models import AuditEvent; from accounts.models import User; "
        "print(json.dumps({'sequence': AuditEvent.objects.order_by('sequence')"
        ".values_list('sequence', flat=True).first(), "
        "'user': User.objects.get(username='carla').pk}))"
    )
    ids = json.loads(site.manage("shell", "--no-imports", "-c", script).stdout)
    params = {
        "reference": site.reference,
        "sequence": str(ids["sequence"]),
        "object_id": str(ids["user"]),
        "id": str(ids["user"]),
        "app_label": "accounts",
    }
    pages = patterns()
    assert {page.pattern for page in pages} == set(MATRIX), "the access matrix is out of date"
    applicant_pages = [page for page in pages if page.pattern in APPLICANT_PATTERNS]
    assert len(applicant_pages) == len(APPLICANT_PATTERNS) >= 6  # two languages or more

    def walk(username: str) -> list[tuple[str, str, int]]:
        role = STAFF[username]
        column = VISITORS.index(role)
        visible = [
            page
            for page in pages
            if MATRIX[page.pattern][column] == "200"
            and (page.pattern not in APPLICANT_PATTERNS or username == "carla")
        ]
        assert visible, role
        staff = site.staff if username == "carla" else _sign_in_and_enrol(site, username)
        return [(role, url, staff.get(url).status) for url in (p.url(params) for p in visible)]

    with ThreadPoolExecutor(max_workers=len(STAFF)) as pool:
        seen = [row for rows in pool.map(walk, STAFF) for row in rows]
    wrong = [f"{role} {url}: {status}" for role, url, status in seen if status != 200]
    assert not wrong, "\n".join(wrong)
    walked = {url for _role, url, _status in seen}
    assert {page.url(params) for page in applicant_pages} <= walked
    print(f"walked {len(seen)} pages through nginx in {time.monotonic() - started:.1f} s")


def test_the_onion_host_answers_over_plain_http_and_counts_each_circuit(site):
    status, headers, body = split_answer(
        proxy_request(site.onion_port, CIRCUITS[0], site.onion, raw_get("/en/"))
    )
    assert status == 200 and "Safe Passage" in body
    assert "strict-transport-security" not in headers and "location" not in headers
    assert "Onion-Location".lower() in site.visitor().get("/en/").headers

    def intake(circuit: str) -> int:
        page = proxy_request(site.onion_port, circuit, site.onion, raw_get("/en/request/"))
        token = re.search(r'name="form_token" value="([^"]+)"', page.decode()).group(1)
        form = {**intake_data(), "form_token": token}
        raw = proxy_request(site.onion_port, circuit, site.onion, raw_post("/en/request/", form))
        return split_answer(raw)[0]

    assert intake(CIRCUITS[0]) == 200
    assert intake(CIRCUITS[0]) == 429  # the same circuit again: its own allowance is spent
    assert intake(CIRCUITS[1]) == 200  # another circuit is another source
    status, _, _ = split_answer(
        proxy_request(site.onion_port, CIRCUITS[0], site.onion, raw_get("/health/"))
    )
    assert status == 404  # the monitoring page is never on the onion


def test_chromium_sends_the_applicant_form_through_nginx(site, playwright_driver):
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        _unavailable("Debian's chromium is not installed")
    from tests.browser.conftest import CHROMIUM_ARGS

    base = f"https://{SERVER}:{site.https}"
    browser = playwright_driver.chromium.launch(
        executable_path=str(chromium),
        headless=True,
        args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {SERVER} 127.0.0.1"],
    )
    try:
        context = browser.new_context(locale="en-GB", ignore_https_errors=True)
        page = context.new_page()
        page.set_default_timeout(30000)
        statics = []
        page.on("response", lambda r: statics.append(r.status) if "/static/" in r.url else 0)
        answer = page.goto(f"{base}/en/request/")
        assert answer.status == 200
        page.fill("input[name=name]", "Browser Alias")
        page.check("input[name=contact_method][value=signal]")
        page.fill("input[name=contact_handle]", "@browser_alias")
        page.fill("input[name=country]", "Somewhere")
        page.fill("textarea[name=situation]", "Sent from Chromium through nginx.")
        page.check("input[name=urgency][value=now]")
        page.fill("input[name=party_size]", "1")
        page.check("input[name=travel_documents][value=valid_passport]")
        page.check("input[name=help_needed][value=transport]")
        page.check("input[name=consent]")
        with page.expect_navigation():
            page.click("button[type=submit]:has-text('Send my request')")
        assert re.search(r"[0-9]{4}", page.locator("p.receipt").inner_text())
        assert statics and all(status == 200 for status in statics), statics

        # A staff sign-in in the same browser: password, then the authenticator's code (the
        # next 30-second step's: the current one may have been spent by the enrolment, and
        # one step ahead is within the device's tolerance), then the case queue.
        assert "carla" in site.secrets, "carla never enrolled: the sign-in test failed first"
        answer = page.goto(f"{base}/staff/login/")
        assert answer.status == 200
        page.fill("input[name=username]", "carla")
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]:has-text('Continue')")
        assert page.url == f"{base}/staff/login/code/", page.url
        page.fill("input[name=token]", _totp(site.secrets["carla"], time.time() + 30))
        with page.expect_navigation():
            page.click("button[type=submit]:has-text('Sign in')")
        assert page.url == f"{base}/staff/", (page.url, page.content()[:1000])
        answer = page.goto(f"{base}/staff/cases/")
        assert answer.status == 200
        assert page.locator(f"text={site.reference}").count() >= 1, page.content()[:2000]
        assert statics and all(status == 200 for status in statics), statics
    finally:
        browser.close()


# --- the timers and the health checks ------------------------------------------------------------


def test_the_timers_run_and_health_is_green_once_the_first_heads_are_installed(site):
    for service in ("purge", "prune", "notify"):
        done = site.run_unit(service)
        assert done.returncode == 0, done.stdout + done.stderr
    assert "purged" in site.run_unit("purge").stdout
    heads = Path(site.env("web")["AUDIT_HEADS_FILE"])
    first = site.run_unit("verify")
    assert first.returncode == 1 and "no signed heads" in first.stderr, first.stderr
    failure = site.run_unit("failure", instance=f"{site.name}-verify.service")
    assert failure.returncode == 0 and failure.stdout.startswith("<3>")
    assert f"{site.name}-verify.service failed" in failure.stdout

    # What an auditor's "Save the signed heads" gives, made here as the web app's user.
    script = (
        "from audit import signing; from audit.models import Checkpoint; "
        "print('\\n'.join(signing.statement_line(signing.statement(sequence=c.sequence, "
        "hash=c.hash, signed_at=c.created_at, fingerprint=c.key_fingerprint, "
        "signature=c.signature)) for c in Checkpoint.objects.order_by('-sequence')))"
    )

    def exported() -> str:
        return site.manage("shell", "--no-imports", "-c", script).stdout.strip()

    _wait_for(lambda: bool(exported()), "the signer's first checkpoint", 60)
    heads.write_text(exported() + "\n")
    heads.chmod(0o644)
    verified = site.run_unit("verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    health = site.run_unit("health")
    assert health.returncode == 0, health.stdout + health.stderr
    assert health.stdout.strip().endswith("healthy")
    # The monitoring page: from this machine through nginx, and refused from anywhere else
    # (nginx's allow list here; the app refuses too: tests/deploy/test_health.py).
    local = Visitor(site.https, SERVER, "127.0.0.1").get("/health/")
    assert local.status == 200 and json.loads(local.body)["ok"] is True, local.body
    assert site.visitor().get("/health/").status == 403


# --- the database goes away -----------------------------------------------------------------------


def test_with_the_database_gone_every_page_is_our_own_error_page(site):
    staff = getattr(site, "staff", None)
    assert staff is not None, "no signed-in staff session: the sign-in test failed first"
    applicant = site.visitor("ru")
    applicant.get("/ru/request/")
    form = applicant.form("intake")
    site.relay.cut()
    ours = '<a class="quick-exit"'
    answers = {
        "intake (ru)": (applicant.post(form[0], {**form[1], **intake_data()}), "ru"),
        "staff queue (ru)": (staff.get("/staff/cases/", Accept_Language="ru"), "ru"),
        "case page (en)": (staff.get(f"/staff/cases/{site.reference}/"), "en"),
        "staff home (ru)": (staff.get("/staff/", Accept_Language="ru"), "ru"),
    }
    for what, (answer, language) in answers.items():
        assert answer.status in (500, 503), (what, answer.status, answer.body[:300])
        assert ours in answer.body, (what, answer.body)
        assert f'<html lang="{language}">' in answer.body, (what, answer.body)
        assert _title(language) in answer.body, (what, answer.body)
        assert "Internal Server Error" not in answer.body, what
        assert not answer.cookies, what
    assert site.visitor().get("/healthz").status == 503


def _title(language: str) -> str:
    from django.utils import translation

    with translation.override(language):
        return translation.gettext("Something went wrong")


# --- last: the logs -------------------------------------------------------------------------------


def test_no_log_holds_the_client_address_the_reference_or_the_code(site):
    for service in ("web", "signer", "nginx"):  # all still up, through the outage too
        assert site.processes[service].poll() is None, service
    logs = site.logs()
    web_log = logs[site.top / "web.log"]
    assert "Booting worker" in web_log  # the right file, and it was written
    assert "django.request" in web_log or "core.failsafe" in web_log  # the outage was logged
    digits = re.sub(r"\D", "", site.code)
    secrets_ = [CLIENT, *CIRCUITS, "dead:beef:4dad::a1", site.reference, site.code, digits]
    for path, text in logs.items():
        for secret in secrets_:
            assert secret not in text, f"{path} holds {secret!r}"
    assert not (site.top / "nginx-access.log").exists() or not logs.get(
        site.top / "nginx-access.log"
    )
