# METADATA
# title: Know the patient's age before relying on their own consent
# description: |
#   A capture, use or disclosure (or the record produced) rests on the patient's own consent, and
#   the request does not say how old the patient is (`patient.age_years` absent; the schema lets
#   it be left out). Who may consent depends on it: a child's own consent counts only once they
#   are assessed as mature enough to give it, otherwise a parent's or guardian's does. Without an
#   age the policies would take every patient for an adult — a child's own consent to
#   identifiable teaching or publication would have been let through on silence. Capacity is
#   different: the law presumes an adult's capacity, but no patient is presumed to be an adult.
#   Not for what needs no consent (clinical care by the people caring for the patient, their own
#   access). A parent's consent for a patient whose age is not stated is already not valid for an
#   adult (consent.competent_adult).
# custom:
#   id: consent.age_unknown
#   effect: escalate
#   guide_section: Children
#   passage: >-
#     There is no defined age at which children can provide valid consent. For young children,
#     their parents or guardians generally provide consent, and sign any consent forms. … Older
#     children and young people under 18 years of age will need to be assessed to determine if
#     they have sufficient maturity to understand fully the purpose for taking the clinical
#     images.
#   remedy: >-
#     Record the patient's age; if they are under 18, assess whether they are mature enough to
#     consent for themselves, and otherwise obtain and document a parent's or guardian's consent.
package clinimg.rules.consent.age_unknown

import data.clinimg.lib

own_consents := {c |
	some c in lib.relied_consents
	c.given_by == "patient"
}

escalate contains finding if {
	not is_number(lib.age)
	count(own_consents) > 0
	finding := {
		"rule": "consent.age_unknown",
		"message": concat("", ["This rests on the patient's own consent (", lib.consents_label(own_consents), "), but their age is not recorded: a child's own consent counts only once they are assessed as mature enough to give it."]),
		"guide": "Children",
		"remedy": "Record the patient's age; if they are under 18, assess whether they are mature enough to consent for themselves, and otherwise obtain and document a parent's or guardian's consent.",
	}
}
