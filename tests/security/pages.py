"""Every URL pattern the project defines, made concrete, and one signed-in client per kind of
visitor. Used by the header and access-matrix tests (tests/security only)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.factories import DEFAULT_PASSWORD, Applicant, Team, make_staff

VISITORS = (
    "anonymous",
    "applicant",
    "caseworker",
    "coordinator",
    "auditor",
    "admin",
    "no_second_factor",
)

# The applicant's pages carry their language (i18n_patterns): the walk gives each of them once
# per language in settings.LANGUAGES.
APPLICANT_PAGES = ("", "request/", "status/")
LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)  # ("en", "ru")
APPLICANT_PATTERNS = frozenset(f"{lang}/{page}" for lang in LANGUAGES for page in APPLICANT_PAGES)


@dataclass(frozen=True)
class Page:
    pattern: str  # the full pattern as written in the urlconfs, e.g. "staff/cases/<str:reference>/"
    name: str  # namespaced name, "-" for unnamed

    def url(self, params: dict[str, str]) -> str:
        return "/" + fill(self.pattern, params)


def patterns() -> list[Page]:
    """Every leaf pattern reachable from config.urls, recursively; a language-prefixed part
    (i18n_patterns) once for every language the project speaks ("en/request/", "ru/request/")."""
    from django.urls import LocalePrefixPattern
    from django.utils import translation

    def prefixes(item: URLResolver) -> list[str]:
        if not isinstance(item.pattern, LocalePrefixPattern):
            return [str(item.pattern)]
        found = []
        for code in LANGUAGES:
            with translation.override(code):
                found.append(item.pattern.language_prefix)
        return found

    def walk(items, prefix: str, namespaces: tuple[str, ...]):
        for item in items:
            if isinstance(item, URLResolver):
                spaces = namespaces + ((item.namespace,) if item.namespace else ())
                for part in prefixes(item):
                    yield from walk(item.url_patterns, prefix + part, spaces)
            elif isinstance(item, URLPattern):
                yield Page(prefix + str(item.pattern), ":".join((*namespaces, item.name or "-")))

    return list(walk(get_resolver().url_patterns, "", ()))


_ROUTE_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")
_REGEX_PARAM = re.compile(r"\(\?P<(\w+)>[^)]*\)")


def fill(pattern: str, params: dict[str, str]) -> str:
    """Route converters and regex groups replaced by real values; regex anchors dropped."""

    def value(match: re.Match) -> str:
        name = match.group(1)
        if name not in params:
            raise KeyError(f"No value for the URL parameter {name!r} in {pattern!r}.")
        return str(params[name])

    # Regex groups first: "(?P<name>...)" also looks like a route converter "<name>".
    text = _REGEX_PARAM.sub(value, pattern)
    text = _ROUTE_PARAM.sub(value, text)
    return text.replace("^", "").replace("$", "")


def build_world(team: Team) -> dict:
    """One visitor of every role from the team (Carla, Cora, Audrey, Adam: TOTP enrolled, the
    case staff holding the organisation key) and a caseworker stopped before the second factor,
    one case with its receipt code, and the real objects whose ids fill URL parameters. Kim and
    Colin visit nothing: a test may have them work on cases."""
    from django.contrib.contenttypes.models import ContentType

    from accounts.models import Role, User
    from audit.models import AuditEvent

    staff = {
        Role.CASEWORKER: team.carla,
        Role.COORDINATOR: team.cora,
        Role.AUDITOR: team.audrey,
        Role.ADMIN: team.adam,
        "no_second_factor": make_staff(username="sec_half", role=Role.CASEWORKER),
    }
    reference, code = Applicant().submit()
    sequence = AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True).first()
    target = staff[Role.CASEWORKER]
    params = {
        "reference": reference,
        "sequence": str(sequence),
        "object_id": str(target.pk),
        "id": str(target.pk),
        "content_type_id": str(ContentType.objects.get_for_model(User).pk),
        "app_label": "accounts",
        "url": "nothing-here/",
        "uid": "00000000-0000-4000-8000-000000000000",  # no such file
        "period": "2025-Q3",  # a report period (a quarter with no case: an empty report)
        "token": "no-such-enrolment-link",  # an enrolment link that does not exist
        "key_id": "1",  # a security key nobody here has
    }
    return {"staff": staff, "reference": reference, "code": code, "params": params}


def clients(world: dict) -> dict[str, Client]:
    from tests.factories import verified_client

    half = Client()
    response = half.post(
        "/staff/login/",
        {"username": world["staff"]["no_second_factor"].username, "password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 302, "password step failed"
    # The applicant has typed their code (their status page is open). Applicant pages keep no
    # session or cookie, so this client holds nothing a stranger's does not.
    applicant = Applicant()
    applicant.check(world["code"])
    assert 'name="capability"' in applicant.page, "the code did not open the status page"
    found = {
        "anonymous": Client(),
        "applicant": applicant.client,
        "no_second_factor": half,
    }
    for role in ("caseworker", "coordinator", "auditor", "admin"):
        found[role] = verified_client(world["staff"][role])
    return found
