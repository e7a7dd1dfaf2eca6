# METADATA
# title: clinimg entry point
# description: |
#   data.clinimg.decision — the decision of SPEC §2 (without `policy`, which Python adds) for one
#   disclosure request. Every engine and the server answer from here.
# entrypoint: true
package clinimg

import data.clinimg.decide
import data.clinimg.lib

decision := {
	"outcome": "deny",
	"basis": null,
	"findings": [{
		"rule": "policy.contract",
		"effect": "deny",
		"message": concat("", ["A hospital rule breaks the local-rule contract, so nothing can be decided: ", concat("; ", sort(decide.contract_violations))]),
		"guide": "Hospital policies and contracts",
		"remedy": "Fix the hospital's own rule (clinimg policy check names it), then ask again.",
	}],
	"obligations": [],
	"waivers": [],
	"contract_violations": sort(decide.contract_violations),
} if {
	# Fail closed: a raw OPA client gets a deny that says why; clinimg makes it an engine error.
	count(decide.contract_violations) > 0
} else := {
	"outcome": decide.outcome,
	"basis": lib.basis,
	"findings": decide.findings,
	"obligations": decide.obligations,
	"waivers": decide.waivers,
}
