from __future__ import annotations

from base64 import b32encode

from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import changes, keys, lockout, selectors, services
from accounts.decorators import capability_required
from accounts.forms import (
    AccountChangeDecisionForm,
    CodeForm,
    GrantForm,
    LoginForm,
    OwnPasswordForm,
    PasswordChangeForm,
    PasswordConfirmForm,
    SignInCodeForm,
)
from accounts.qr import qr_data_uri
from accounts.twofactor import code_kind, has_second_factor, normalise, second_factor_check
from audit.actions import Action
from audit.services import record
from vault import session as vault_session
from vault import staff as vault_staff
from vault.errors import NoPersonalKey, VaultError, VaultLocked

PENDING_TOTP = "accounts.pending_totp"
SIGN_IN_FAILED = gettext_lazy("That username and password did not work.")
NO_CASE_DATA_WITHOUT_KEY = gettext_lazy(
    "You signed in without your security key, so this session cannot open case data. Sign out "
    "and sign in again with your key to work on cases."
)
BOUND_KEY_NEEDED = gettext_lazy(
    "Your personal key is bound to a security key: only a session signed in with that key "
    "opens case data."
)
KEY_ROLE_TOTP = gettext_lazy(
    "Your role signs in with a security key, not with the authenticator app. If you have lost "
    "your key, a backup code signs you in once, but that session cannot open case data."
)
SESSION_LOCKED = gettext_lazy(
    "Your session does not hold the key to case data, so you cannot grant access now. "
    "Sign out and sign in again with your password. If you have no access yourself, another "
    "coordinator must grant it to you first."
)


def locked_out(request: HttpRequest, original_response=None, credentials: dict | None = None):
    """django-axes calls this when a username is locked from the request's source (see
    accounts.lockout); it says nothing about the account, and the same for a name that has none."""
    minutes = lockout.cool_off_minutes()
    paused = ngettext(
        "Too many failed sign-in attempts with this username from your network. Sign-in with it "
        "from here is paused for %(minutes)d minute; try again later.",
        "Too many failed sign-in attempts with this username from your network. Sign-in with it "
        "from here is paused for %(minutes)d minutes; try again later.",
        minutes,
    ) % {"minutes": minutes}
    return render(
        request, "accounts/login.html", {"form": LoginForm(), "paused": paused}, status=429
    )


def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.user.is_verified():
        return redirect("staff_home")
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        password = form.cleaned_data["password"]
        # Before the check, so that a right and a wrong password are answered as slowly.
        lockout.slow_down(request, username)
        user = authenticate(request, username=username, password=password)
        if getattr(request, "axes_locked_out", False):
            return locked_out(request)
        if user is not None:
            previous = user.last_login
            login(request, user)
            _remember_previous_sign_in(request, previous)
            vault_session.unlock_begin(request, user=user, password=password)
            return redirect("accounts:verify" if has_second_factor(user) else "accounts:enrol")
        form.add_error(None, SIGN_IN_FAILED)
    return render(request, "accounts/login.html", {"form": form})


PREVIOUS_SIGN_IN = "accounts.previous_sign_in"


def _remember_previous_sign_in(request: HttpRequest, previous) -> None:
    """So that the second step can tell of keys added since (login() moved last_login on)."""
    request.session[PREVIOUS_SIGN_IN] = previous.isoformat() if previous else ""


def _second_factor_passed(request: HttpRequest, device, *, factor: str) -> None:
    otp_login(request, device)
    second_factor_passed(request, device, factor=factor)


def second_factor_passed(request: HttpRequest, device, *, factor: str, prf=None) -> None:
    """After django-otp's login with `device`: the audit event, what the person must be told,
    and the vault, unlocked only when this factor may open case data (accounts.keys)."""
    request.session[keys.FACTOR] = factor
    failures = lockout.failures_since_last_sign_in(request.user)
    record(action=Action.SIGNIN_SUCCEEDED, actor=request.user)
    if failures:
        messages.warning(
            request,
            ngettext(
                "There was %(count)d failed sign-in attempt with your username since you last "
                "signed in. If that was not you, tell an administrator.",
                "There were %(count)d failed sign-in attempts with your username since you last "
                "signed in. If those were not you, tell an administrator.",
                failures,
            )
            % {"count": failures},
        )
    if not keys.opens_case_data(request, request.user):
        vault_session.lock(request)
        messages.warning(request, NO_CASE_DATA_WITHOUT_KEY)
    elif not vault_session.unlock_complete(request, prf=prf, keep_personal=factor == "webauthn"):
        if vault_session.is_hardware_bound_pending(request) or (
            factor != "webauthn" and vault_staff.bound_credentials(request.user)
        ):
            messages.warning(request, BOUND_KEY_NEEDED)
        else:
            messages.info(
                request, _("You have no access to case data yet. A coordinator can grant it.")
            )
    for change in changes.notices_take(user=request.user):
        messages.info(request, _change_notice(change))
    for key in _keys_added_since(request):
        messages.warning(
            request,
            _(
                "A security key “%(name)s” was added to your account on %(when)s. If that was "
                "not you, tell an administrator at once."
            )
            % {"name": key.name, "when": formats.date_format(key.created_at, "DATETIME_FORMAT")},
        )


def _keys_added_since(request: HttpRequest) -> list:
    previous = request.session.pop(PREVIOUS_SIGN_IN, "")
    if not previous:
        return []
    added = keys.keys_of(request.user)
    return [key for key in added if key.created_at.isoformat() > previous]


def _change_notice(change) -> str:
    """What an administrator changed on the person's account, and when (told once)."""
    when = formats.date_format(change.decided_at, "DATETIME_FORMAT")
    if change.kind == changes.Kind.CREATE:
        text = _("An administrator created your account on %(when)s.")
    elif change.kind == changes.Kind.RESET:
        text = _("An administrator reset your password and second factor on %(when)s.")
    else:
        role = changes.Role(change.role).label
        return _("An administrator changed your role to %(role)s on %(when)s.") % {
            "role": role,
            "when": when,
        }
    return text % {"when": when}


@login_required
def verify_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_verified():
        return redirect("staff_home")
    if not has_second_factor(request.user):
        return redirect("accounts:enrol")
    form = SignInCodeForm(request.POST or None)
    key_only = keys.key_required(request.user) and keys.offers_keys(request)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"]
        if key_only and code_kind(normalise(token)) == "totp":
            record(action=Action.OTP_FAILED, actor=request.user, data={"method": "totp"})
            form.add_error("token", KEY_ROLE_TOTP)
            return render(request, "accounts/verify.html", _verify_context(request, form))
        check = second_factor_check(user=request.user, token=token)
        if check.device is not None:
            factor = "backup" if code_kind(normalise(token)) == "backup" else "totp"
            _second_factor_passed(request, check.device, factor=factor)
            return redirect("staff_home")
        if check.throttled:
            seconds = check.wait_seconds
            form.add_error(
                None,
                ngettext(
                    "Too many attempts: wait %(seconds)d second, then try again.",
                    "Too many attempts: wait %(seconds)d seconds, then try again.",
                    seconds,
                )
                % {"seconds": seconds},
            )
        else:
            form.add_error("token", _("That code did not work."))
    return render(request, "accounts/verify.html", _verify_context(request, form))


def _verify_context(request: HttpRequest, form) -> dict:
    user = request.user
    return {
        "form": form,
        "has_key": keys.offers_keys(request) and keys.has_key(user),
        "key_only": keys.key_required(user) and keys.offers_keys(request),
        "key_role_text": KEY_ROLE_TOTP,
    }


def _pending_device(request: HttpRequest) -> TOTPDevice:
    device = TOTPDevice.objects.filter(
        user=request.user, confirmed=False, pk=request.session.get(PENDING_TOTP)
    ).first()
    if device is None:
        device = services.totp_device_start(user=request.user)
        request.session[PENDING_TOTP] = device.pk
    return device


def _enrolment_page(request: HttpRequest, device: TOTPDevice, form: CodeForm, replacing: bool):
    context = {
        "form": form,
        "qr": qr_data_uri(device.config_url),
        "secret": b32encode(device.bin_key).decode(),
        "replacing": replacing,
        "offer_key": not replacing and keys.offers_keys(request) and keys.may_enrol(request),
    }
    return render(request, "accounts/enrol.html", context)


def _confirm_device(request: HttpRequest, *, replacing: bool) -> HttpResponse:
    device = _pending_device(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token("".join(form.cleaned_data["token"].split())):
            services.totp_device_confirm(user=request.user, device=device, replacing=replacing)
            del request.session[PENDING_TOTP]
            if not replacing:
                _second_factor_passed(request, device, factor="totp")
            codes = services.backup_codes_generate(user=request.user)
            return render(request, "accounts/backup_codes.html", {"codes": codes})
        form.add_error("token", _("That code did not work. Check the time on your phone."))
    return _enrolment_page(request, device, form, replacing)


@login_required
def enrol_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_verified() or has_second_factor(request.user):
        return redirect("staff_home" if request.user.is_verified() else "accounts:verify")
    if keys.key_required(request.user) and keys.offers_keys(request):
        # TOTP does not sign this role in: its first factor is a security key, and only the
        # enrolment link's session may add one (accounts.keys.may_enrol).
        return redirect("accounts:key_enrol" if keys.may_enrol(request) else "accounts:key_needed")
    return _confirm_device(request, replacing=False)


def security_view(request: HttpRequest) -> HttpResponse:
    """Backup codes, authenticator and password: each change asks for the password again."""
    action = request.POST.get("action") if request.method == "POST" else None
    confirm_form = PasswordConfirmForm(
        request.POST if action in {"backup_codes", "replace_totp"} else None, user=request.user
    )
    password_form = PasswordChangeForm(
        request.POST if action == "password" else None, user=request.user
    )
    if action == "backup_codes" and confirm_form.is_valid():
        codes = services.backup_codes_generate(user=request.user)
        return render(request, "accounts/backup_codes.html", {"codes": codes})
    if action == "replace_totp" and confirm_form.is_valid():
        request.session.pop(PENDING_TOTP, None)
        return _enrolment_page(request, _pending_device(request), CodeForm(), replacing=True)
    if action == "password" and password_form.is_valid():
        services.password_change(
            user=request.user,
            old_password=password_form.cleaned_data["password"],
            new_password=password_form.cleaned_data["new_password"],
        )
        update_session_auth_hash(request, request.user)
        messages.success(request, _("Your password has been changed."))
        return redirect("accounts:security")
    bound = vault_staff.bound_credentials(request.user)
    context = {
        "confirm_form": confirm_form,
        "password_form": password_form,
        "action": action,
        "keys": [
            {"device": key, "bound": keys.credential_ref(key) in bound}
            for key in keys.keys_of(request.user)
        ],
        "may_enrol": keys.may_enrol(request),
        "offers_keys": keys.offers_keys(request),
        "key_required": keys.key_required(request.user),
    }
    return render(request, "accounts/security.html", context)


def replace_totp_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and PENDING_TOTP in request.session:
        return _confirm_device(request, replacing=True)
    return redirect("accounts:security")


def _grant(request: HttpRequest, grantee) -> None:
    """Grants and says what happened; every failure leaves everything as it was."""
    name = grantee.username
    try:
        services.key_grant(
            actor=request.user, keys=vault_session.staff_keys(request), grantee=grantee
        )
    except VaultLocked:
        messages.error(request, SESSION_LOCKED)
    except ValueError:  # disabled or moved to another role since the page was shown
        messages.error(request, _("%(name)s cannot be given access any more.") % {"name": name})
    except NoPersonalKey:
        messages.error(
            request,
            _("%(name)s has not signed in yet. Ask them to sign in once, then grant again.")
            % {"name": name},
        )
    except VaultError:
        messages.error(request, _("Access could not be granted: the case keys are not set up."))
    else:
        messages.success(
            request,
            _("%(name)s now has access to case data. It opens the next time they sign in.")
            % {"name": name},
        )


@require_http_methods(["GET", "HEAD", "POST"])
@capability_required("grant_key")
def team_view(request: HttpRequest) -> HttpResponse:
    """Case staff and whether each holds the current organisation key; coordinators grant it
    from their own unlocked session."""
    version = selectors.current_key_version()
    form = GrantForm(request.POST or None, granter=request.user)
    if request.method == "POST" and form.is_valid():
        grantee = form.cleaned_data["grantee"]
        if selectors.holds_key(user=grantee, version=version):
            messages.info(
                request,
                _("%(name)s already has access to case data.") % {"name": grantee.username},
            )
        else:
            _grant(request, grantee)
        return redirect("accounts:team")
    unlocked = version is not None and vault_session.staff_keys(request).is_unlocked()
    members = [
        {
            "user": member,
            "is_you": member.pk == request.user.pk,
            "has_access": member.has_access,
            "needs_sign_in": not member.has_personal_key,
            "grantable": unlocked
            and member.pk != request.user.pk
            and member.has_personal_key
            and not member.has_access,
        }
        for member in selectors.case_staff_with_access(version=version)
    ]
    context = {
        "form": form,
        "members": members,
        "initialised": version is not None,
        "unlocked": unlocked,
        "locked_text": SESSION_LOCKED,
    }
    return render(request, "accounts/team.html", context)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        record(action=Action.SIGNOUT, actor=request.user)
    logout(request)
    return redirect("accounts:login")


def _no_store(response: HttpResponse) -> HttpResponse:
    """A page that holds or shows an enrolment link: not cached, its address sent nowhere."""
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def enrol_link_view(request: HttpRequest, token: str) -> HttpResponse:
    """The person's own password, set with the one-time link an administrator passed them; then
    the existing enrolment of their authenticator. A link that does not work says so, and no
    more (not whose it was)."""
    link = changes.link_find(token)
    if link is None:
        return _no_store(render(request, "accounts/enrol_link_invalid.html", status=404))
    form = OwnPasswordForm(request.POST or None, user=link.user)
    if request.method == "POST" and form.is_valid():
        password = form.cleaned_data["new_password"]
        try:
            user = changes.link_use(token=token, password=password)
        except ValidationError:
            return _no_store(render(request, "accounts/enrol_link_invalid.html", status=404))
        if request.user.is_authenticated:
            logout(request)
        signed_in = authenticate(request, username=user.username, password=password)
        if signed_in is None:
            return redirect("accounts:login")
        login(request, signed_in)
        vault_session.unlock_begin(request, user=signed_in, password=password)
        request.session[keys.ENROL_LINK] = True
        if keys.key_required(signed_in) and keys.offers_keys(request):
            messages.success(request, _("Your password is set. Now add your security key."))
            return redirect("accounts:key_enrol")
        messages.success(request, _("Your password is set. Now set up your authenticator app."))
        return redirect("accounts:enrol")
    context = {"form": form, "username": link.user.username, "expires_at": link.expires_at}
    return _no_store(render(request, "accounts/enrol_link.html", context))


@require_http_methods(["GET", "HEAD", "POST"])
@capability_required("admin_site")
def account_changes_view(request: HttpRequest) -> HttpResponse:
    """Account changes waiting for a second administrator: confirm or cancel. A confirmed
    creation or reset shows its enrolment link here, once."""
    form = AccountChangeDecisionForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            messages.error(request, _("Choose a change, then confirm or cancel it."))
            return redirect("accounts:account_changes")
        pk = form.cleaned_data["change"]
        try:
            if form.cleaned_data["decision"] == "cancel":
                changes.cancel(change_pk=pk, actor=request.user)
                messages.success(request, _("The change was cancelled. Nothing was changed."))
                return redirect("accounts:account_changes")
            change, token = changes.confirm(change_pk=pk, actor=request.user)
        except PermissionDenied as exc:
            messages.error(request, str(exc) or _("You may not decide on this change."))
            return redirect("accounts:account_changes")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("accounts:account_changes")
        if token is None:
            messages.success(request, _("The change was confirmed and has taken effect."))
            return redirect("accounts:account_changes")
        url = request.build_absolute_uri(reverse("accounts:enrol_link", args=[token]))
        context = {"change": change, "link": url, "hours": changes.LINK_VALID_HOURS}
        return _no_store(render(request, "accounts/enrolment_link_shown.html", context))
    pending = selectors.account_changes_pending()
    rows = [
        {
            "change": change,
            "mine": change.requested_by_id == request.user.pk,
            "about_me": change.user_id == request.user.pk,
        }
        for change in pending
    ]
    context = {
        "rows": rows,
        "recent": selectors.account_changes_recent(),
        "form": form,
    }
    return render(request, "accounts/account_changes.html", context)
