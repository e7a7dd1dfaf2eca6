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
#   access). Likewise a consent given on the patient's behalf — by a parent or guardian, or a
#   decision-maker for a patient not known to lack capacity: valid for a child not assessed as
#   mature, not for an adult who can decide or a young person assessed as mature. qa12: it was
#   denied (consent.competent_adult) as if the patient were known to be an adult; lib.valid_giver
#   now takes it as given, and this rule asks for the age.
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

# Given on the patient's behalf, valid only if the patient is a child not assessed as mature: a
# parent's or guardian's, or a substitute decision-maker's while the patient is not known to lack
# capacity (for an adult lacking capacity the decision-maker's consent counts whatever the age).
behalf_consents := {c |
	some c in lib.relied_consents
	lib.decides_for_patient(c)
	not decision_maker_for_patient_lacking_capacity(c)
}

decision_maker_for_patient_lacking_capacity(c) if {
	lib.lacks_capacity
	c.given_by == "substitute_decision_maker"
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

escalate contains finding if {
	not is_number(lib.age)
	count(own_consents) == 0
	count(behalf_consents) > 0
	finding := {
		"rule": "consent.age_unknown",
		"message": concat("", ["This rests on ", lib.consents_label(behalf_consents), ", given on the patient's behalf, but their age is not recorded: a parent's, guardian's or decision-maker's consent counts for a child not assessed as mature, not for an adult who can decide or a young person assessed as mature."]),
		"guide": "Children",
		"remedy": "Record the patient's age; if they are under 18, assess whether they are mature enough to consent for themselves, and otherwise obtain and document a parent's or guardian's consent.",
	}
}
