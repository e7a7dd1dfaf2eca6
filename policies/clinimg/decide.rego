# METADATA
# title: clinimg decision internals
# description: |
#   Behind the one entry point data.clinimg.decision (entrypoint.rego). Gathers every rule package under
#   data.clinimg.rules[area][rule] — shipped rules and a hospital's own under
#   clinimg.rules.local — applies the overlay (disabled rules, effect overrides, waivers) and
#   returns {outcome, basis, findings, obligations, waivers}. Python adds `policy`.
package clinimg.decide

import data.clinimg.lib

effects := ["deny", "escalate", "warn"]

config_rules := object.get(lib.overlay, "rules", {})

disabled_rules := {r | some r in object.get(config_rules, "disabled", [])}

effect_overrides := object.get(config_rules, "effect_overrides", {})

# Every rule package, evaluated once: regopy re-evaluates a dynamic data.clinimg.rules[area][rule]
# reference each time it appears, so the decision reads this one value instead.
all_rules := data.clinimg.rules

# Every finding any rule raises, with the effect of the set it came from.
raised contains object.union(finding, {"effect": effect}) if {
	some area, rule
	some effect in effects
	some finding in all_rules[area][rule][effect]
	is_object(finding) # anything else breaks the contract (contract_violations, below)
}

# A hospital may switch a rule off or change its effect (RULES.md).
effective contains object.union(finding, {"effect": object.get(effect_overrides, finding.rule, finding.effect)}) if {
	some finding in raised
	not finding.rule in disabled_rules
}

# Waivers: for one rule on one event, with a reason and an approver, until they expire. A waiver
# approved by the event's own actor, or past its expiry, does not apply and is reported.
now_ns := lib.time_ns(object.get(lib.lifecycle, "as_of", input.occurred_at))

waiver_expired(w) if now_ns >= expiry_ns(w)

# A waiver's `expires` is a date: it ends where that day begins in the hospital's `timezone`
# (checker/policy.py gives the instant as `expires_ns`), else at UTC midnight.
expiry_ns(w) := w.expires_ns if is_number(w.expires_ns)

else := lib.date_ns(w.expires)

# Fail closed: when the decision's time or the waiver's expiry cannot be read, no waiver applies
# (an unreadable time once made every waiver apply for ever).
# (Helper rules: `not is_number(x)` is not true when x is undefined — the value is looked up
# outside the negation.)
waiver_expired(_) if not time_read

waiver_expired(w) if not expiry_read(w)

time_read if is_number(now_ns)

expiry_read(w) if is_number(expiry_ns(w))

waiver_self_approved(w) if w.approved_by == input.actor.id

# A lifecycle finding blames another event (a receiver's copy, a wrong-recipient disclosure):
# that event's own actor, as the audit lists it, may not approve its waiver either.
waiver_self_approved(w) if {
	some blamed in array.concat(object.get(lib.lifecycle, "receivers", []), object.get(lib.lifecycle, "wrong_recipient_disclosures", []))
	blamed.event_id == w.event_id
	object.get(blamed, "actor_id", null) == w.approved_by
}

waiver_status(w) := "self_approved" if waiver_self_approved(w) else := "expired" if waiver_expired(w) else := "applied"

# A waiver names the event a finding is reported against: the decided event itself, or for a
# lifecycle finding the event it blames (the transfer, the receipt, the disclosure) — so a waiver
# for one receiver's copy never waives another's.
finding_event(f) := object.get(f, "event_id", object.get(input, "event_id", null))

# [rule, event] of every effective finding, made once: a waiver then matches by one lookup
# instead of a pass over the findings (regopy pays for every builtin call a waiver × finding
# pair made: a hospital's hundred waivers cost a whole decision tens of milliseconds).
effective_keys := {[finding.rule, finding_event(finding)] | some finding in effective}

matching_waivers contains {"rule": w.rule, "event_id": w.event_id, "approved_by": w.approved_by, "status": waiver_status(w)} if {
	some w in object.get(lib.overlay, "waivers", [])
	[w.rule, w.event_id] in effective_keys
}

waived contains [w.rule, w.event_id] if {
	some w in matching_waivers
	w.status == "applied"
}

kept contains finding if {
	some finding in effective
	not [finding.rule, finding_event(finding)] in waived
}

# Sorted by rule, then event, then message: the same input gives the same decision, byte for byte.
sort_key(f) := concat("\u0000", [f.rule, object.get(f, "event_id", ""), f.message])

findings := [f | some key in sort({sort_key(g) | some g in kept}); some f in kept; sort_key(f) == key]

outcome := "deny" if {
	some f in kept
	f.effect == "deny"
} else := "escalate" if {
	some f in kept
	f.effect == "escalate"
} else := "permit"

# What the actor must still do when the action goes ahead: nothing to do for a denied action.
raised_obligations contains obligation if {
	outcome != "deny"
	some area, rule
	some obligation in all_rules[area][rule].obligation
	not obligation.id in disabled_rules
}

obligations := [o | some id in sort({o.id | some o in raised_obligations}); some o in raised_obligations; o.id == id]

waiver_key(w) := concat("\u0000", [w.rule, w.event_id, w.approved_by])

waivers := [w | some key in sort({waiver_key(v) | some v in matching_waivers}); some w in matching_waivers; waiver_key(w) == key]

# The local-rule contract (README "Write your own rule"), checked on every decision: each finding
# of a hospital's own rule is an object whose rule, message, guide and remedy are strings, each
# obligation has an id and a text, and deny/escalate/warn/obligation are sets. A finding that
# breaks it would vanish from `findings` (sorting reads its rule and message) while still
# deciding the outcome: a denial nobody could explain. Each breach is named here, and the
# entry point answers no ordinary decision while there is one (Python makes it an engine error).
contract_sets := ["deny", "escalate", "warn", "obligation"]

finding_keys := ["rule", "message", "guide", "remedy"]

obligation_keys := ["id", "text"]

missing_keys(item, keys) := [k | some k in keys; not is_string(object.get(item, k, null))]

item_problem(item, keys) := "is not an object" if {
	not is_object(item)
} else := concat("", ["lacks ", concat(", ", missing_keys(item, keys)), " (as text)"]) if {
	count(missing_keys(item, keys)) > 0
}

contract_violations contains concat("", ["clinimg.rules.local.", rule, ": ", name, " is not a set"]) if {
	some rule
	some name in contract_sets
	value := all_rules.local[rule][name]
	not is_set(value)
}

contract_violations contains concat("", ["clinimg.rules.local.", rule, ": a ", effect, " finding ", problem]) if {
	some rule
	some effect in effects
	some finding in all_rules.local[rule][effect]
	problem := item_problem(finding, finding_keys)
}

contract_violations contains concat("", ["clinimg.rules.local.", rule, ": an obligation ", problem]) if {
	some rule
	some obligation in all_rules.local[rule].obligation
	problem := item_problem(obligation, obligation_keys)
}
