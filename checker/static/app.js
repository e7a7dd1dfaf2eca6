/* clinimg — "May I share this image?" (served by `clinimg serve` at /; see checker/web.py).
 *
 * Walks the guide's decision flow: each question group is shown only when the answers so far make
 * it matter (hidden groups are also disabled, so they are neither tabbed to nor validated nor
 * sent). On "Check" the answers become a disclosure request (SPEC §3) — the page fills the
 * bookkeeping (schema_version, event_id, occurred_at, facility, actor id) — posted to /v1/check
 * with the bearer token kept in sessionStorage (never in a URL). The decision is shown as
 * `clinimg check` prints it: the outcome in one line, each finding with its guide section and
 * what to do instead, then the obligations; and as text to paste into the health record.
 *
 * Everything from the server or the form reaches the page as textContent, never as HTML.
 */
"use strict";
(function () {
  // The same words as the CLI's text report (checker/reports/check.py HEADLINE and MARK; a test
  // holds them equal).
  var HEADLINE = {
    permit: "PERMIT \u2014 you may go ahead.",
    deny: "DENY \u2014 do not go ahead.",
    escalate: "ESCALATE \u2014 seek advice from hospital management or your medical defence organisation before going ahead."
  };
  var MARK = { deny: "\u2717", escalate: "!", warn: "~" };
  var WAIVER_STATUS = {
    applied: "waiver applied",
    expired: "waiver NOT applied: expired",
    self_approved: "waiver NOT applied: approved by the event's own actor"
  };
  var TOKEN_KEY = "clinimg.token";
  var EDUCATION = ["teaching", "training", "research", "publication"];
  var SHARE = ["send", "show", "publish"];
  var TYPE_OF_ACTION = { take: "capture", send: "disclosure", show: "disclosure", publish: "disclosure",
    copy: "patient_provided", keep: "receipt", produce: "access_request" };
  // Placeholders for what the page does not ask: nobody's name or record number is needed to
  // decide, and none is sent.
  var IDS = { actor: "page-user", patient: "page-patient", image: "page-image", device: "my-device",
    recipient: "page-recipient", sender: "page-sender", requester: "page-requester" };

  var form = document.getElementById("ask");
  var config = readConfig();
  var facility = meta("clinimg-facility") || "clinimg-web";
  var pending = null; // the request waiting for a sign-in
  var lastBuilt = null;

  function meta(name) {
    var el = document.querySelector('meta[name="' + name + '"]');
    return el ? el.getAttribute("content") : null;
  }

  function readConfig() {
    try {
      var parsed = JSON.parse(meta("clinimg-config") || "{}");
      return parsed && typeof parsed === "object" ? parsed : {};
    } catch (e) {
      return {};
    }
  }

  // -- reading answers ------------------------------------------------------------------------

  function controls(name) {
    return Array.prototype.slice.call(form.elements).filter(function (el) { return el.name === name && !el.disabled; });
  }

  function one(name) {
    var els = controls(name);
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      if (el.type === "radio" || el.type === "checkbox") {
        if (el.checked) return el.value;
      } else if (el.value !== "") {
        return el.value;
      }
    }
    return null;
  }

  function many(name) {
    return controls(name).filter(function (el) { return el.checked; }).map(function (el) { return el.value; });
  }

  function number(name) {
    var v = one(name);
    if (v === null) return null;
    var n = Number(v);
    return isFinite(n) ? n : null;
  }

  function yes(name) { return one(name) === "yes"; }

  // Answers read from every control, enabled or not: visibility is decided from them.
  function rawAnswers() {
    var s = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name) return;
      if (el.type === "checkbox") {
        s[el.name] = s[el.name] || [];
        if (el.checked) s[el.name].push(el.value);
      } else if (el.type === "radio") {
        if (el.checked) s[el.name] = el.value;
      } else {
        s[el.name] = el.value;
      }
    });
    return s;
  }

  // -- which questions matter ------------------------------------------------------------------

  function relevant(s) {
    var a = s.action || null;
    var share = SHARE.indexOf(a) >= 0;
    var consentMatters = a === "take" || share;
    var age = s.age === "" || s.age === undefined ? null : Number(s.age);
    var child = age !== null && isFinite(age) && age < 18;
    var adult = age !== null && isFinite(age) && age >= 18;
    var impaired = s.capacity === "impaired" || s.capacity === "impaired_temporary";
    var educational = EDUCATION.indexOf(s.purpose) >= 0;
    var consentGiven = consentMatters && s.consent && s.consent !== "none";
    var granted = consentMatters && s.consent === "granted";
    var fromDevice = share && s.shown_from === "actor_device";
    var device = a === "take" || a === "keep" || fromDevice;
    var consentEducational = (s.consent_purposes || []).some(function (p) { return EDUCATION.indexOf(p) >= 0; });
    return {
      "q-you": !!a,
      "q-image": consentMatters || a === "copy",
      "q-intimate": a === "take" || share,
      "q-features": share,
      // A recording's sound carries the patient's voice (docs/input.md, What identifies).
      "q-voice": share && (s.modality === "video" || s.modality === "audio"),
      "q-deidentified": share && educational,
      "q-deid-details": share && educational && s.deidentified === "yes",
      "q-take": a === "take",
      "q-share": share,
      "q-patient": consentMatters,
      "q-maturity": consentMatters && child,
      "q-distressed": a === "take" && child,
      "q-capacity": consentMatters && adult,
      // A young child (not assessed as mature) cannot consent either: their emergency is asked too.
      "q-emergency": a === "take" && ((adult && impaired) || (child && s.maturity !== "mature")),
      "q-consent": consentMatters,
      "q-consent-details": !!consentGiven,
      "consent-purposes-hint": consentGiven && s.consent !== "granted",
      "q-identifiable-use": granted && consentEducational,
      "q-written-form": granted && config.written_consent_required === true,
      "q-informed": granted,
      "q-capture-legal": a === "take" && !!s.consent && s.consent !== "granted",
      "q-copy": a === "copy",
      "q-produce": a === "produce",
      "q-received": a === "keep",
      "q-in-record": fromDevice,
      "q-since": (a === "keep" && s.sender_saved === "yes") || (fromDevice && s.in_record === "yes"),
      "q-device": device,
      "q-approved": device && s.owner === "personal" && config.personal_devices === "with_approval",
      "q-submit": !!a
    };
  }

  function update() {
    var s = rawAnswers();
    var shown = relevant(s);
    Object.keys(shown).forEach(function (id) {
      var el = document.getElementById(id);
      if (el) el.hidden = !shown[id];
    });
    // The ways of sharing offered depend on what you want to do (send / show / publish).
    Array.prototype.forEach.call(document.querySelectorAll("#channels label[data-for]"), function (label) {
      label.hidden = label.getAttribute("data-for") !== s.action;
      var input = label.querySelector("input");
      if (label.hidden && input.checked) input.checked = false;
    });
    document.getElementById("channel-legend").textContent =
      s.action === "show" ? "How will you show it?" : s.action === "publish" ? "Where?" : "How will you send it?";
    // A control under anything hidden is disabled: not focusable, not validated, not sent.
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.tagName === "FIELDSET" || el.type === "submit" || el.type === "reset") return;
      el.disabled = !!(el.closest("[hidden]"));
    });
    // Number the steps that are shown, in order.
    var n = 0;
    Array.prototype.forEach.call(form.querySelectorAll(".card"), function (card) {
      var step = card.querySelector(":scope > legend .step");
      if (!step) return; // a follow-up question belongs to the step before it
      if (!card.hidden) n += 1;
      step.textContent = String(n);
    });
  }

  // -- the request -------------------------------------------------------------------------------

  function randomHex(bytes) {
    var buf = new Uint8Array(bytes);
    window.crypto.getRandomValues(buf); // available on plain-http intranets too (randomUUID is not)
    return Array.prototype.map.call(buf, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function rfc3339(d) {
    var off = -d.getTimezoneOffset();
    var sign = off >= 0 ? "+" : "-";
    var abs = Math.abs(off);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" + pad(d.getHours()) + ":" +
      pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + sign + pad(Math.floor(abs / 60)) + ":" + pad(abs % 60);
  }

  function hoursSince() {
    var amount = number("since_amount");
    var unit = Number(one("since_unit") || "1");
    return amount === null ? null : amount * unit;
  }

  function device() {
    var d = { id: IDS.device, owner: one("owner") };
    if (one("passcode")) d.passcode = yes("passcode");
    if (one("remote_wipe")) d.remote_wipe = yes("remote_wipe");
    if (one("auto_upload")) d.auto_upload = one("auto_upload");
    if (one("approved")) d.approved = yes("approved");
    return d;
  }

  function patient() {
    var p = { id: IDS.patient };
    var age = number("age");
    if (age !== null) p.age_years = age;
    var capacity = one("capacity");
    if (capacity) p.capacity = capacity;
    var maturity = one("maturity");
    if (maturity) {
      p.maturity_assessment = maturity;
      p.mature_minor_assessed = maturity === "mature";
    }
    return p;
  }

  function consents() {
    var status = one("consent");
    if (!status || status === "none") return [];
    var purposes = many("consent_purposes");
    var c = { status: status, given_by: one("given_by"), purposes: purposes, documented_in_record: yes("documented") };
    if (status === "granted") {
      c.identifiable_use = yes("identifiable_use");
      c.publication = purposes.indexOf("publication") >= 0;
      c.written_form = yes("written_form");
      c.informed_of = many("informed_of");
    }
    return [c];
  }

  function buildRequest() {
    var action = one("action");
    var now = new Date();
    var req = {
      schema_version: "1",
      event_id: "web-" + randomHex(12),
      type: TYPE_OF_ACTION[action],
      occurred_at: rfc3339(now),
      facility: facility,
      actor: { id: IDS.actor, role: one("role") },
      patient: patient()
    };
    if (action === "take") {
      req.actor.device = device();
      req.image = { id: IDS.image, modality: one("modality"), subject: one("subject"), source: "staff" };
      if (one("intimate")) req.image.intimate = yes("intimate");
      req.purposes = many("purposes");
      // What the guide asks to record with the image ("who took it, when, and the mode of
      // capture") is in the summary this page gives for the record.
      req.capture_record = { who: IDS.actor, when: req.occurred_at,
        mode: (one("owner") === "hospital" ? "hospital" : "personal") + " device, " + one("modality") };
      req.circumstances = {};
      if (one("urgent")) req.circumstances.urgent = yes("urgent");
      if (one("substitute")) req.circumstances.substitute_available = yes("substitute");
      if (one("distressed")) req.circumstances.child_distressed = yes("distressed");
      req.legal_basis = one("capture_legal") || "none";
      req.consents = consents();
    } else if (SHARE.indexOf(action) >= 0) {
      var features = many("features");
      var image = { id: IDS.image, modality: one("modality"), subject: one("subject"), source: "staff",
        identifying_features: features, identifiable: features.length > 0, intimate: yes("intimate"),
        deidentified: yes("deidentified"), purposes: many("taken_for") };
      if (one("metadata_removed")) image.metadata_present = yes("metadata_removed") ? [] : ["gps", "timestamp", "device_model"];
      if (one("rare")) image.rare_condition = yes("rare");
      if (one("voice")) image.voice_audible = yes("voice");
      req.image = image;
      req.purpose = one("purpose");
      var who = one("recipient");
      var recipient = { id: IDS.recipient, kind: who };
      if (who === "treating_team" || who === "consulted" || who === "clinician_none") {
        recipient.kind = "clinician";
        recipient.relationship = who === "clinician_none" ? "none" : who;
      }
      req.recipient = recipient;
      req.intended_recipient = { id: IDS.recipient };
      req.channel = one("channel");
      req.legal_basis = one("share_legal") || "none";
      req.shown_from = one("shown_from");
      req.consents = consents();
      if (req.shown_from === "actor_device") {
        req.actor.device = device();
        var life = { on_actor_device: true, in_record: yes("in_record") };
        var hours = hoursSince();
        if (life.in_record && hours !== null) life.hours_since_record_transfer = hours;
        req.lifecycle = life;
      }
    } else if (action === "copy") {
      req.image = { id: IDS.image, modality: one("modality"), subject: one("subject"), source: "patient_provided" };
      req.owner_agreed_to_copy = yes("owner_agreed");
      req.retention_explained = yes("retention_explained");
    } else if (action === "keep") {
      var dev = device();
      req.image = { id: IDS.image };
      req.sender = { id: IDS.sender };
      req.device = dev;
      var saved = one("sender_saved") === "yes";
      var lifecycle = { as_of: req.occurred_at, in_record: saved };
      var receiver = { event_id: req.event_id, device: dev, on_device: true };
      var since = hoursSince();
      if (saved && since !== null) {
        lifecycle.hours_since_record_transfer = since;
        receiver.hours_on_device_after_record = since;
      }
      lifecycle.receivers = [receiver];
      req.lifecycle = lifecycle;
    } else if (action === "produce") {
      var held = number("images_held") || 0;
      var ids = [];
      for (var i = 1; i <= held; i++) ids.push("image-" + i);
      req.requester = { id: IDS.requester, kind: one("requester") };
      req.legal_basis = one("produce_legal") || "none";
      req.produced = true;
      req.images_produced = number("images_produced") || 0;
      req.lifecycle = { patient_image_ids: ids };
    }
    return req;
  }

  // -- the answers, in words (for the record) ---------------------------------------------------

  function labelText(el) {
    var label = el.closest("label") || (el.id && document.querySelector('label[for="' + el.id + '"]'));
    return label ? label.textContent.replace(/\s+/g, " ").trim() : el.value;
  }

  function answersInWords() {
    var lines = [];
    var seen = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled || seen[el.name] || el.tagName === "BUTTON") return;
      seen[el.name] = true;
      var question;
      var answer;
      var group = el.closest("fieldset");
      if (el.type === "radio" || el.type === "checkbox") {
        question = group.querySelector("legend").textContent;
        var chosen = controls(el.name).filter(function (c) { return c.checked; }).map(labelText);
        answer = chosen.length ? chosen.join("; ") : "nothing ticked";
      } else if (el.tagName === "SELECT") {
        if (el.name === "since_unit") return; // read with its amount
        question = labelText(el);
        answer = el.selectedIndex >= 0 ? el.options[el.selectedIndex].textContent : "";
      } else if (el.name === "since_amount") {
        question = group.querySelector("legend").textContent;
        var unit = document.getElementById("since-unit");
        answer = el.value + " " + unit.options[unit.selectedIndex].textContent;
      } else {
        question = labelText(el);
        answer = el.value;
      }
      // "3 What…" (a step number) and "Tick …" instructions are not part of the question.
      question = question.replace(/^\s*\d+\s*/, "").replace(/\s*Tick [^?]*\.\s*$/, "").replace(/\s+/g, " ").trim();
      lines.push("- " + question + " \u2014 " + answer);
    });
    return lines;
  }

  // -- the decision, as the CLI prints it --------------------------------------------------------

  function decisionText(d) {
    var out = [HEADLINE[d.outcome] + " (basis: " + (d.basis || "none") + ")"];
    var findings = d.findings || [];
    if (findings.length) out.push("", "Findings:");
    findings.forEach(function (f) {
      out.push("  " + (MARK[f.effect] || "-") + " [" + f.effect + "] " + f.rule);
      out.push("      " + (f.message || ""));
      if (f.guide) out.push("      Guide: " + f.guide);
      if (f.remedy) out.push("      Instead: " + f.remedy);
    });
    if ((d.obligations || []).length) {
      out.push("", "You must still:");
      d.obligations.forEach(function (o) { out.push("  \u2022 " + o.text + " (" + o.id + ")"); });
    }
    (d.waivers || []).forEach(function (w) {
      out.push("", "  " + (WAIVER_STATUS[w.status] || w.status) + ": " + w.rule + " (approved by " + w.approved_by + ")");
    });
    var policy = d.policy || {};
    out.push("", "Policy " + (policy.version || "?") + " " + (policy.digest || ""));
    return out.join("\n") + "\n";
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function roleText() {
    var role = document.getElementById("role");
    return role.selectedIndex > 0 ? role.options[role.selectedIndex].textContent : "";
  }

  function showDecision(d, request, decisionId, askedAt) {
    var result = document.getElementById("result");
    var outcome = document.getElementById("outcome");
    outcome.textContent = HEADLINE[d.outcome] + " (basis: " + (d.basis || "none") + ")";
    document.getElementById("outcome-box").className = "outcome-box " + d.outcome;

    var findings = document.getElementById("findings");
    clear(findings);
    (d.findings || []).forEach(function (f) {
      var li = el("li", "finding " + f.effect);
      var head = el("p", "finding-head");
      head.appendChild(el("span", "mark", (MARK[f.effect] || "-") + " " + f.effect.toUpperCase()));
      head.appendChild(document.createTextNode(" "));
      head.appendChild(el("code", "rule", f.rule));
      li.appendChild(head);
      li.appendChild(el("p", "message", f.message || ""));
      if (f.guide) {
        var g = el("p", "guide");
        g.appendChild(el("strong", null, "Guide: "));
        g.appendChild(document.createTextNode(f.guide));
        li.appendChild(g);
      }
      if (f.remedy) {
        var r = el("p", "remedy");
        r.appendChild(el("strong", null, "Instead: "));
        r.appendChild(document.createTextNode(f.remedy));
        li.appendChild(r);
      }
      findings.appendChild(li);
    });
    document.getElementById("findings-box").hidden = !(d.findings || []).length;

    var obligations = document.getElementById("obligations");
    clear(obligations);
    (d.obligations || []).forEach(function (o) {
      var li = el("li", null, o.text + " ");
      li.appendChild(el("code", "rule", "(" + o.id + ")"));
      obligations.appendChild(li);
    });
    document.getElementById("obligations-box").hidden = !(d.obligations || []).length;

    var waivers = document.getElementById("waivers");
    clear(waivers);
    (d.waivers || []).forEach(function (w) {
      waivers.appendChild(el("li", null, (WAIVER_STATUS[w.status] || w.status) + ": " + w.rule + " (approved by " + w.approved_by + ")"));
    });
    document.getElementById("waivers-box").hidden = !(d.waivers || []).length;

    var summary = [
      "Clinical image check (clinimg, AMA/MIIAA guide " + "\u2014 " + facility + ")",
      "Checked: " + askedAt.replace("T", " "),
      "Asked by: " + roleText(),
      "Decision id: " + (decisionId || "none"),
      "",
      "Answers:"
    ].concat(answersInWords(), ["", decisionText(d)]).join("\n");
    document.getElementById("summary").textContent = summary;
    document.getElementById("request-json").textContent = JSON.stringify(request, null, 2);

    document.getElementById("error").hidden = true;
    document.getElementById("waiting").hidden = true;
    result.hidden = false;
    announce(outcome.textContent);
    outcome.focus();
  }

  function announce(text) {
    var status = document.getElementById("status");
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  function showError(lines) {
    var box = document.getElementById("error");
    box.textContent = lines.join(" ");
    box.hidden = false;
    box.setAttribute("tabindex", "-1");
    box.focus();
  }

  // -- asking the server ---------------------------------------------------------------------------

  function token() {
    try { return window.sessionStorage.getItem(TOKEN_KEY); } catch (e) { return null; }
  }

  function showSession() {
    document.getElementById("session").hidden = !token();
  }

  function ask(request) {
    var headers = { "Content-Type": "application/json", "Accept": "application/json" };
    var t = token();
    if (t) headers.Authorization = "Bearer " + t;
    var button = document.getElementById("check");
    button.disabled = true;
    button.textContent = "Checking\u2026";
    announce("Checking\u2026");
    return window.fetch("/v1/check", { method: "POST", headers: headers, body: JSON.stringify(request),
      credentials: "same-origin", cache: "no-store", redirect: "error" })
      .then(function (response) {
        return response.text().then(function (text) {
          var body = null;
          try { body = JSON.parse(text); } catch (e) { body = null; }
          return { status: response.status, body: body, id: response.headers.get("X-Decision-Id") };
        });
      })
      .then(function (r) {
        if (r.status === 401) {
          pending = request;
          var had = !!t;
          try { window.sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* nothing kept */ }
          showSession();
          showSignin(had ? "That token was not accepted. Check it and try again." : "");
          return;
        }
        if (r.status === 200 && r.body && HEADLINE[r.body.outcome]) {
          document.getElementById("signin").hidden = true;
          showDecision(r.body, request, r.id, request.occurred_at);
          return;
        }
        if (r.status === 400 && r.body) {
          var problems = (r.body.problems || []).map(function (p) { return p.path + ": " + p.constraint; });
          showError(["The service could not read the question (" + (r.body.message || "bad request") + ").",
            problems.length ? "Problems: " + problems.join("; ") + "." : "", "Please tell IT; meanwhile use clinimg check."]);
          return;
        }
        showError(["No decision: the service could not decide (HTTP " + r.status + "). Do not go ahead on this page's account;",
          "try again, or ask hospital management or your medical defence organisation."]);
      })
      .catch(function () {
        showError(["No decision: the service could not be reached. Do not go ahead on this page's account;",
          "try again, or ask hospital management or your medical defence organisation."]);
      })
      .then(function () {
        button.disabled = false;
        button.textContent = "Check";
      });
  }

  function showSignin(message) {
    var section = document.getElementById("signin");
    section.hidden = false;
    document.getElementById("signin-error").textContent = message || "";
    document.getElementById("token").value = "";
    document.getElementById("signin-title").focus();
  }

  // -- wiring ------------------------------------------------------------------------------------

  function staleResult() {
    var result = document.getElementById("result");
    if (!result.hidden) {
      result.hidden = true;
      document.getElementById("waiting").hidden = false;
      announce("Answers changed: check again for a new answer.");
    }
  }

  form.addEventListener("change", function () { update(); staleResult(); });
  form.addEventListener("input", function () { update(); staleResult(); });
  form.addEventListener("reset", function () {
    window.setTimeout(function () {
      update();
      document.getElementById("result").hidden = true;
      document.getElementById("error").hidden = true;
      document.getElementById("waiting").hidden = false;
      var first = form.querySelector('input[name="action"]');
      if (first) first.focus();
    }, 0);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    update();
    if (!form.reportValidity()) return;
    lastBuilt = buildRequest();
    ask(lastBuilt);
  });

  document.getElementById("signin-form").addEventListener("submit", function (event) {
    event.preventDefault(); // never a real form post: the token goes to sessionStorage, not a URL
    var value = document.getElementById("token").value.trim();
    if (!value) {
      document.getElementById("signin-error").textContent = "Enter the access token.";
      return;
    }
    try { window.sessionStorage.setItem(TOKEN_KEY, value); } catch (e) { /* private mode: kept for this request only */ }
    document.getElementById("token").value = "";
    showSession();
    if (pending) {
      var request = pending;
      pending = null;
      ask(request);
    } else {
      document.getElementById("signin").hidden = true;
    }
  });

  document.getElementById("signout").addEventListener("click", function () {
    try { window.sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* nothing kept */ }
    showSession();
    announce("Signed out.");
  });

  document.getElementById("copy").addEventListener("click", function () {
    var text = document.getElementById("summary").textContent;
    var done = function () { announce("Copied. Paste it into the patient's notes."); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(text) && done(); });
    } else if (fallbackCopy(text)) {
      done();
    }
  });

  // Plain-http intranets have no clipboard API: copy through a selected, off-screen textarea.
  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "offscreen";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    if (!ok) announce("Copy did not work here: select the text and copy it.");
    return ok;
  }

  document.getElementById("print").addEventListener("click", function () { window.print(); });
  document.getElementById("again").addEventListener("click", function () { form.reset(); });

  var name = document.getElementById("facility-line");
  if (facility && facility !== "clinimg-web") name.textContent = " \u2014 " + facility;
  showSession();
  update();
})();
