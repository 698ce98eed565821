"""Reply templates: coordinators write one text per language the applicant pages offer, on a page
that says they are stored in clear; on a case's reply form a template is chosen without script
(a GET) and the server fills the reply, which the caseworker then sends as any other."""

from __future__ import annotations

import html
import re

import pytest

from audit.models import AuditEvent
from evacuation.models import Message, ReplyTemplate
from tests.factories import case_opened, staff_case_page, submit_intake, verified_client

pytestmark = pytest.mark.django_db

EN = "We received your documents and will write again within two days."
RU = "Мы получили ваши документы и напишем снова в течение двух дней."


def reply_text(page: str) -> str:
    found = re.search(r'<textarea name="text"[^>]*>(.*?)</textarea>', page, re.S)
    assert found, "no reply form"
    return html.unescape(found.group(1)).strip()


@pytest.fixture
def template(team):
    client = verified_client(team.cora)
    response = client.post(
        "/staff/cases/templates/",
        {"name": "Documents received", "text_en": EN, "text_ru": RU, "text_uk": ""},
    )
    assert response.status_code == 302
    return ReplyTemplate.objects.get()


def test_a_coordinator_writes_a_template_on_a_page_that_says_it_is_in_clear(team, template):
    client = verified_client(team.cora)
    page = client.get("/staff/cases/templates/").content.decode()
    assert "Templates are stored in clear and every member of staff sees them." in page
    assert "no names, places" in page
    assert "Documents received" in page
    assert template.texts == {"en": EN, "ru": RU}
    for code in ("en", "ru", "uk", "ka", "hy", "az", "kk", "ky", "uz", "tg"):
        assert f'name="text_{code}"' in page  # one text for each language applicants use
    event = AuditEvent.objects.get(action="reply_template.created")
    assert (event.actor, event.target_ref, event.data) == (
        team.cora,
        f"template-{template.pk}",
        {"languages": "en,ru"},
    )
    assert EN not in str(AuditEvent.objects.values_list("data", flat=True))

    edit = client.get(f"/staff/cases/templates/{template.pk}/").content.decode()
    assert RU in edit
    response = client.post(
        f"/staff/cases/templates/{template.pk}/",
        {"do": "save", "name": "Documents received", "text_en": EN, "text_uk": "Ми отримали."},
    )
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.texts == {"en": EN, "uk": "Ми отримали."}
    assert AuditEvent.objects.get(action="reply_template.changed").data == {"languages": "en,uk"}
    client.post(f"/staff/cases/templates/{template.pk}/", {"do": "retire"})
    template.refresh_from_db()
    assert template.is_retired
    assert AuditEvent.objects.filter(action="reply_template.retired").count() == 1


@pytest.mark.parametrize(
    "form, message",
    [
        ({"name": "", "text_en": EN}, "Write the template&#x27;s name."),
        ({"name": "Empty"}, "Write the template&#x27;s text in at least one language."),
        ({"name": "Too long", "text_en": "x" * 5001}, "at most 5000 characters"),
    ],
)
def test_a_bad_template_is_refused_with_a_message_and_nothing_is_stored(team, form, message):
    client = verified_client(team.cora)
    response = client.post("/staff/cases/templates/", form)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ReplyTemplate.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="reply_template.").exists()


def test_caseworkers_use_templates_but_do_not_write_them(team, template):
    client = verified_client(team.carla)
    assert client.get("/staff/cases/templates/").status_code == 403
    assert client.get(f"/staff/cases/templates/{template.pk}/").status_code == 403
    assert client.post("/staff/cases/templates/", {"name": "x", "text_en": "y"}).status_code == 403


def test_a_template_fills_the_reply_in_the_language_chosen_and_is_sent_as_written(team, template):
    reference, _code = submit_intake()
    client = verified_client(team.carla)
    case_opened(client, reference, "reply")
    page = staff_case_page(client, reference)
    assert "Start from a reply template" in page and reply_text(page) == ""
    page = client.get(
        f"/staff/cases/{reference}/", {"template": template.pk, "language": "ru"}
    ).content.decode()
    assert reply_text(page) == RU
    assert "is in the reply below: read it through" in page
    page = client.get(
        f"/staff/cases/{reference}/", {"template": template.pk, "language": "ka"}
    ).content.decode()
    assert reply_text(page) == "" and "has no text in Georgian yet" in page
    for nonsense in ("abc", "999999", "<script>", "1e309"):
        response = client.get(
            f"/staff/cases/{reference}/", {"template": nonsense, "language": "zz"}
        )
        assert response.status_code == 200
        assert "That reply template is no longer offered" in response.content.decode()

    client.post(f"/staff/cases/{reference}/message/", {"text": RU + " Ваш куратор."})
    assert Message.objects.filter(case__reference=reference).count() == 1
    page = staff_case_page(client, reference)
    assert RU + " Ваш куратор." in page  # the thread, decrypted: the case is still open


def test_a_retired_template_is_no_longer_offered(team, template):
    reference, _code = submit_intake()
    verified_client(team.cora).post(f"/staff/cases/templates/{template.pk}/", {"do": "retire"})
    client = verified_client(team.carla)
    case_opened(client, reference, "reply")
    page = client.get(f"/staff/cases/{reference}/", {"template": template.pk}).content.decode()
    assert "Start from a reply template" not in page and reply_text(page) == ""
