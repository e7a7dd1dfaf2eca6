# METADATA
# title: Tell the patient when an image is shared for their care without specific consent
# description: |
#   Sharing for a closely related secondary purpose (clinical care by a consulted colleague)
#   needs no specific consent, but the patient should be told it may happen — unless they were
#   told already (a consent for this image whose `informed_of` includes `sharing`). Never for
#   the patient's own copy (the patient or their representative receiving it).
#   An obligation, not a finding: decide.rego reports obligations only when the outcome is not
#   deny (nothing is left to do for an action that must not go ahead).
# custom:
#   id: disclosure.notify_patient
#   effect: obligation
#   guide_section: Decision making process (flowchart)
#   passage: >-
#     You can send the image without specific consent (subject to privacy legislation), but when
#     you take the image you should notify the patient that this may be done.
#   remedy: >-
#     Tell the patient that the image may be shared for their care, and note it in the health
#     record.
package clinimg.rules.disclosure.notify_patient

import data.clinimg.lib

obligation contains {
	"id": "disclosure.notify_patient",
	"text": "The image is shared for the patient's care without specific consent: tell the patient it may be shared this way, and note it in the health record.",
} if {
	input.type == "disclosure"
	lib.basis == "secondary_purpose"
	not lib.patient_side_recipient
	not lib.told_of_sharing
}
