"""The workspace's staff pages in Russian hold no English sentence (only what staff typed: the
labels' and templates' own names and texts, and references)."""

from __future__ import annotations

import pytest
from django.test import Client

from evacuation.models import CaseLabel, DuplicateLink, Label, ReplyTemplate
from evacuation.services import casework
from tests.factories import case_opened, sign_in, submit_intake
from tests.test_languages import _staff_sentences

pytestmark = pytest.mark.django_db


def test_the_workspace_pages_in_russian_hold_no_english_sentence(team):
    label = Label.objects.create(name="zzlabel")
    Label.objects.create(name="zzold", retired_at="2026-01-01T00:00:00Z")
    template = ReplyTemplate.objects.create(name="zztemplate", texts={"en": "zztext"})
    reference, _code = submit_intake()
    other, _code2 = submit_intake()
    case = casework.Case.objects.get(reference=reference)
    CaseLabel.objects.create(case=case, label=label, added_by=team.carla)
    DuplicateLink.objects.create(
        duplicate=casework.Case.objects.get(reference=other), original=case, marked_by=team.carla
    )
    pages = [
        ("cora", "/staff/cases/labels/"),
        ("cora", "/staff/cases/templates/"),
        ("cora", f"/staff/cases/templates/{template.pk}/"),
        ("cora", f"/staff/cases/?label={label.pk}&assignee={team.carla.pk}&q=EV-12"),
        ("cora", f"/staff/cases/{other}/"),
        ("carla", f"/staff/cases/{reference}/?template={template.pk}&language=ru"),
        ("carla", f"/staff/cases/{reference}/?template={template.pk}&language=en"),
    ]
    clients = {}
    for language in ("en", "ru"):
        for who in ("carla", "cora"):
            client = sign_in(Client(HTTP_ACCEPT_LANGUAGE=language), getattr(team, who))
            case_opened(client, reference, "reply")
            clients[language, who] = client
    left = []
    for who, path in pages:
        english = clients["en", who].get(path)
        russian = clients["ru", who].get(path)
        assert english.status_code == russian.status_code == 200, path
        page = russian.content.decode()
        assert '<html lang="ru">' in page
        same = sorted(
            s
            for s in _staff_sentences(page) & _staff_sentences(english.content.decode())
            if "zz" not in s
        )
        if same:
            left.append(f"{who} {path}: {same}")
    assert not left, "\n".join(left)
