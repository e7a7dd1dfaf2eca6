# METADATA
# title: Emergency capture without consent is flagged for review
# description: |
#   A capture for clinical care of a patient who cannot consent alone (an adult lacking capacity,
#   or a child not assessed as mature whose parents or guardians cannot be reached), with nobody
#   available to consent and urgent treatment, may go ahead under emergency law without consent.
#   It is escalated for review; it never excuses any other purpose.
# custom:
#   id: collection.emergency
#   effect: escalate
#   guide_section: Adults with impaired capacity
#   passage: >-
#     If no-one is available to provide consent, and treatment is urgent, the images can be taken
#     in accordance with relevant laws about emergency treatment.
#   remedy: >-
#     Take only what clinical care needs, follow the emergency treatment law, document why consent
#     could not be obtained, and seek consent from the patient or their substitute decision-maker
#     as soon as possible.
package clinimg.rules.collection.emergency

import data.clinimg.lib

escalate contains finding if {
	lib.emergency_capture
	finding := {
		"rule": "collection.emergency",
		"message": "This image is being taken for clinical care without consent under emergency treatment law: it will be reviewed.",
		"guide": "Adults with impaired capacity",
		"remedy": "Take only what clinical care needs, follow the emergency treatment law, document why consent could not be obtained, and seek consent from the patient or their substitute decision-maker as soon as possible.",
	}
}
