#!/usr/bin/env python3
"""Run a systemd unit's ExecStart the way systemd would start it, without systemd.

    unitrun.py UNIT_FILE                       the unit's ExecStart, as its user, in its folder,
                                               with its EnvironmentFile= and Environment=
    unitrun.py --env-file F [--setenv N=V] [--user U] [--chdir D] -- COMMAND ...
                                               any command with an environment file, as a user

What it honours: User=, Group=, SupplementaryGroups=, DynamicUser= (as `nobody`), WorkingDirectory=,
EnvironmentFile= (several; a leading "-" makes one optional), Environment=, UMask=,
RuntimeDirectory= (made under /run, owned by the user, RuntimeDirectoryMode=), the ExecStart=
line's prefixes and its ${VAR} / $VAR and %n / %i / %% expansions. It replaces itself with the
command (exec), so the caller's process id is the service's. What it cannot do is everything
systemd does around a process: the sandboxing options (ProtectSystem=, NoNewPrivileges= ...),
cgroups, restarts, timers, OnFailure=. The installer uses it for `manage.py` as the right user
(PREFIX/bin/manage), the test suite to run each unit on a machine whose PID 1 is not systemd, and
an operator can use it the same way in a container. Standard library only.
"""

from __future__ import annotations

import argparse
import grp
import os
import pwd
import re
import shlex
import subprocess
import sys
from pathlib import Path

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


# --- reading files --------------------------------------------------------------------------------


def read_unit(path: Path) -> dict[str, list[tuple[str, str]]]:
    """A unit file as {section: [(key, value), ...]}: keys repeat, order kept, continuation
    lines joined, comments dropped."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    pending = ""
    for raw in Path(path).read_text().splitlines():
        line = pending + raw.strip() if pending else raw.strip()
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        pending = ""
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
        elif "=" in line and current is not None:
            key, value = line.split("=", 1)
            current.append((key.strip(), value.strip()))
    return sections


def values(section: list[tuple[str, str]], key: str) -> list[str]:
    return [value for name, value in section if name == key]


def last(section: list[tuple[str, str]], key: str, default: str = "") -> str:
    found = values(section, key)
    return found[-1] if found else default


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        inner = value[1:-1]
        return re.sub(r"\\(.)", r"\1", inner) if value[0] == '"' else inner
    return value


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines as systemd's EnvironmentFile= reads them (quotes and # comments)."""
    env = {}
    for raw in Path(path).read_text().splitlines():
        line = raw.strip()
        if not line or line[0] in "#;" or "=" not in line:
            continue
        key, value = line.split("=", 1)
        env[key.strip()] = _unquote(value)
    return env


def parse_environment(value: str) -> dict[str, str]:
    """Environment="A=1" B=2 (one line may set several)."""
    env = {}
    for item in shlex.split(value):
        if "=" in item:
            key, val = item.split("=", 1)
            env[key] = val
    return env


# --- the process ----------------------------------------------------------------------------------


def expand(word: str, env: dict[str, str], unit: str, instance: str) -> str:
    word = word.replace("%%", "\0").replace("%n", unit).replace("%i", instance)
    word = re.sub(r"\$\{(\w+)\}", lambda m: env.get(m.group(1), ""), word)
    word = re.sub(r"\$(\w+)", lambda m: env.get(m.group(1), ""), word)
    return word.replace("\0", "%")


def exec_as(
    command: list[str] | list[list[str]],
    *,
    env: dict[str, str],
    user: str | None,
    group: str | None = None,
    supplementary: list[str] = (),
    chdir: str | None = None,
    umask: int = 0o022,
) -> None:
    """Drops to `user` (if any; root needed), then replaces this process with `command`. Given
    several commands (a oneshot unit's ExecStart= lines), runs them in order and stops at the
    first that fails, as systemd does; the last one replaces this process."""
    commands = command if command and isinstance(command[0], list) else [command]
    if user:
        account = pwd.getpwnam(user)
        gid = grp.getgrnam(group).gr_gid if group else account.pw_gid
        env.setdefault("USER", account.pw_name)
        env.setdefault("LOGNAME", account.pw_name)
        env.setdefault("HOME", account.pw_dir)
        env.setdefault("SHELL", account.pw_shell)
        if os.geteuid() == 0:
            groups = set(os.getgrouplist(account.pw_name, gid))
            groups |= {grp.getgrnam(name).gr_gid for name in supplementary}
            os.setgroups(sorted(groups))
            os.setgid(gid)
            os.setuid(account.pw_uid)
        elif account.pw_uid != os.geteuid():
            sys.exit(f"unitrun: only root can run a command as {user}.")
    env.setdefault("PATH", DEFAULT_PATH)
    os.umask(umask)
    if chdir:
        os.chdir(chdir)
    for earlier in commands[:-1]:
        status = subprocess.call(earlier, env=env)  # noqa: S603 (the unit's own command line)
        if status:
            sys.exit(status)
    os.execvpe(commands[-1][0], commands[-1], env)  # noqa: S606 (the unit's own command)


def run_unit(path: Path, *, instance: str = "", dry_run: bool = False) -> None:
    unit = read_unit(path)
    service = unit.get("Service", [])
    name = Path(path).name
    env: dict[str, str] = {}
    for item in values(service, "EnvironmentFile"):
        optional = item.startswith("-")
        file = Path(item.lstrip("-"))
        if optional and not file.exists():
            continue
        env.update(read_env_file(file))
    for item in values(service, "Environment"):
        env.update(parse_environment(item))
    user = last(service, "User") or None
    group = last(service, "Group") or None
    if last(service, "DynamicUser").lower() in {"yes", "true", "1", "on"}:
        user, group = user or "nobody", group or "nogroup"
    supplementary = " ".join(values(service, "SupplementaryGroups")).split()
    for directory in " ".join(values(service, "RuntimeDirectory")).split():
        runtime = Path("/run") / directory
        runtime.mkdir(parents=True, exist_ok=True)
        runtime.chmod(int(last(service, "RuntimeDirectoryMode", "0755"), 8))
        if user and os.geteuid() == 0:
            account = pwd.getpwnam(user)
            gid = grp.getgrnam(group).gr_gid if group else account.pw_gid
            os.chown(runtime, account.pw_uid, gid)
        env.setdefault("RUNTIME_DIRECTORY", str(runtime))
    start = values(service, "ExecStart")
    if not start:
        sys.exit(f"unitrun: {path} has no ExecStart=.")
    commands = [
        [expand(word, env, name, instance) for word in shlex.split(line.lstrip("-@+!:"))]
        for line in start
    ]
    chdir = last(service, "WorkingDirectory").lstrip("-") or None
    if dry_run:
        print("\n".join(shlex.join(command) for command in commands))
        return
    exec_as(
        commands,
        env=env,
        user=user,
        group=group,
        supplementary=supplementary,
        chdir=None if chdir == "~" else chdir,
        umask=int(last(service, "UMask", "0022"), 8),
    )


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    command: list[str] = []
    if "--" in argv:
        at = argv.index("--")
        argv, command = argv[:at], argv[at + 1 :]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("unit", nargs="?", help="a .service file")
    parser.add_argument("--instance", default="", help="%%i for a template unit")
    parser.add_argument("--dry-run", action="store_true", help="print the command only")
    parser.add_argument("--env-file", action="append", default=[])
    parser.add_argument("--setenv", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--user")
    parser.add_argument("--chdir")
    args = parser.parse_args(argv)
    if args.unit:
        run_unit(Path(args.unit), instance=args.instance, dry_run=args.dry_run)
        return
    if not command:
        parser.error("give a unit file, or -- and a command")
    env: dict[str, str] = {}
    for file in args.env_file:
        env.update(read_env_file(Path(file)))
    for item in args.setenv:
        name, _, value = item.partition("=")
        env[name] = value
    exec_as(command, env=env, user=args.user, chdir=args.chdir)


if __name__ == "__main__":
    main()
