# METADATA
# title: Wait for a patient to regain capacity when nothing is urgent
# description: |
#   The patient's incapacity is temporary (capacity impaired_temporary), the capture is not
#   urgent care (urgency only ever excuses the clinical_care purpose), and the patient has not
#   themselves given a valid consent (for instance before an anaesthetic) covering every purpose
#   of the capture: better to wait until the patient can decide for themselves. A consent the patient gave while they had capacity stays valid. The
#   same for a use or disclosure resting on a decision-maker's consent (teaching, research, people
#   a consent names), never for clinical care by the people caring for the patient. Not for a
#   young child, whose parents consent for them anyway.
# custom:
#   id: consent.wait_for_capacity
#   effect: escalate
#   guide_section: Adults with impaired capacity
#   passage: >-
#     If a patient’s lack of capacity is temporary or fluctuating, it may be better to wait until
#     they regain capacity, and can make their own informed decision.
#   remedy: >-
#     Wait until the patient regains capacity and can make their own informed decision, unless
#     the image is needed urgently.
package clinimg.rules.consent.wait_for_capacity

import data.clinimg.lib

# Only a patient who would decide for themselves once capacity returns: an adult, or a child
# assessed as mature. A young child's parents consent for them in any case (Children).
decides_for_themselves if not lib.is_child

decides_for_themselves if lib.is_mature_minor

remedy := "Wait until the patient regains capacity and can make their own informed decision, unless the image is needed urgently."

# What may not wait: only the patient's care, when it is urgent. A capture's other purposes
# (teaching, research, publication, …) are never urgent, so an urgent capture for care and
# teaching still waits for the patient's own word on the teaching (qa10: it was let through on
# the decision-maker's consent because the capture as a whole was urgent).
cannot_wait("clinical_care") if input.circumstances.urgent == true

escalate contains finding if {
	input.type == "capture"
	lib.capacity == "impaired_temporary"
	decides_for_themselves
	some purpose in lib.capture_purposes
	not cannot_wait(purpose)
	not lib.own_consent_for(purpose)
	finding := {
		"rule": "consent.wait_for_capacity",
		"message": capture_message,
		"guide": "Adults with impaired capacity",
		"remedy": remedy,
	}
}

capture_message := "The patient's lack of capacity is temporary and only their care is urgent, not the image's other purposes: it may be better to wait until they can decide on those for themselves." if {
	input.circumstances.urgent == true
} else := "The patient's lack of capacity is temporary and the image is not urgent: it may be better to wait until they can decide for themselves."

# A use or disclosure that rests on a decision-maker's consent (teaching, research, showing it to
# people a consent names) while the patient's incapacity is temporary: nothing about it is
# urgent, so the patient's own decision is better. Clinical care by the people caring for the
# patient, and the patient's own access, need no consent and are not held up.
escalate contains finding if {
	input.type == "disclosure"
	lib.capacity == "impaired_temporary"
	decides_for_themselves
	lib.basis in {"primary_purpose", "consent"}
	not lib.secondary_purpose
	not lib.own_consent_for(input.purpose)
	finding := {
		"rule": "consent.wait_for_capacity",
		"message": concat("", ["The patient's lack of capacity is temporary and this use for ", input.purpose, " rests on someone else's consent: it may be better to wait until they can decide for themselves."]),
		"guide": "Adults with impaired capacity",
		"remedy": remedy,
	}
}
