# METADATA
# title: Signed consent form where the hospital requires one
# description: |
#   The hospital overlay sets written_consent_required: a consent relied on must have a signed
#   consent form.
# custom:
#   id: consent.written_form
#   effect: deny
#   guide_section: Documenting the consent process
#   passage: >-
#     Some hospitals and practices also require that the patient sign a consent form, which should
#     be placed in the medical records with the clinical image.
#   remedy: >-
#     Have the patient (or their decision-maker) sign the hospital's consent form and place it in
#     the medical record with the image.
package clinimg.rules.consent.written_form

import data.clinimg.lib

unsigned := {c |
	some c in lib.relied_consents
	object.get(c, "written_form", false) != true
}

deny contains finding if {
	lib.config_value("written_consent_required") == true
	count(unsigned) > 0
	finding := {
		"rule": "consent.written_form",
		"message": concat("", ["This hospital requires a signed consent form, and ", lib.consents_label(unsigned), " has none."]),
		"guide": "Documenting the consent process",
		"remedy": "Have the patient (or their decision-maker) sign the hospital's consent form and place it in the medical record with the image.",
	}
}
