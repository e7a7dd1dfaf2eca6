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
	"outcome": decide.outcome,
	"basis": lib.basis,
	"findings": decide.findings,
	"obligations": decide.obligations,
	"waivers": decide.waivers,
}
