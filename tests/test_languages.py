"""The applicant's pages in ten languages, the staff pages in two.

Every applicant page, in every state it can be in, is drawn in each language and in English:
each message of the project's catalogues it used must be translated (not missing, not fuzzy),
and no sentence of the English page may be left on the translated one (that catches Django's
own messages too, where its catalogue for a language is incomplete). A translation no native
speaker has checked says so in its catalogue header and on every page. The staff pages are in
English and Russian only, and the Russian ones hold no English sentence.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.core.handlers.base import BaseHandler
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.utils import timezone, translation
from django.utils.translation import trans_real

from core import errors
from core.middleware import fallback_error_page
from core.translations import review_states, reviewed
from evacuation.applicant.pages import LANGUAGE_NAMES
from evacuation.models import Case
from evacuation.services import correspondence, retention
from tests.factories import (
    CROSS_SITE,
    Applicant,
    applicant_cipher,
    code_mistyped,
    code_with_secret,
    intake_data,
    intake_sent,
    language_switch,
    photo_with_gps,
    post_again,
    request_sent,
    send_form,
    set_cookies,
    vault_ready,
)
from tests.test_translations_complete import catalogues, po_entries
from vault import capabilities

ROOT = Path(__file__).resolve().parents[1]
APPLICANT_LANGUAGES = ["ru", "uk", "ka", "hy", "az", "kk", "ky", "uz", "tg"]
UNREVIEWED = ["uk", "ka", "hy", "az", "kk", "ky", "uz", "tg"]
NOTICE = "This translation has not yet been checked by a native speaker."
ENDONYMS = {
    "en": "English",
    "ru": "Русский",
    "uk": "Українська",
    "ka": "ქართული",
    "hy": "Հայերեն",
    "az": "Azərbaycanca",
    "kk": "Қазақша",
    "ky": "Кыргызча",
    "uz": "Oʻzbekcha",  # noqa: RUF001 (U+02BB, the letter of Uzbek Latin script)
    "tg": "Тоҷикӣ",
}


# --- the catalogues --------------------------------------------------------------------------


def project_messages() -> set[str]:
    """Every message of the project's own catalogues (the Russian ones are complete)."""
    return {entry.key for path in catalogues("ru") for entry in po_entries(path)[1:]}


def translated_messages(language: str) -> set[str]:
    """The project's messages that a catalogue of `language` translates."""
    return {
        entry.key
        for path in catalogues(language)
        for entry in po_entries(path)[1:]
        if entry.translated
    }


# --- what a page says ------------------------------------------------------------------------


class _Text(HTMLParser):
    """The text a person sees or hears: element text, and alt, title, aria-label and
    placeholder; not the language switch (each language in its own name, the same on every
    page), what was typed into a field, nor a code shown to be copied (class "secret": an onion
    address, a key, a hash)."""

    SKIP = {"script", "style", "textarea"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self._stack: list[bool] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        # Text marked as being in a language of its own (a language named in itself) is meant to
        # be the same on every page.
        in_its_own_language = tag != "html" and bool(attributes.get("lang"))
        skip = (
            tag in self.SKIP
            or "lang-switch" in classes
            or "secret" in classes
            or in_its_own_language
        )
        for name in ("alt", "title", "aria-label", "placeholder"):
            if attributes.get(name):
                self.parts.append(attributes[name])
        if tag in {"input", "br", "img", "meta", "link", "hr"}:
            if tag == "input" and attributes.get("type") == "submit" and attributes.get("value"):
                self.parts.append(attributes["value"])
            return
        self._stack.append(skip)
        self._skip += skip
        self.parts.append("\n")

    def handle_endtag(self, tag):
        if self._stack:
            self._skip -= self._stack.pop()
        self.parts.append("\n")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


# Words that are the same in every language: names, codes, references, numbers, units.
PROPER = re.compile(
    r"\b(?:Safe Passage|Tor Browser|Tor|Signal|Telegram|WhatsApp|SMS|UTC|JPEG|PNG|WebP|HEIC|PDF|"
    r"HIV|LGBT|MB|KB|EUR|USD)\b|EV-[\w-]+|\S+@\S+|https?://\S+|\S+\.onion|"
    r"\S+\.(?:jpg|png|webp|pdf)|[\d][\d\s:.,/-]*"
)


# A date alone ("1 May 2026"): months are checked in every catalogue (test_translations_complete),
# and "May" is "May" in more than one language.
DATE = re.compile(r"\d{1,2} [^\W\d_]+ \d{4}(, \d\d:\d\d)?( UTC)?")


def visible_text(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return html.unescape("".join(parser.parts))


def sentences(page: str, *, typed: tuple[str, ...] = ()) -> set[str]:
    """The page's sentences that hold a word of some language (not only names and numbers)."""
    text = visible_text(page)
    for value in sorted(typed, key=len, reverse=True):
        text = text.replace(value, " ")
    found = set()
    for line in text.split("\n"):
        for sentence in re.split(r"(?<=[.!?:;])\s+|\s+·\s+", line):
            sentence = " ".join(sentence.split())
            if re.search(r"[^\W\d_]{2,}", PROPER.sub(" ", sentence)):
                found.add(sentence)
    return found


# --- every applicant page in every state -----------------------------------------------------

# What the person types, left out of the comparison (it is the same in every language).
TYPED = (
    "Applicant Alias",
    "@applicant_alias",
    "Country Now",
    "City Now",
    "Threatened by my neighbours.",
    "Marker message one",
    "Marker message two",
    "Marker addition",
    "Marker reply",
    "photo.jpg",
    "notes.txt",
    "empty.jpg",
)


def _other(language: str) -> str:
    return "ru" if language == "en" else "en"


def _case(code: str) -> Case:
    return Case.objects.get(uid=applicant_cipher(code).case_uid)


def _moved_on(code: str, state: str) -> None:
    """The case moved to `state` by the staff (the applicant's pages only read the state)."""
    Case.objects.filter(pk=_case(code).pk).update(state=state, state_changed_at=timezone.now())


def applicant_states(settings, language: str, team: dict) -> Iterator[tuple[str, object]]:
    """(state, response) for every applicant page in every state it can be in, in `language`.
    The vault is not ready yet when this starts (the first state is the one without it)."""
    settings.ORGANISATION_NAME = "Example Org"
    settings.ORGANISATION_URL = "https://example.org/safe-passage"
    settings.ONION_ADDRESS = "exampleexampleexample.onion"
    person = Applicant(language=language)
    yield "request, service unavailable", intake_sent(person)
    vault_ready(team["carla"], team["cora"])

    person = Applicant(language=language)
    yield "home", person.open("/")
    yield "request form", person.open("/request/")
    empty = {
        "name": "",
        "contact_handle": "",
        "country": "",
        "situation": "",
        "party_size": "",
        "voucher": "",
    }
    yield "request, nothing answered", send_form(person, "intake", empty)
    wrong = intake_data(
        name="x" * 201,
        contact_method="email",
        contact_handle="not an address",
        city="City\x00Now",
        urgency="someday",
        party_size="two",
        travel_documents="visa",
        help_needed=["transport", "wings"],
    )
    yield "request, wrong answers", send_form(person, "intake", wrong)
    yield "request, no one travels", send_form(person, "intake", intake_data(party_size="0"))
    yield "request, too many travel", send_form(person, "intake", intake_data(party_size="25"))
    yield "request, form too old", send_form(person, "intake", {**intake_data(), "form_token": "x"})
    switching = Applicant(language=_other(language))
    switching.open("/request/")
    yield "request, switched", language_switch(switching, language, intake_data())

    person = Applicant(language=language)
    yield "received", intake_sent(person)
    answer = person.response
    code = re.search(r'<p class="receipt"[^>]*>\s*([0-9][0-9 -]*[0-9])\s*</p>', person.page)[1]
    yield "received again", person.resend()
    yield "written down", person.act("written_down", written_down="1")
    yield "already sent", post_again(person, answer)

    looking = Applicant(language=language)
    yield "lookup", looking.open("/status/")
    yield "lookup, no code", looking.act("lookup", code="")
    yield "lookup, wrong code", looking.act("lookup", code=code_with_secret(code, "0" * 16))
    yield "lookup, typo", looking.act("lookup", code=code_mistyped(code))
    yield "lookup, malformed", looking.act("lookup", code="12345")
    yield "lookup, form too old", looking.act("lookup", code=code, form_token="x")
    switching = Applicant(language=_other(language))
    switching.open("/status/")
    yield "lookup, switched", language_switch(switching, language, {"code": code})

    person = Applicant(language=language)
    yield "status, received", person.check(code)
    yield "status, empty message", person.act("message", text="  ")
    yield "status, message sent", person.act("message", text="Marker message one")
    yield "status, sent twice", person.resend()
    yield "status, added", person.act("add", text="Marker addition")
    yield "status, photo sent", person.act("upload", file=("photo.jpg", photo_with_gps()))
    yield "status, no file", person.act("upload")
    yield "status, not a photo", person.act("upload", file=("notes.txt", b"just some text"))
    yield "status, empty file", person.act("upload", file=("empty.jpg", b""))
    case, cipher = _case(code), applicant_cipher(code)
    for _ in range(2):
        correspondence.message_to_applicant(
            case=case, cipher=cipher, actor=team["carla"], text="Marker reply"
        )
    correspondence.attachment_add(
        case=case, cipher=cipher, actor=team["carla"], data=photo_with_gps()
    )
    yield "status, replies", person.check(code)
    yield "status, form too old", person.act("message", text="Marker message two", form_token="x")
    later = SimpleNamespace(time=lambda: time.time() + 16 * 60)
    with mock.patch.object(capabilities, "time", later):
        yield "code forgotten", person.act("message", text="Marker message two")
    for state in ("assessed", "funded", "relocated"):
        _reference, other_code = request_sent(Applicant(language=language))
        _moved_on(other_code, state)
        yield f"status, {state}", Applicant(language=language).check(other_code)
    _reference, declined = request_sent(Applicant(language=language))
    _moved_on(declined, "declined")
    person = Applicant(language=language)
    yield "status, declined", person.check(declined)
    yield "confirm delete", person.act("confirm_withdraw")
    yield "deleted", person.act("withdraw_delete")

    person = Applicant(language=language)
    person.check(code)
    yield "confirm withdraw", person.act("confirm_withdraw")
    yield "kept, and no one acts", person.act("keep")
    person.act("confirm_withdraw")
    yield "withdrawn", person.act("withdraw")

    _reference, held = request_sent(Applicant(language=language))
    retention.case_hold_set(case=_case(held), actor=team["cora"], reason="legal_proceedings")
    person = Applicant(language=language)
    yield "status, on hold", person.check(held)
    person.act("confirm_withdraw")
    yield "withdrawn and kept on hold", person.act("withdraw_delete")

    form = Applicant(language=language)
    form.open("/request/")
    yield "refused", send_form(form, "intake", intake_data(), headers=CROSS_SITE)
    yield "not found", Client().get(f"/{language}/no-such-page/")

    settings.RATE_LIMITS_ENABLED = True
    settings.RATE_LIMIT_INTAKE_PER_SOURCE = 1
    settings.RATE_LIMIT_CODE_FAILURES_PER_SOURCE = 1
    settings.RATE_LIMIT_CODE_TRICKLE_PER_MINUTE = 1
    settings.RATE_LIMIT_CASE_ACTIONS = 1
    request_sent(Applicant(language=language))
    yield "busy, request", intake_sent(Applicant(language=language))
    person = Applicant(language=language)
    person.check(code)
    person.act("message", text="Marker message one")
    yield "busy, status", person.act("message", text="Marker message two")
    looking = Applicant(language=language)
    for _ in range(2):
        looking.check(code_with_secret(code, "0" * 16))
    yield "busy, lookup", looking.check(code_with_secret(code, "1" * 16))
    settings.RATE_LIMIT_INTAKE_PER_SOURCE = 100
    settings.RATE_LIMIT_INTAKE_BURST = 1
    settings.RATE_LIMIT_INTAKE_PER_SECOND = 0.001  # one token refills in 1000 s: no race
    intake_sent(Applicant(Client(REMOTE_ADDR="192.0.2.1"), language=language))
    crowd = Applicant(Client(REMOTE_ADDR="192.0.2.2"), language=language)
    yield "busy, everyone", intake_sent(crowd)
    settings.RATE_LIMITS_ENABLED = False

    request = RequestFactory().get(f"/{language}/")
    with translation.override(language):
        for name, view in [
            ("error, bad request", errors.bad_request),
            ("error, not allowed", errors.forbidden),
            ("error, server", errors.server_error),
            ("error, form refused", errors.csrf_failure),
        ]:
            yield name, view(request)


# How each state answers (every other state: 200).
STATUS = {
    "request, service unavailable": 503,
    "refused": 403,
    "not found": 404,
    "busy, request": 429,
    "busy, status": 429,
    "busy, lookup": 429,
    "busy, everyone": 429,
    "error, bad request": 400,
    "error, not allowed": 403,
    "error, server": 500,
    "error, form refused": 403,
}


class Recorder:
    """Which messages each language looked up while a page was drawn (a request, or an error
    page drawn here): every gettext, ngettext, pgettext and npgettext ends in one of these two."""

    def __init__(self) -> None:
        self.used: list[tuple[str, str]] = []
        self.on = False

    def __enter__(self):
        recorder = self
        gettext = trans_real.DjangoTranslation.gettext
        ngettext = trans_real.DjangoTranslation.ngettext
        get_response = BaseHandler.get_response

        def recorded_gettext(translation_, message):
            if recorder.on:
                recorder.used.append((translation_.language(), message))
            return gettext(translation_, message)

        def recorded_ngettext(translation_, singular, plural, number):
            if recorder.on:
                recorder.used.append((translation_.language(), singular))
            return ngettext(translation_, singular, plural, number)

        def recorded_response(handler, request):
            with recorder.recording():
                return get_response(handler, request)

        self._patches = [
            mock.patch.object(trans_real.DjangoTranslation, "gettext", recorded_gettext),
            mock.patch.object(trans_real.DjangoTranslation, "ngettext", recorded_ngettext),
            mock.patch.object(BaseHandler, "get_response", recorded_response),
        ]
        for patch in self._patches:
            patch.start()
        return self

    def __exit__(self, *exc):
        for patch in reversed(self._patches):
            patch.stop()

    @contextmanager
    def recording(self):
        before, self.on = self.on, True
        try:
            yield
        finally:
            self.on = before

    def take(self, language: str) -> set[str]:
        """The messages `language` used since the last take."""
        used = {message for code, message in self.used if code == language}
        self.used.clear()
        return used


def drawn(settings, language: str, team: dict) -> dict[str, tuple[int, str, set[str]]]:
    """Every applicant state in `language`: (status, page, the messages it used)."""
    pages = {}
    with Recorder() as recorder:
        states = applicant_states(settings, language, team)
        while True:
            with recorder.recording():  # the error pages drawn without a request
                try:
                    name, response = next(states)
                except StopIteration:
                    break
            pages[name] = (response.status_code, response.content.decode(), recorder.take(language))
    return pages


_ENGLISH: dict[str, tuple[int, set[str]]] = {}


def english(settings, team) -> dict[str, tuple[int, set[str]]]:
    """The English pages' statuses and sentences (drawn once, then the database is emptied)."""
    if not _ENGLISH:
        for name, (status, page, _used) in drawn(settings, "en", team).items():
            _ENGLISH[name] = (status, {_shape(s) for s in sentences(page, typed=TYPED)})
        call_command("flush", interactive=False, verbosity=0)
        team.update(_staff())
        settings.RATE_LIMITS_ENABLED = False
    return _ENGLISH


def _shape(sentence: str) -> str:
    """A sentence with its numbers blanked (a wait in seconds, a count, a date)."""
    return re.sub(r"\d+", "#", sentence)


def _staff() -> dict:
    from tests.factories import cast_member

    return {"carla": cast_member("carla"), "cora": cast_member("cora")}


@pytest.fixture
def cast(transactional_db) -> dict:
    """Carla and Cora, who work on the cases the applicant's pages show (the vault is made by
    the first state, which needs none)."""
    return _staff()


# --- the applicant's pages in every language ---------------------------------------------------


@pytest.mark.parametrize("language", APPLICANT_LANGUAGES)
def test_every_applicant_page_in_every_state_is_translated(settings, cast, language):
    reference = english(settings, cast)
    translated = translated_messages(language)
    ours = project_messages()
    problems = []
    pages = drawn(settings, language, cast)
    assert set(pages) == set(reference)
    for name, (status, page, used) in pages.items():
        assert status == reference[name][0] == STATUS.get(name, 200), name
        assert f'lang="{language}"' in page, name
        missing = sorted(m for m in used & ours if m not in translated and re.search(r"\w", m))
        if missing:
            problems.append(f"{name}: not translated in {language}: {missing}")
        english_left = sorted(
            sentence
            for sentence in sentences(page, typed=TYPED)
            if _shape(sentence) in reference[name][1] and not DATE.fullmatch(sentence)
        )
        if english_left:
            problems.append(f"{name}: English left on the {language} page: {english_left}")
        notice = language in UNREVIEWED
        assert ('class="translation-notice"' in page) is notice, name
    assert not problems, "\n".join(problems)


# --- which languages, and how the first visit finds one ---------------------------------------


def test_ten_languages_for_applicants_and_two_for_staff():
    codes = [code for code, _name in django_settings.LANGUAGES]
    assert codes == ["en", *APPLICANT_LANGUAGES]
    assert codes == django_settings.APPLICANT_LANGUAGES
    assert django_settings.STAFF_LANGUAGES == ["en", "ru"]
    assert LANGUAGE_NAMES == ENDONYMS


@pytest.mark.django_db
def test_the_switch_names_each_language_in_itself():
    page = Client().get("/en/").content.decode()
    switch = re.search(r'<nav class="lang-switch".*?</nav>', page, re.S)[0]
    assert '<span aria-current="true" lang="en">English</span>' in switch
    for code in APPLICANT_LANGUAGES:
        assert f'<a href="/{code}/" lang="{code}" hreflang="{code}">{ENDONYMS[code]}</a>' in switch
    assert len(re.findall(r' lang="', switch)) == 10


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/request/"])
@pytest.mark.parametrize(
    ("accept", "language"),
    [
        ("uk", "uk"),
        ("uk-UA,uk;q=0.9,en-US;q=0.8,en;q=0.7", "uk"),
        ("ka", "ka"),
        ("ka-GE,ka;q=0.9,ru;q=0.6", "ka"),
        ("hy-AM", "hy"),
        ("az-Latn-AZ,az;q=0.9", "az"),
        ("kk-KZ", "kk"),
        ("ky-KG", "ky"),
        ("uz-Latn-UZ", "uz"),
        ("tg-TJ", "tg"),
        ("de-DE,de;q=0.9,ru;q=0.5", "ru"),  # the first language there is a translation for
        ("fr-FR", "en"),
    ],
)
def test_the_first_visit_follows_the_browsers_language(path, accept, language):
    response = Client(HTTP_ACCEPT_LANGUAGE=accept).get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/{language}{path}"
    assert "Accept-Language" in response["Vary"]
    assert set_cookies(response) == []  # the language goes in the URL, never in a cookie
    page = Client().get(response["Location"]).content.decode()
    assert f'<html lang="{language}">' in page


# --- a translation no native speaker has checked ----------------------------------------------


@pytest.mark.parametrize("language", APPLICANT_LANGUAGES)
def test_each_translation_says_whether_a_native_speaker_has_checked_it(language):
    states = review_states(language)
    assert len(states) == 2, states  # locale/<language>/ and evacuation/locale/<language>/
    expected = "reviewed" if language == "ru" else "unreviewed (machine-assisted"
    assert all(state.startswith(expected) for state in states.values()), states
    assert reviewed(language) is (language == "ru")


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", *APPLICANT_LANGUAGES])
def test_the_notice_is_in_the_pages_own_language(language):
    page = Client().get(f"/{language}/request/").content.decode()
    notice = re.search(r'<p class="translation-notice"[^>]*>(.*?)</p>', page)
    if language in UNREVIEWED:
        assert notice and notice[1] not in (NOTICE, ""), "no notice, or one in English"
        with translation.override(language):
            assert notice[1] == translation.gettext(NOTICE)
    else:
        assert notice is None


@pytest.mark.django_db
def test_a_translation_marked_reviewed_loses_its_notice():
    checked = {Path("uk/django.mo"): "reviewed (Example partner, 2027-01)"}
    reviewed.cache_clear()
    try:
        with mock.patch("core.translations.review_states", return_value=checked):
            assert 'class="translation-notice"' not in Client().get("/uk/").content.decode()
    finally:
        reviewed.cache_clear()
    assert 'class="translation-notice"' in Client().get("/uk/").content.decode()


def readme_languages() -> dict[str, tuple[str, str]]:
    """The README's table of languages: code -> (its name, its review state)."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Languages\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| ([^|]+) \| [^|]+ \| ([^|]+) \|$", section, re.M)
    return {code: (name.strip(), state.strip()) for code, name, state in rows}


def test_the_readme_lists_each_languages_review_state_as_its_catalogues_say():
    table = readme_languages()
    assert list(table) == [code for code, _name in django_settings.TRANSLATIONS]
    for code, (name, state) in table.items():
        assert name == ENDONYMS[code], code
        if code == "en":
            assert state == "the source text"
            continue
        # Both catalogues say it; the table says what they say, word for word.
        assert set(review_states(code).values()) == {state}, code
        assert reviewed(code) is state.startswith("reviewed ("), code


ERROR_VIEWS = {
    "bad request": errors.bad_request,
    "not allowed": errors.forbidden,
    "server error": errors.server_error,
    "form refused": errors.csrf_failure,
}


def error_pages(language: str) -> dict[str, str]:
    """Every page templates/error.html draws, in `language`: a real 404, each error view, and
    the fail-safe page drawn without the database."""
    pages = {"not found": Client().get(f"/{language}/no-such-page/")}
    request = RequestFactory().get(f"/{language}/")
    with translation.override(language):
        pages |= {name: view(request) for name, view in ERROR_VIEWS.items()}
    pages["fail-safe"] = fallback_error_page(request, status=503)
    return {name: response.content.decode() for name, response in pages.items()}


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", *APPLICANT_LANGUAGES])
def test_every_error_page_in_an_unchecked_language_says_so_in_that_language(language):
    for name, page in error_pages(language).items():
        assert f'<html lang="{language}">' in page, name
        notice = re.findall(r'<p class="translation-notice" role="note">(.*?)</p>', page)
        if language in UNREVIEWED:
            with translation.override(language):
                assert notice == [translation.gettext(NOTICE)], name
            assert NOTICE not in notice, f"{name}: the notice in English"
        else:
            assert notice == [], name


@pytest.mark.django_db
def test_an_error_page_loses_the_notice_once_its_translation_is_marked_reviewed():
    checked = {Path("uk/django.mo"): "reviewed (Example partner, 2027-01)"}
    reviewed.cache_clear()
    try:
        with mock.patch("core.translations.review_states", return_value=checked):
            assert all("translation-notice" not in page for page in error_pages("uk").values())
    finally:
        reviewed.cache_clear()
    assert all("translation-notice" in page for page in error_pages("uk").values())


def _settings_with(environment: dict[str, str]) -> subprocess.CompletedProcess:
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(','.join(c for c, _ in s.LANGUAGES), ','.join(s.APPLICANT_LANGUAGES))"
    )
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings"}
    env |= {"SAFE_PASSAGE_ENV": "development", "SECRET_KEY": "x" * 50, **environment}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_the_unchecked_translations_can_be_switched_off():
    default = _settings_with({})
    assert default.stdout.split() == [",".join(ENDONYMS)] * 2
    only_checked = _settings_with({"APPLICANT_LANGUAGES": "en,ru"})
    assert only_checked.stdout.split() == ["en,ru", "en,ru"]
    some = _settings_with({"APPLICANT_LANGUAGES": "en, ru, uk"})
    assert some.stdout.split() == ["en,ru,uk", "en,ru,uk"]
    # The staff keep Russian whatever the applicants are offered.
    assert _settings_with({"APPLICANT_LANGUAGES": "en"}).stdout.split() == ["en,ru", "en"]
    for wrong in ("ru,uk", "en,xx"):
        refused = _settings_with({"APPLICANT_LANGUAGES": wrong})
        assert refused.returncode != 0 and "APPLICANT_LANGUAGES must" in refused.stderr


@pytest.mark.django_db
def test_a_language_switched_off_is_neither_offered_nor_chosen_nor_served(settings):
    settings.APPLICANT_LANGUAGES = ["en", "ru"]
    settings.LANGUAGES = [("en", "English"), ("ru", "Russian")]
    page = Client().get("/en/").content.decode()
    switch = re.search(r'<nav class="lang-switch".*?</nav>', page, re.S)[0]
    assert "Русский" in switch and "Українська" not in switch
    assert Client(HTTP_ACCEPT_LANGUAGE="uk,ru;q=0.5").get("/")["Location"] == "/ru/"
    assert Client(HTTP_ACCEPT_LANGUAGE="uk").get("/")["Location"] == "/en/"
    assert Client().get("/uk/").status_code == 404


# --- the staff pages: English and Russian only ---------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("accept", ["uk", "ka-GE", "tg"])
def test_a_staff_page_asked_for_in_another_language_is_in_english(accept):
    response = Client(HTTP_ACCEPT_LANGUAGE=accept).get("/staff/login/")
    page = response.content.decode()
    assert '<html lang="en">' in page and response["Content-Language"] == "en"
    assert "Staff sign-in" in page


@pytest.mark.django_db
def test_a_staff_page_is_in_english_even_after_the_switch_was_sent_another_language():
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    client.post("/i18n/setlang/", {"language": "uk", "next": "/staff/login/"})
    assert '<html lang="en">' in client.get("/staff/login/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("accept", ["en", "ru"])
def test_the_staff_switch_offers_english_and_russian_only(accept):
    page = Client(HTTP_ACCEPT_LANGUAGE=accept).get("/staff/login/").content.decode()
    switch = re.search(r'<form class="lang-switch".*?</form>', page, re.S)[0]
    buttons = re.findall(r'<button type="submit" name="language" value="(\w+)"', switch)
    assert buttons == django_settings.STAFF_LANGUAGES
    assert f'value="{accept}" lang="{accept}" aria-current="true"' in switch
    assert ">English<" in switch and ">Русский<" in switch


# --- the staff pages in Russian hold no English sentence ----------------------------------------

STAFF_TYPED = (*TYPED, "carla", "cora", "audrey", "adam", "kim", "colin")
# Codes the staff pages show as they are: hashes, fingerprints, keys, file kinds, formats.
STAFF_CODES = re.compile(
    r"[0-9a-f]{12,}…?|(?:\b[0-9a-f]{4}\b\s*){6,}|\b[a-z_0-9]+(?:\.[a-z_0-9]+)+\b"
)


def _staff_sentences(page: str) -> set[str]:
    return {_shape(s) for s in sentences(STAFF_CODES.sub(" ", page), typed=STAFF_TYPED)}


def _staff_world(team) -> dict:
    """A case with a message each way and a file, opened by Carla; audit events of each kind
    whose data the log must put in words."""
    from audit.actions import Action
    from audit.models import AuditEvent
    from audit.services import record
    from tests.factories import verified_client

    reference, code = request_sent(Applicant())
    person = Applicant()
    person.check(code)
    person.act("message", text="Marker message one")
    carla = verified_client(team.carla)
    carla.post(f"/staff/cases/{reference}/", {"reason": "reply"}, follow=True)
    carla.post(f"/staff/cases/{reference}/message/", {"text": "Marker reply"})
    record(
        action=Action.AUDIT_VERIFIED,
        actor="system",
        target_type="audit",
        data={"ok": True, "checked": 12, "first_bad": None},
    )
    events = {
        action: AuditEvent.objects.filter(action=action).values_list("sequence", flat=True)[0]
        for action in (Action.CASE_OPENED, Action.MESSAGE_SENT, Action.AUDIT_VERIFIED)
    }
    return {"reference": reference, "events": events}


def _staff_pages(world) -> list[tuple[str, str]]:
    """(who, path) for the staff pages each role sees."""
    reference = world["reference"]
    pages = [("anonymous", "/staff/login/"), ("anonymous", "/no-such-page/")]
    pages += [(who, "/staff/") for who in ("carla", "cora", "audrey", "adam")]
    pages += [
        ("carla", "/staff/cases/"),
        ("carla", f"/staff/cases/{reference}/"),
        ("cora", f"/staff/cases/{reference}/"),  # not opened by her: the opening form
        ("cora", "/staff/cases/approvals/"),
        ("cora", "/staff/team/"),
        ("carla", "/staff/security/"),
        ("audrey", "/audit/"),
        ("audrey", "/audit/verify/"),
        ("audrey", "/audit/checkpoints/"),
        ("audrey", "/staff/team/"),  # refused: the forbidden page
    ]
    pages += [("audrey", f"/audit/events/{number}/") for number in world["events"].values()]
    return pages


def test_the_staff_pages_in_russian_hold_no_english_sentence(team):
    from tests.factories import sign_in

    world = _staff_world(team)
    people = {"carla": team.carla, "cora": team.cora, "audrey": team.audrey, "adam": team.adam}
    clients = {}
    for language in ("en", "ru"):
        for who, person in people.items():
            clients[language, who] = sign_in(Client(HTTP_ACCEPT_LANGUAGE=language), person)
        clients[language, "anonymous"] = Client(HTTP_ACCEPT_LANGUAGE=language)
    left = []
    for who, path in _staff_pages(world):
        english_page = clients["en", who].get(path)
        russian_page = clients["ru", who].get(path)
        assert russian_page.status_code == english_page.status_code, path
        page = russian_page.content.decode()
        assert '<html lang="ru">' in page, path
        english = _staff_sentences(english_page.content.decode())
        same = sorted(s for s in _staff_sentences(page) if s in english)
        if same:
            left.append(f"{who} {path}: {same}")
    assert not left, "\n".join(left)


def test_the_audit_log_puts_every_code_in_words():
    """audit_labels repeats the words of evacuation's and accounts' lists (audit imports
    neither): the same words for every code, so the log says what the pages say."""
    from accounts.roles import CAPABILITIES, CAPABILITY_LABELS, Role
    from audit.actions import ALLOWED_DATA
    from audit.templatetags import audit_labels as words
    from evacuation import choices

    def same(mine: dict, theirs) -> None:
        assert {code: str(label) for code, label in mine.items()} == {
            str(code): str(label) for code, label in theirs.choices
        }, theirs

    same(words.ROLES, Role)
    same(words.STATES, choices.State)
    same(words.OPEN_REASONS, choices.OpenReason)
    same(words.DECLINE_REASONS, choices.DeclineReason)
    same(words.CANCEL_REASONS, choices.FundingCancelReason)
    same(words.HOLD_REASONS, choices.HoldReason)
    same(words.URGENCIES, choices.Urgency)
    same(words.RISK_LEVELS, choices.RiskLevel)
    same(words.VERIFIED_BY, choices.VerifiedBy)
    same(words.SUPPORT, choices.Support)
    same(words.PURPOSES, choices.FundingPurpose)
    same(words.REGIONS, choices.Region)
    from evacuation.models.correspondence import Direction

    same(words.DIRECTIONS, Direction)
    every_key = set().union(*ALLOWED_DATA.values())
    assert every_key <= set(words.KEYS), every_key - set(words.KEYS)
    assert set(CAPABILITY_LABELS) == set(CAPABILITIES)
