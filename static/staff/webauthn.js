/* Security keys and passkeys on staff pages (accounts/key_views.py answers each step).
   Our own script, not django-otp-webauthn's: the PRF extension's output is binary, and it must
   reach the server intact to open the personal key bound to the key (vault/staff.py). Served
   from the project's static files under the strict CSP; applicant pages load no script. */
"use strict";
(function () {
  function enc(buffer) {
    const bytes = new Uint8Array(buffer);
    let text = "";
    for (let i = 0; i < bytes.length; i += 1) text += String.fromCharCode(bytes[i]);
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function dec(text) {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const raw = atob(base64 + "===".slice((base64.length + 3) % 4));
    const bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i += 1) bytes[i] = raw.charCodeAt(i);
    return bytes.buffer;
  }

  function descriptors(list) {
    return (list || []).map(function (c) {
      return { type: c.type, id: dec(c.id), transports: c.transports };
    });
  }

  function creationOptions(o) {
    return {
      rp: o.rp,
      user: { id: dec(o.user.id), name: o.user.name, displayName: o.user.displayName },
      challenge: dec(o.challenge),
      pubKeyCredParams: o.pubKeyCredParams,
      timeout: o.timeout,
      excludeCredentials: descriptors(o.excludeCredentials),
      authenticatorSelection: o.authenticatorSelection,
      attestation: o.attestation,
      extensions: { credProps: true, prf: {} },
    };
  }

  function requestOptions(o) {
    const options = {
      challenge: dec(o.challenge),
      timeout: o.timeout,
      rpId: o.rpId,
      allowCredentials: descriptors(o.allowCredentials),
      userVerification: o.userVerification,
    };
    const prf = o.extensions && o.extensions.prf;
    if (prf && prf.eval) options.extensions = { prf: { eval: { first: dec(prf.eval.first) } } };
    return options;
  }

  /* The credential as the server's library reads it; the PRF output travels apart (prfOf). */
  function credentialJSON(c) {
    const r = c.response;
    const out = {
      id: c.id,
      rawId: enc(c.rawId),
      type: c.type,
      clientExtensionResults: {},
      response: { clientDataJSON: enc(r.clientDataJSON) },
    };
    if (r.attestationObject) {
      out.response.attestationObject = enc(r.attestationObject);
      out.response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      out.response.authenticatorData = enc(r.authenticatorData);
      out.response.signature = enc(r.signature);
      if (r.userHandle) out.response.userHandle = enc(r.userHandle);
    }
    const ext = c.getClientExtensionResults();
    if (ext.credProps) out.clientExtensionResults.credProps = ext.credProps;
    if (ext.prf && "enabled" in ext.prf) out.clientExtensionResults.prf = { enabled: ext.prf.enabled };
    return out;
  }

  function prfOf(c) {
    const ext = c.getClientExtensionResults();
    return ext.prf && ext.prf.results && ext.prf.results.first ? enc(ext.prf.results.first) : "";
  }

  function csrf() {
    const field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify(body || {}),
    });
    try {
      return await response.json();
    } catch (e) {
      return { error: "" };
    }
  }

  function sayer(root) {
    const status = document.getElementById(root.dataset.status);
    return function (text) {
      if (status) status.textContent = text || root.dataset.msgFailed;
    };
  }

  async function run(root, say, steps) {
    if (!window.PublicKeyCredential || !navigator.credentials) {
      say(root.dataset.msgUnsupported);
      return;
    }
    try {
      const result = await steps();
      if (result && result.redirect) window.location.assign(result.redirect);
      else if (result && "error" in result) say(result.error);
    } catch (e) {
      say(e && e.name === "NotAllowedError" ? root.dataset.msgCancelled : root.dataset.msgFailed);
    }
  }

  function signIn(button) {
    const say = sayer(button);
    button.addEventListener("click", function () {
      say(button.dataset.msgWorking);
      run(button, say, async function () {
        const begun = await post(button.dataset.begin, { purpose: "sign-in" });
        if (!begun.options) return begun;
        const assertion = await navigator.credentials.get({ publicKey: requestOptions(begun.options) });
        return post(button.dataset.complete, { credential: credentialJSON(assertion), prf: prfOf(assertion) });
      });
    });
  }

  function enrol(form) {
    const say = sayer(form);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      const name = form.elements.name.value;
      const password = form.elements.password.value;
      say(form.dataset.msgWorking);
      run(form, say, async function () {
        const begun = await post(form.dataset.begin, { name: name, password: password });
        if (!begun.options) return begun;
        const created = await navigator.credentials.create({ publicKey: creationOptions(begun.options) });
        const added = await post(form.dataset.complete, { name: name, credential: credentialJSON(created) });
        if (!added.bind) return added;
        say(form.dataset.msgBinding);
        const bind = await post(form.dataset.assertBegin, { purpose: "bind" });
        if (!bind.options) return bind;
        const assertion = await navigator.credentials.get({ publicKey: requestOptions(bind.options) });
        return post(form.dataset.assertComplete, {
          purpose: "bind",
          credential: credentialJSON(assertion),
          prf: prfOf(assertion),
          password: password,
        });
      });
    });
  }

  document.querySelectorAll("[data-webauthn=sign-in]").forEach(signIn);
  document.querySelectorAll("[data-webauthn=enrol]").forEach(enrol);
  document.querySelectorAll("[data-webauthn-only]").forEach(function (el) { el.hidden = false; });
})();
