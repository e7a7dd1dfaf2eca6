# METADATA
# title: A young child's consent comes from a parent or guardian
# description: |
#   The patient is under 18 and not assessed as mature enough to consent (not yet assessed, or
#   assessed as not mature), and the only consent on file for a purpose of the capture or of a
#   later use or disclosure was given by the child rather than a parent, guardian or other
#   decision-maker. Such a consent covers neither the capture nor any later use.
# custom:
#   id: consent.child_guardian
#   effect: deny
#   guide_section: Children
#   passage: >-
#     For young children, their parents or guardians generally provide consent, and sign any
#     consent forms.
#   remedy: >-
#     Obtain consent from the child's parent or guardian and document it; if the child may be mature
#     enough to consent, have that assessed and recorded first.
package clinimg.rules.consent.child_guardian

import data.clinimg.lib

from_child := {c |
	some c in lib.invalid_consents
	c.given_by == "patient"
}

reason := "has not been assessed as mature enough to consent" if lib.maturity_not_assessed
else := "has been assessed as not mature enough to consent"

deny contains finding if {
	lib.is_child
	not lib.is_mature_minor
	count(from_child) > 0
	finding := {
		"rule": "consent.child_guardian",
		"message": concat("", ["The patient is a child who ", reason, ", so ", lib.consents_label(from_child), " must come from a parent or guardian."]),
		"guide": "Children",
		"remedy": "Obtain consent from the child's parent or guardian and document it; if the child may be mature enough to consent, have that assessed and recorded first.",
	}
}
