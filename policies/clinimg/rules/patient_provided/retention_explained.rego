# METADATA
# title: Tell the owner a copied image is kept with the record
# description: |
#   When a patient's own image is copied into the record, the owner should be told it will be
#   kept with the record and cannot be deleted until the retention period expires.
# custom:
#   id: patient_provided.retention_explained
#   effect: warn
#   guide_section: Clinical images taken by, or provided by, patients
#   passage: >-
#     You should explain that, once the photo forms part of the health record, it has to be
#     retained along with the rest of the record. It cannot be deleted until the retention period
#     expires.
#   remedy: >-
#     Tell the owner the copy will be kept with the health record and cannot be deleted until the
#     retention period expires, and note that you told them.
package clinimg.rules.patient_provided.retention_explained

warn contains finding if {
	input.type == "patient_provided"
	object.get(input, "retention_explained", false) != true
	finding := {
		"rule": "patient_provided.retention_explained",
		"message": "The owner of the image was not told that the copy will be kept with the health record until the retention period expires.",
		"guide": "Clinical images taken by, or provided by, patients",
		"remedy": "Tell the owner the copy will be kept with the health record and cannot be deleted until the retention period expires, and note that you told them.",
	}
}
