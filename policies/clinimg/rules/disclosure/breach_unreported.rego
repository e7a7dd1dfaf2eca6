# METADATA
# title: Report an image sent to the wrong person as a privacy breach
# description: |
#   (audit) An image sent to someone other than the intended recipient is a privacy breach: it
#   must be reported (and advice sought) within the hospital's deadline. Fires on the audit's
#   image_review input, once per wrong-recipient disclosure whose hours until a breach_report
#   naming it (or until as_of, if none has been made) exceed the deadline: late or still
#   unreported alike. Blames that disclosure.
# custom:
#   id: disclosure.breach_unreported
#   effect: deny
#   guide_section: Key points to remember
#   passage: >-
#     If the clinical image is sent to the wrong person, patient privacy has been breached. In these
#     circumstances, you should seek advice from hospital management or your medical defence
#     organisation.
#   remedy: >-
#     Report the privacy breach to hospital management (privacy officer) now if it has not been
#     reported, seek advice from them or your medical defence organisation, and report future
#     breaches within the deadline.
package clinimg.rules.disclosure.breach_unreported

import data.clinimg.lib

deny contains finding if {
	input.type == "image_review"
	deadline := lib.deadline_hours("breach_report_hours")
	some disclosure in object.get(lib.lifecycle, "wrong_recipient_disclosures", [])
	hours := disclosure.hours_to_breach_report
	is_number(hours)
	hours > deadline
	event_id := object.get(disclosure, "event_id", input.event_id)
	finding := {
		"rule": "disclosure.breach_unreported",
		"message": sprintf("The image was sent to the wrong person (event %s) and no privacy breach report was made within %v hours.", [event_id, deadline]),
		"guide": "Key points to remember",
		"remedy": "Report the privacy breach to hospital management (privacy officer) now if it has not been reported, seek advice from them or your medical defence organisation, and report future breaches within the deadline.",
		"event_id": event_id,
	}
}
