# METADATA
# title: Produce every clinical image when the record is requested
# description: |
#   Clinical images are part of the patient's record: a patient access request or a subpoena or
#   court order for the record must be answered with all of the patient's images (Case Study
#   Four). `images_produced` is a list of image ids or a count, or (SPEC §3 gives no type) a
#   boolean: false, no image was produced; true, the images were. When it is missing, nothing is
#   shown to have been produced.
# custom:
#   id: access.production
#   effect: deny
#   guide_section: Case Study Four
#   passage: >-
#     Keep in mind that patients are entitled to request access to, and obtain a copy of, their
#     health record, including any clinical images. These images may also need to be produced to
#     a court for legal proceedings.
#   remedy: >-
#     Find every clinical image held for the patient (record, devices, messaging apps) and produce
#     them with the rest of the record.
package clinimg.rules.access.production

import data.clinimg.lib

known_ids := {id | some id in object.get(lib.lifecycle, "patient_image_ids", [])}

# A list of image ids or a count; missing (or null) or false, nothing is shown to have been
# produced; true, the images were (no count or list to check: no finding).
produced := [] if {
	input.images_produced == false
} else := p if {
	p := input.images_produced
	p != null
} else := []

missing := {id | some id in known_ids; not id in {p | some p in produced}} if is_array(produced)

remedy := "Find every clinical image held for the patient (record, devices, messaging apps) and produce them with the rest of the record."

deny contains finding if {
	input.type == "access_request"
	input.produced == true
	count(missing) > 0
	finding := {
		"rule": "access.production",
		# concat, not sprintf: regopy's sprintf mangles a string built by concat.
		"message": concat("", ["The record was produced without these clinical images held for the patient: ", concat(", ", sort(missing)), "."]),
		"guide": "Case Study Four",
		"remedy": remedy,
	}
}

deny contains finding if {
	input.type == "access_request"
	input.produced == true
	is_number(produced)
	produced < count(known_ids)
	finding := {
		"rule": "access.production",
		"message": sprintf("The record was produced with %v of the %v clinical images held for the patient.", [produced, count(known_ids)]),
		"guide": "Case Study Four",
		"remedy": remedy,
	}
}
