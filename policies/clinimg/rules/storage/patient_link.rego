# METADATA
# title: Link an image in the record to the patient's details
# description: An image saved to the health record must be linked to the patient it shows.
# custom:
#   id: storage.patient_link
#   effect: deny
#   guide_section: Storage in the health record
#   passage: >-
#     If the purpose for obtaining the clinical image is to provide clinical care, the patient’s
#     details should be linked to the image to ensure proper identification.
#   remedy: >-
#     Link the image to the patient's details (name, record number) in the health record.
package clinimg.rules.storage.patient_link

deny contains finding if {
	input.type == "record_transfer"
	object.get(input, "linked_to_patient", false) != true
	finding := {
		"rule": "storage.patient_link",
		"message": "The image saved to the health record is not linked to the patient's details.",
		"guide": "Storage in the health record",
		"remedy": "Link the image to the patient's details (name, record number) in the health record.",
	}
}
