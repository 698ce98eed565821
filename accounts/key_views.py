"""Security keys and passkeys: the pages, and the JSON steps static/staff/webauthn.js calls.

Each step answers JSON: {"redirect": url} when done, {"options": {...}} for the browser, or
{"error": text} (status 400) that the script shows. Nothing here is reached without a password
step first; the rules are in accounts.keys.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp_webauthn.models import WebAuthnCredential

from accounts import keys
from accounts.forms import PasswordConfirmForm
from accounts.views import second_factor_passed
from audit.actions import Action
from audit.services import record
from vault import session as vault_session
from vault import staff as vault_staff
from vault.errors import LastBinding, NoPersonalKey, VaultError, WrongPassword

TO_BIND = "accounts.key_to_bind"


def _body(request: HttpRequest) -> dict:
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _refused(text: str) -> JsonResponse:
    return JsonResponse({"error": text}, status=400)


def _keys_unavailable() -> JsonResponse:
    return _refused(_("Security keys do not work on this address. Use the main address."))


@login_required
def key_enrol_view(request: HttpRequest) -> HttpResponse:
    """Add a security key: the page (its button runs the script)."""
    context = {
        "may_enrol": keys.may_enrol(request),
        "offers_keys": keys.offers_keys(request),
        "first": not keys.has_key(request.user),
        "required": keys.key_required(request.user),
    }
    return render(request, "accounts/key_enrol.html", context)


@login_required
def key_needed_view(request: HttpRequest) -> HttpResponse:
    """Where a member of a role that must use a security key is sent until they have one."""
    context = {"has_key": keys.has_key(request.user), "offers_keys": keys.offers_keys(request)}
    return render(request, "accounts/key_needed.html", context)


@require_POST
@login_required
def key_register_begin(request: HttpRequest) -> JsonResponse:
    if not keys.offers_keys(request):
        return _keys_unavailable()
    if not keys.may_enrol(request):
        return _refused(
            _("Sign in with a security key you already have, or use an enrolment link, first.")
        )
    data = _body(request)
    password = data.get("password")
    if not isinstance(password, str) or not request.user.check_password(password):
        return _refused(_("That password is not correct."))
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        return _refused(_("Give the key a name, such as “blue key” or “laptop”."))
    return JsonResponse({"options": keys.registration_begin(request, user=request.user)})


@require_POST
@login_required
def key_register_complete(request: HttpRequest) -> JsonResponse:
    if not (keys.offers_keys(request) and keys.may_enrol(request)):
        return _refused(_("This key could not be added. Nothing was changed."))
    data = _body(request)
    credential = data.get("credential")
    name = data.get("name") if isinstance(data.get("name"), str) else ""
    if not isinstance(credential, dict):
        return _refused(_("This key could not be added. Nothing was changed."))
    try:
        device, prf = keys.registration_complete(
            request, user=request.user, data=credential, name=name.strip()
        )
    except keys.KeyRefused:
        return _refused(_("This key could not be added. Nothing was changed."))
    if not request.user.is_verified():
        # The enrolment link's session: the new key is its second factor.
        _signed_in_with_key(request, device, prf=None)
    messages.success(
        request, _("The security key “%(name)s” was added to your account.") % {"name": device.name}
    )
    if prf:
        request.session[TO_BIND] = device.pk
        return JsonResponse({"bind": True})
    return JsonResponse({"redirect": reverse("accounts:security")})


def _signed_in_with_key(request: HttpRequest, device, *, prf) -> None:
    otp_login(request, device)
    record(action=Action.OTP_SUCCEEDED, actor=request.user, data={"method": "webauthn"})
    second_factor_passed(request, device, factor="webauthn", prf=prf)


@require_POST
@login_required
def key_assert_begin(request: HttpRequest) -> JsonResponse:
    """Options for signing in with a key (second step), or for binding the key just added."""
    if not keys.offers_keys(request):
        return _keys_unavailable()
    user = request.user
    binding = _body(request).get("purpose") == "bind"
    only = None
    if binding:
        only = WebAuthnCredential.objects.filter(user=user, pk=request.session.get(TO_BIND)).first()
        if only is None or not user.is_verified():
            return _refused(_("There is no new key to bind. Nothing was changed."))
    elif user.is_verified():
        return JsonResponse({"redirect": reverse("staff_home")})
    if not keys.has_key(user):
        return _refused(_("You have no security key yet."))
    try:
        salt = vault_staff.prf_salt(user)
    except NoPersonalKey:
        salt = None
    return JsonResponse(
        {"options": keys.assertion_begin(request, user=user, prf_salt=salt, only=only)}
    )


@require_POST
@login_required
def key_assert_complete(request: HttpRequest) -> JsonResponse:
    user = request.user
    data = _body(request)
    credential = data.get("credential")
    if not keys.offers_keys(request) or not isinstance(credential, dict):
        return _refused(_("That key did not work."))
    binding = data.get("purpose") == "bind"
    try:
        device = keys.assertion_complete(request, user=user, data=credential)
    except keys.KeyRefused:
        if not binding:
            record(action=Action.OTP_FAILED, actor=user, data={"method": "webauthn"})
        return _refused(_("That key did not work. Use a key you added to this account."))
    output = keys.prf_output(data)
    if binding:
        return _bind(request, device, output, data.get("password"))
    if user.is_verified():
        return JsonResponse({"redirect": reverse("staff_home")})
    ref = keys.credential_ref(device)
    _signed_in_with_key(request, device, prf=(ref, output) if output else None)
    return JsonResponse({"redirect": reverse("staff_home")})


def _bind(request: HttpRequest, device, output: bytes | None, password) -> JsonResponse:
    user = request.user
    if request.session.get(TO_BIND) != device.pk or not user.is_verified():
        return _refused(_("There is no new key to bind. Nothing was changed."))
    done = reverse("accounts:security")
    if output is None:
        request.session.pop(TO_BIND, None)
        messages.warning(
            request,
            _(
                "This key gave no secret to bind your personal key to: it signs you in, but "
                "your personal key still opens with your password alone."
            ),
        )
        return JsonResponse({"redirect": done})
    if not isinstance(password, str) or not user.check_password(password):
        return _refused(_("That password is not correct."))
    try:
        vault_session.key_bind(
            request,
            user=user,
            password=password,
            credential=keys.credential_ref(device),
            prf_output=output,
        )
    except (VaultError, ValueError):
        return _refused(
            _(
                "Your personal key could not be bound to this key now. Sign in with a key that "
                "is already bound, then try again."
            )
        )
    request.session.pop(TO_BIND, None)
    keys.key_bound(user=user, keys=len(vault_staff.bound_credentials(user)))
    messages.success(
        request,
        _(
            "Your personal key is now bound to this security key: your password alone no "
            "longer opens case data."
        ),
    )
    return JsonResponse({"redirect": done})


@require_POST
def key_remove_view(request: HttpRequest, key_id: int) -> HttpResponse:
    """Remove one of your keys, with your password. The last key of a role that must use one,
    and the last bound key while this session does not hold the personal key, stay."""
    user = request.user
    device = WebAuthnCredential.objects.filter(user=user, pk=key_id).first()
    form = PasswordConfirmForm(request.POST, user=user)
    if device is None:
        messages.error(request, _("That key is not on your account any more."))
        return redirect("accounts:security")
    if not form.is_valid():
        messages.error(request, _("That password is not correct. The key was not removed."))
        return redirect("accounts:security")
    if keys.key_required(user) and len(keys.keys_of(user)) <= 1:
        messages.error(
            request,
            _("Your role must sign in with a security key: add another before removing this one."),
        )
        return redirect("accounts:security")
    ref = keys.credential_ref(device)
    bound = ref in vault_staff.bound_credentials(user)
    try:
        vault_session.key_unbind(
            request,
            user=user,
            password=form.cleaned_data["password"],
            credential=ref,
            keep_one=keys.key_required(user),
        )
    except (LastBinding, WrongPassword):
        messages.error(
            request,
            _(
                "This is the last key your personal key is bound to. Sign in with it, then "
                "remove it (your personal key then opens with your password again)."
            ),
        )
        return redirect("accounts:security")
    keys.key_remove(user=user, device=device, bound=bound)
    messages.success(request, _("The security key “%(name)s” was removed.") % {"name": device.name})
    return redirect("accounts:security")
