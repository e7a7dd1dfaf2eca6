# METADATA
# title: Encourage a mature minor's parents to have input
# description: |
#   A capture relies on a mature minor's own consent and no parent or guardian has consented as
#   well: a reminder to encourage the parents' input.
# custom:
#   id: consent.parental_input
#   effect: warn
#   guide_section: Children
#   passage: >-
#     If so, consent will need to be obtained from them, and you should encourage input from their
#     parents.
#   remedy: >-
#     Encourage the young person to involve their parents in the decision, and note it in the
#     health record.
package clinimg.rules.consent.parental_input

import data.clinimg.lib

# The young person's own valid consent to a purpose of the capture.
young_person_consented if {
	some purpose in lib.capture_purposes
	lib.own_consent_for(purpose)
}

# The parents' input: a parent's consent on file for a purpose of the capture (not itself what
# the capture relies on, since a mature minor's own consent is).
parent_involved if {
	some purpose in lib.capture_purposes
	some c in lib.on_file_for(purpose)
	c.given_by == "parent_guardian"
}

warn contains finding if {
	input.type == "capture"
	lib.is_mature_minor
	young_person_consented
	not parent_involved
	finding := {
		"rule": "consent.parental_input",
		"message": "The young person consented themselves; encourage input from their parents.",
		"guide": "Children",
		"remedy": "Encourage the young person to involve their parents in the decision, and note it in the health record.",
	}
}
