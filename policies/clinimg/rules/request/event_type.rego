# METADATA
# title: Decide only a request that says what happened
# description: |
#   Fail closed: a decision input with no event type, or one the policies do not know (for
#   example an OPA client that forgot the input), is denied instead of permitted by default.
#   The CLI and the server reject such input before it reaches the policies; this guards any
#   other caller of data.clinimg.decision.
# custom:
#   id: request.event_type
#   effect: deny
#   guide_section: Ask for advice
#   passage: >-
#     In these circumstances, and at any time you feel uncertain about how to proceed with the
#     use of clinical images, always contact your hospital administration or medical defence
#     organisation for advice related to your specific situation.
#   remedy: >-
#     Send one event of the clinimg vocabulary (capture, disclosure, …) with its type; ask your
#     hospital administration if unsure.
package clinimg.rules.request.event_type

known_types := {
	"capture", "consent", "disclosure", "record_transfer", "device_deletion", "receipt",
	"device_posture", "record_deletion", "access_request", "breach_report", "patient_provided",
	"image_review",
}

known_type if input.type in known_types

deny contains finding if {
	not known_type
	finding := {
		"rule": "request.event_type",
		"message": "The request does not say what happened (no known event type), so nothing can be permitted.",
		"guide": "Ask for advice",
		"remedy": "Send one event of the clinimg vocabulary (capture, disclosure, …) with its type; ask your hospital administration if unsure.",
	}
}
