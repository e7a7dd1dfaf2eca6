# METADATA
# title: Wait for a patient to regain capacity when nothing is urgent
# description: |
#   The patient's incapacity is temporary (capacity impaired_temporary), the capture is not
#   urgent, and the patient has not themselves given a valid consent (for instance before an
#   anaesthetic) covering every purpose of the capture: better to wait until the patient can
#   decide for themselves. A consent the patient gave while they had capacity stays valid.
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

escalate contains finding if {
	input.type == "capture"
	lib.capacity == "impaired_temporary"
	object.get(input, ["circumstances", "urgent"], false) != true
	some purpose in lib.capture_purposes
	not lib.own_consent_for(purpose)
	finding := {
		"rule": "consent.wait_for_capacity",
		"message": "The patient's lack of capacity is temporary and the image is not urgent: it may be better to wait until they can decide for themselves.",
		"guide": "Adults with impaired capacity",
		"remedy": "Wait until the patient regains capacity and can make their own informed decision, unless the image is needed urgently.",
	}
}
