# METADATA
# title: An image sent to the wrong person is a privacy breach
# description: |
#   The disclosure names an intended recipient (an object with an id, or the id itself) and the
#   image went to someone else.
# custom:
#   id: disclosure.wrong_recipient
#   effect: deny
#   guide_section: Key points to remember
#   passage: >-
#     If the clinical image is sent to the wrong person, patient privacy has been breached. In
#     these circumstances, you should seek advice from hospital management or your medical
#     defence organisation.
#   remedy: >-
#     Seek advice from hospital management or your medical defence organisation, and report the
#     privacy breach.
package clinimg.rules.disclosure.wrong_recipient

intended := object.get(input, "intended_recipient", null)

intended_id := intended if is_string(intended)

intended_id := object.get(intended, "id", null) if is_object(intended)

deny contains finding if {
	input.type == "disclosure"
	is_string(intended_id)
	intended_id != object.get(input, ["recipient", "id"], null)
	finding := {
		"rule": "disclosure.wrong_recipient",
		"message": "The image went to someone other than the intended recipient: patient privacy has been breached.",
		"guide": "Key points to remember",
		"remedy": "Seek advice from hospital management or your medical defence organisation, and report the privacy breach.",
	}
}
