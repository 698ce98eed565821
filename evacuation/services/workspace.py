"""Writes for the workspace: labels and their use on cases, reply templates, duplicates.

One transaction each, with its audit event. Labels and templates are staff-written words stored
in clear for all staff to see; what they may hold (the state of the work, a reply meant for many
applicants) is said on their management pages, and nothing here reads a case's content.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import Action
from audit.services import record
from evacuation import rules
from evacuation.choices import DeclineReason
from evacuation.models import (
    MESSAGE_MAX_LENGTH,
    Case,
    CaseLabel,
    DuplicateLink,
    Label,
    ReplyTemplate,
)
from evacuation.models.workspace import LABEL_MAX_LENGTH, TEMPLATE_NAME_MAX_LENGTH
from evacuation.selectors.workspace import reference_typed, template_languages
from evacuation.services.casework import _locked, _proposals_close, _touched
from evacuation.services.events import case_event

if TYPE_CHECKING:
    from accounts.models import User
    from vault.session import StaffKeys


def _allowed(actor: User, capability: str) -> None:
    if not rules.staff_may(actor, capability):
        raise PermissionDenied


def clean_name(text: str, *, limit: int, empty: str) -> str:
    """A short staff-written name: one line of printable characters, spaces collapsed."""
    text = unicodedata.normalize("NFC", str(text or ""))
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise ValidationError(empty)
    if len(text) > limit:
        raise ValidationError(
            _("Keep the name to %(limit)d characters or fewer.") % {"limit": limit}
        )
    if not all(ch.isprintable() for ch in text) or any(
        unicodedata.category(ch) in ("Cf", "Co", "Cs") for ch in text
    ):
        raise ValidationError(_("Use letters, digits and punctuation only."))
    return text


# --- labels --------------------------------------------------------------------------------------


def _label_name(name: str, *, other_than: int | None = None) -> str:
    text = clean_name(name, limit=LABEL_MAX_LENGTH, empty=_("Write the label's name."))
    clash = Label.objects.filter(name__iexact=text)
    if other_than is not None:
        clash = clash.exclude(pk=other_than)
    if clash.exists():
        raise ValidationError(_("There is already a label with this name."))
    return text


def _label_event(action: str, label: Label, actor: User, **data: str) -> None:
    record(
        action=action,
        actor=actor,
        target_ref=f"label-{label.pk}",
        data={"label": label.name, **data},
    )


def label_create(*, actor: User, name: str) -> Label:
    _allowed(actor, "manage_labels")
    with transaction.atomic():
        label = Label(name=_label_name(name))
        try:
            with transaction.atomic():
                label.save()
        except IntegrityError:  # the same name, created at the same moment
            raise ValidationError(_("There is already a label with this name.")) from None
        _label_event(Action.LABEL_CREATED, label, actor)
    return label


def label_rename(*, actor: User, label_id: int, name: str) -> Label:
    _allowed(actor, "manage_labels")
    with transaction.atomic():
        label = _label_locked(label_id)
        text = _label_name(name, other_than=label.pk)
        if text == label.name:
            return label
        old = label.name
        label.name = text
        try:
            with transaction.atomic():
                label.save(update_fields=["name"])
        except IntegrityError:
            raise ValidationError(_("There is already a label with this name.")) from None
        _label_event(Action.LABEL_RENAMED, label, actor, old_name=old)
    return label


def label_retire(*, actor: User, label_id: int, retire: bool = True) -> Label:
    """Retires a label (it stays on its cases, and is no longer offered), or puts it back."""
    _allowed(actor, "manage_labels")
    with transaction.atomic():
        label = _label_locked(label_id)
        if label.is_retired == retire:
            return label
        label.retired_at = timezone.now() if retire else None
        label.save(update_fields=["retired_at"])
        _label_event(Action.LABEL_RETIRED if retire else Action.LABEL_RESTORED, label, actor)
    return label


def _label_locked(label_id: int) -> Label:
    label = Label.objects.select_for_update().filter(pk=label_id).first()
    if label is None:
        raise ValidationError(_("This label no longer exists."))
    return label


def case_labels_set(
    *, case: Case, actor: User, labels: Iterable[int], seen_version: str | None = None
) -> tuple[list[str], list[str]]:
    """Puts exactly `labels` (ids of labels in use) on the case; a retired label already on it
    stays. Returns the names put on and taken off; one audit event each."""
    wanted = {int(pk) for pk in labels}
    with transaction.atomic():
        locked = _locked(case, seen_version)
        rules.check("label", locked, actor)
        in_use = {
            label.pk: label
            for label in Label.objects.filter(pk__in=wanted, retired_at__isnull=True)
        }
        if set(in_use) != wanted:
            raise ValidationError(_("Choose labels from the list; one of them was retired."))
        current = {
            cl.label_id: cl.label
            for cl in CaseLabel.objects.filter(case=locked).select_related("label")
        }
        added = [in_use[pk] for pk in sorted(wanted - set(current), key=lambda p: in_use[p].name)]
        removed = [
            current[pk]
            for pk in sorted(set(current) - wanted, key=lambda p: current[p].name)
            if not current[pk].is_retired
        ]
        if not added and not removed:
            return [], []
        CaseLabel.objects.bulk_create(
            [CaseLabel(case=locked, label=label, added_by=actor) for label in added]
        )
        CaseLabel.objects.filter(case=locked, label__in=removed).delete()
        for label in added:
            case_event(locked, Action.CASE_LABEL_ADDED, actor=actor, data={"label": label.name})
        for label in removed:
            case_event(locked, Action.CASE_LABEL_REMOVED, actor=actor, data={"label": label.name})
        _touched(locked, timezone.now())
    return [label.name for label in added], [label.name for label in removed]


# --- reply templates ------------------------------------------------------------------------------


def _template_fields(name: str, texts: dict[str, str], *, other_than: int | None = None):
    text = clean_name(name, limit=TEMPLATE_NAME_MAX_LENGTH, empty=_("Write the template's name."))
    clash = ReplyTemplate.objects.filter(name__iexact=text)
    if other_than is not None:
        clash = clash.exclude(pk=other_than)
    if clash.exists():
        raise ValidationError(_("There is already a template with this name."))
    offered = [code for code, _name in template_languages()]
    kept = {}
    for code in offered:
        value = str(texts.get(code) or "").replace("\x00", "").replace("\r\n", "\n").strip()
        if len(value) > MESSAGE_MAX_LENGTH:
            raise ValidationError(
                _("A template's text must fit in one message (%(limit)d characters).")
                % {"limit": MESSAGE_MAX_LENGTH}
            )
        if value:
            kept[code] = value
    if not kept:
        raise ValidationError(_("Write the template's text in at least one language."))
    return text, kept


def template_create(*, actor: User, name: str, texts: dict[str, str]) -> ReplyTemplate:
    _allowed(actor, "manage_templates")
    with transaction.atomic():
        title, kept = _template_fields(name, texts)
        template = ReplyTemplate(name=title, texts=kept)
        try:
            with transaction.atomic():
                template.save()
        except IntegrityError:
            raise ValidationError(_("There is already a template with this name.")) from None
        _template_event(Action.TEMPLATE_CREATED, template, actor)
    return template


def template_change(
    *, actor: User, template_id: int, name: str, texts: dict[str, str]
) -> ReplyTemplate:
    _allowed(actor, "manage_templates")
    with transaction.atomic():
        template = _template_locked(template_id)
        title, kept = _template_fields(name, texts, other_than=template.pk)
        if (title, kept) == (template.name, template.texts):
            return template
        template.name, template.texts = title, kept
        try:
            with transaction.atomic():
                template.save()
        except IntegrityError:
            raise ValidationError(_("There is already a template with this name.")) from None
        _template_event(Action.TEMPLATE_CHANGED, template, actor)
    return template


def template_retire(*, actor: User, template_id: int, retire: bool = True) -> ReplyTemplate:
    _allowed(actor, "manage_templates")
    with transaction.atomic():
        template = _template_locked(template_id)
        if template.is_retired == retire:
            return template
        template.retired_at = timezone.now() if retire else None
        template.save(update_fields=["retired_at", "updated_at"])
        record(
            action=Action.TEMPLATE_RETIRED if retire else Action.TEMPLATE_RESTORED,
            actor=actor,
            target_ref=f"template-{template.pk}",
        )
    return template


def _template_locked(template_id: int) -> ReplyTemplate:
    template = ReplyTemplate.objects.select_for_update().filter(pk=template_id).first()
    if template is None:
        raise ValidationError(_("This template no longer exists."))
    return template


def _template_event(action: str, template: ReplyTemplate, actor: User) -> None:
    record(
        action=action,
        actor=actor,
        target_ref=f"template-{template.pk}",
        data={"languages": ",".join(sorted(template.texts))},
    )


# --- duplicates -----------------------------------------------------------------------------------


def case_mark_duplicate(
    *,
    case: Case,
    actor: User,
    keys: StaffKeys,
    original: str,
    seen_version: str | None = None,
) -> Case:
    """Closes `case` (declined, reason "duplicate") as a duplicate of the case whose reference
    is `original` (as typed), and links the two on their staff pages. Nothing changes on the
    applicant's side: neither receipt code reaches the other case."""
    reference = reference_typed(original)
    if reference is None:
        raise ValidationError(_("Type the other case's reference, for example EV-ABCD-EF."))
    if reference == case.reference:
        raise ValidationError(_("A case cannot be a duplicate of itself."))
    with transaction.atomic():
        other = Case.objects.filter(reference=reference).values_list("pk", flat=True).first()
        if other is None:
            raise ValidationError(
                _("There is no case %(reference)s. Check the reference.") % {"reference": reference}
            )
        # Both rows locked, the lower id first, so two people linking two cases both ways at
        # once are served one after the other.
        if other < case.pk:
            target = Case.objects.select_for_update().defer("payload").get(pk=other)
            locked = _locked(case, seen_version)
        else:
            locked = _locked(case, seen_version)
            target = Case.objects.select_for_update().defer("payload").get(pk=other)
        rules.check("mark_duplicate", locked, actor, opened=keys.has_opened(case.uid))
        if target.is_purged:
            raise ValidationError(_("The data of that request has been deleted: link another."))
        onward = (
            DuplicateLink.objects.filter(duplicate=target)
            .values_list("original__reference", flat=True)
            .first()
        )
        if onward is not None:
            raise ValidationError(
                _("%(reference)s is itself a duplicate of %(original)s: link to that one.")
                % {"reference": reference, "original": onward}
            )
        now = timezone.now()
        locked.decline()
        locked.decline_reason = DeclineReason.DUPLICATE
        _proposals_close(locked, actor=actor, now=now)
        _touched(locked, now, state_changed=True)
        DuplicateLink.objects.create(duplicate=locked, original=target, marked_by=actor)
        case_event(locked, Action.CASE_MARKED_DUPLICATE, actor=actor, data={"original": reference})
        case_event(
            target, Action.CASE_DUPLICATE_LINKED, actor=actor, data={"duplicate": locked.reference}
        )
    return locked
