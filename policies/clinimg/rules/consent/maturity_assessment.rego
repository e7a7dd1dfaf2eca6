# METADATA
# title: Assess an older child's maturity before relying on a parent's consent
# description: |
#   A young person at or over the hospital's `maturity_assessment_age` (default 16) whose
#   maturity has not been assessed (neither `mature_minor_assessed: true` nor a recorded
#   `maturity_assessment`), and a capture — or a use that needs consent — resting on a parent's,
#   guardian's or decision-maker's consent rather than their own. The guide names no age, but
#   says older children "will need to be assessed"; if they are mature, the consent must be their
#   own, and a parent's alone does not do. Not for an urgent capture, a young person lacking
#   capacity (their parents decide), or sharing for their care, which needs no consent. A young
#   person assessed as not mature (`maturity_assessment: not_mature`) is not held up. Likewise
#   the image (or the record) shown, sent or produced to their parent or representative as the
#   patient's own access or care: a mature young person decides who sees it (rows 1h6, 1m4).
#   (Their own consent, unassessed: consent.child_guardian denies it.)
# custom:
#   id: consent.maturity_assessment
#   effect: escalate
#   guide_section: Children
#   passage: >-
#     There is no defined age at which children can provide valid consent. For young children,
#     their parents or guardians generally provide consent, and sign any consent forms. … Older
#     children and young people under 18 years of age will need to be assessed to determine if
#     they have sufficient maturity to understand fully the purpose for taking the clinical
#     images. If so, consent will need to be obtained from them, and you should encourage input
#     from their parents.
#   remedy: >-
#     Assess whether the young person is mature enough to understand fully the purpose of the
#     image and record the assessment; if they are, obtain and document their own consent (and
#     encourage their parents' input); if unsure, seek advice from hospital administration.
package clinimg.rules.consent.maturity_assessment

import data.clinimg.lib

# Compares the age with a threshold other than 18: scripts/vet_rules.py leaves this rule out of
# the cache's child/adult canonical ages. (Under 18 too: lib.maturity_not_assessed says so.)
older_child if lib.age >= lib.config_value("maturity_assessment_age")

# The purposes that need consent here: every purpose of a capture (unless urgent), and a use or
# disclosure's purpose unless it is sharing for the young person's care (a secondary purpose,
# which needs no consent) or rests on a legal basis.
relying contains purpose if {
	input.type == "capture"
	object.get(input, ["circumstances", "urgent"], false) != true
	some purpose in lib.capture_purposes
}

relying contains input.purpose if {
	input.type == "disclosure"
	lib.basis in {"primary_purpose", "consent"}
	not lib.secondary_purpose
}

# A valid consent covers them: for a young person never assessed as mature, it is never their
# own (lib.valid_giver), always a parent's, guardian's or decision-maker's.
on_someone_elses_consent contains purpose if {
	some purpose in relying
	lib.consent_in_force_for(purpose)
}

# Handed to the young person's parent or representative without a legal basis, as part of their
# care or their own access to the record.
# (lib.basis is a secondary purpose only for a disclosure.)
to_representative if {
	lib.basis == "secondary_purpose"
	input.recipient.kind == "patient_representative"
}

to_representative if {
	input.type == "access_request"
	object.get(input, ["requester", "kind"], null) == "patient_representative"
	not lib.has_legal_basis
}

escalate contains finding if {
	older_child
	lib.maturity_not_assessed
	not lib.lacks_capacity
	to_representative
	finding := {
		"rule": "consent.maturity_assessment",
		"message": "The image or record goes to the young person's parent or representative, but whether the young person is mature enough to decide who sees it has not been assessed.",
		"guide": "Children",
		"remedy": "Assess whether the young person is mature enough to understand fully the purpose of the image and record the assessment; if they are, obtain and document their own consent (and encourage their parents' input); if unsure, seek advice from hospital administration.",
	}
}

escalate contains finding if {
	older_child
	lib.maturity_not_assessed
	not lib.lacks_capacity
	some purpose in on_someone_elses_consent
	finding := {
		"rule": "consent.maturity_assessment",
		"message": concat("", ["The image for ", purpose, " rests on a parent's, guardian's or decision-maker's consent, but this young person's maturity to consent for themselves has not been assessed."]),
		"guide": "Children",
		"remedy": "Assess whether the young person is mature enough to understand fully the purpose of the image and record the assessment; if they are, obtain and document their own consent (and encourage their parents' input); if unsure, seek advice from hospital administration.",
	}
}
