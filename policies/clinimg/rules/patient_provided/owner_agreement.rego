# METADATA
# title: Copy a patient's own image only with their agreement
# description: |
#   A photo a patient or their representative took belongs to them: ask for a copy, explaining
#   its use and storage, and copy it only if they agree (Case Study Six).
# custom:
#   id: patient_provided.owner_agreement
#   effect: deny
#   guide_section: Clinical images taken by, or provided by, patients
#   passage: >-
#     In this case, the photo is the property of the father. You can ask for a copy of the photo,
#     explaining how it will be used, and where it will be stored. In most cases, patients or their
#     representatives are likely to agree with such a request, but they are not obliged to provide
#     you with a copy of their photo.
#   remedy: >-
#     Ask the owner for a copy, explain how it will be used and where it will be stored, and copy
#     it only if they agree; delete any copy taken without agreement.
package clinimg.rules.patient_provided.owner_agreement

deny contains finding if {
	input.type == "patient_provided"
	object.get(input, "owner_agreed_to_copy", false) != true
	finding := {
		"rule": "patient_provided.owner_agreement",
		"message": "A copy of the patient's (or their representative's) own image was taken without their agreement; the photo is theirs.",
		"guide": "Clinical images taken by, or provided by, patients",
		"remedy": "Ask the owner for a copy, explain how it will be used and where it will be stored, and copy it only if they agree; delete any copy taken without agreement.",
	}
}
