"""The workspace's management pages: labels and reply templates (coordinators).

Thin views: the forms validate, evacuation.services.workspace writes (with its audit event),
evacuation.selectors.workspace reads. Every POST goes back to its page (PRG).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import capability_required
from evacuation.models import ReplyTemplate
from evacuation.selectors import workspace as selectors
from evacuation.services import workspace
from evacuation.staff import forms


def _say(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


def _form_errors(form) -> ValidationError:
    return ValidationError([error for errors in form.errors.values() for error in errors])


# --- labels --------------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@capability_required("manage_labels")
def labels(request: HttpRequest) -> HttpResponse:
    form = forms.LabelForm(request.POST or None, auto_id="new-label-%s")
    if request.method == "POST":
        try:
            if not form.is_valid():
                raise _form_errors(form)
            label = workspace.label_create(actor=request.user, name=form.cleaned_data["name"])
        except ValidationError as exc:
            _say(request, exc)
            return _labels_page(request, form, status=400)
        messages.success(request, _("The label “%(name)s” is created.") % {"name": label.name})
        return redirect("evacuation_staff:labels")
    return _labels_page(request, forms.LabelForm(auto_id="new-label-%s"))


def _labels_page(request: HttpRequest, form, *, status: int = 200) -> HttpResponse:
    return render(
        request,
        "evacuation/staff/labels.html",
        {"form": form, "labels": selectors.labels_all()},
        status=status,
    )


@require_POST
@capability_required("manage_labels")
def label_change(request: HttpRequest, id: int) -> HttpResponse:
    do = request.POST.get("do")
    try:
        if do == "rename":
            form = forms.LabelForm(request.POST)
            if not form.is_valid():
                raise _form_errors(form)
            workspace.label_rename(actor=request.user, label_id=id, name=form.cleaned_data["name"])
            messages.success(request, _("The label is renamed, on every case that carries it."))
        elif do in ("retire", "restore"):
            workspace.label_retire(actor=request.user, label_id=id, retire=do == "retire")
            messages.success(
                request,
                _("The label is retired: it stays on its cases and is no longer offered.")
                if do == "retire"
                else _("The label is in use again."),
            )
        else:
            messages.error(request, _("Choose what to do with the label."))
    except ValidationError as exc:
        _say(request, exc)
    return redirect("evacuation_staff:labels")


# --- reply templates -----------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@capability_required("manage_templates")
def templates(request: HttpRequest) -> HttpResponse:
    form = forms.TemplateForm(request.POST or None, auto_id="new-template-%s")
    if request.method == "POST":
        try:
            if not form.is_valid():
                raise _form_errors(form)
            template = workspace.template_create(
                actor=request.user, name=form.cleaned_data["name"], texts=form.texts()
            )
        except ValidationError as exc:
            _say(request, exc)
            return _templates_page(request, form, status=400)
        messages.success(request, _("The template “%(name)s” is saved.") % {"name": template.name})
        return redirect("evacuation_staff:templates")
    return _templates_page(request, form)


def _templates_page(request: HttpRequest, form, *, status: int = 200) -> HttpResponse:
    languages = selectors.template_languages()
    rows = [
        {
            "template": template,
            "languages": [name for code, name in languages if code in template.texts],
            "missing": [name for code, name in languages if code not in template.texts],
        }
        for template in selectors.templates_all()
    ]
    return render(
        request,
        "evacuation/staff/templates.html",
        {"form": form, "rows": rows},
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@capability_required("manage_templates")
def template_detail(request: HttpRequest, id: int) -> HttpResponse:
    template = ReplyTemplate.objects.filter(pk=id).first()
    if template is None:
        raise Http404
    if request.method != "POST":
        initial = {"name": template.name}
        initial.update({f"text_{code}": text for code, text in template.texts.items()})
        return _template_page(request, template, forms.TemplateForm(initial=initial))
    do = request.POST.get("do")
    try:
        if do in ("retire", "restore"):
            workspace.template_retire(
                actor=request.user, template_id=template.pk, retire=do == "retire"
            )
            messages.success(
                request,
                _("The template is retired: it is no longer offered on the reply form.")
                if do == "retire"
                else _("The template is offered again."),
            )
            return redirect("evacuation_staff:templates")
        form = forms.TemplateForm(request.POST)
        if not form.is_valid():
            raise _form_errors(form)
        workspace.template_change(
            actor=request.user,
            template_id=template.pk,
            name=form.cleaned_data["name"],
            texts=form.texts(),
        )
    except ValidationError as exc:
        _say(request, exc)
        return _template_page(request, template, forms.TemplateForm(request.POST), status=400)
    messages.success(request, _("The template is saved."))
    return redirect("evacuation_staff:templates")


def _template_page(request: HttpRequest, template, form, *, status: int = 200) -> HttpResponse:
    return render(
        request,
        "evacuation/staff/template.html",
        {"template": template, "form": form},
        status=status,
    )
