# METADATA
# title: A mature minor consents for themselves
# description: |
#   The patient is under 18 and assessed as mature enough to consent, yet the consent on file
#   for a purpose of the capture or of a later use or disclosure came from someone else (a parent
#   or other decision-maker), not from the young person — or from the young person before they
#   were assessed as mature (`age_at_consent`, `maturity_at_consent`).
# custom:
#   id: consent.mature_minor
#   effect: deny
#   guide_section: Children
#   passage: >-
#     Older children and young people under 18 years of age will need to be assessed to determine
#     if they have sufficient maturity to understand fully the purpose for taking the clinical
#     images. If so, consent will need to be obtained from them, and you should encourage input
#     from their parents.
#   remedy: >-
#     Obtain consent from the young person themselves, document it, and encourage input from their
#     parents.
package clinimg.rules.consent.mature_minor

import data.clinimg.lib

# Every invalid consent is the young person's own: given before they were assessed as mature.
from_someone_else := {c |
	some c in lib.invalid_consents
	c.given_by != "patient"
}

why := " came from someone else, not from the young person." if count(from_someone_else) > 0
else := " was given before the young person was assessed as mature enough to consent."

deny contains finding if {
	lib.is_mature_minor
	not lib.lacks_capacity
	count(lib.invalid_consents) > 0
	finding := {
		"rule": "consent.mature_minor",
		"message": concat("", ["The patient has been assessed as mature enough to consent, but ", lib.consents_label(lib.invalid_consents), why]),
		"guide": "Children",
		"remedy": "Obtain consent from the young person themselves, document it, and encourage input from their parents.",
	}
}
