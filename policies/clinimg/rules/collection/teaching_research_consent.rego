# METADATA
# title: Teaching, training and research need documented consent for that purpose
# description: |
#   A capture for teaching, training or research needs a granted consent in force that names
#   that purpose and is documented in the health record. A verbal, unrecorded "yes" is not
#   enough (Case Study Three).
# custom:
#   id: collection.teaching_research_consent
#   effect: deny
#   guide_section: Decision making process (flowchart)
#   passage: >-
#     Am I taking the image for the purpose of teaching, training, or research? Obtain patient’s
#     consent, and follow any relevant hospital policy.
#   remedy: >-
#     Obtain the patient's consent for teaching, training or research specifically, document it in
#     the health record, and follow any relevant hospital policy.
package clinimg.rules.collection.teaching_research_consent

import data.clinimg.lib

documented_consent_for(purpose) if {
	some c in lib.consents_in_force_for(purpose)
	c.documented_in_record == true
}

deny contains finding if {
	input.type == "capture"
	some purpose in lib.capture_purposes
	purpose in lib.education_purposes
	not documented_consent_for(purpose)
	finding := {
		"rule": "collection.teaching_research_consent",
		"message": concat("", ["Taking an image for ", purpose, " needs the patient's consent to that purpose, documented in the health record, and there is none."]),
		"guide": "Decision making process (flowchart)",
		"remedy": "Obtain the patient's consent for teaching, training or research specifically, document it in the health record, and follow any relevant hospital policy.",
	}
}
