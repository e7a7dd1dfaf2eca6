# METADATA
# title: A publication needs the patient's consent to publication, whatever the use is called
# description: |
#   The image goes out through a publication (`channel: publication`) or to a publisher
#   (`recipient.kind: publisher`) while the disclosure names another purpose (teaching,
#   research, …), and no valid consent in force covers publication for this image (its purposes
#   name it, or `publication: true`) — or the patient refused or withdrew it. Publishing is its
#   own use: consent to teaching or research is not consent to publication ("Additional consent
#   may be required"), and a published image "may not be possible to have … removed". Before,
#   a teaching label let an image be published over the patient's refusal of publication.
#   (A disclosure for the purpose `publication` is judged by the consent rules themselves; social
#   media and the public are disclosure.non_professional's.)
# custom:
#   id: disclosure.publication_consent
#   effect: deny
#   guide_section: Scope and nature of consent
#   passage: >-
#     The scope and nature of the patient’s original consent may need to be considered when
#     later deciding to what extent the clinical image can be used and disclosed. Additional
#     consent may be required to use the images for these purposes. … For example, where a
#     patient has consented to their image being used in a publication, it may not be possible
#     to have that image removed once it has been published.
#   remedy: >-
#     Do not publish the image, or send it to a publisher, until the patient (or whoever may
#     consent for them) has consented to its publication, knowing it cannot be recalled once
#     published; document that consent.
package clinimg.rules.disclosure.publication_consent

import data.clinimg.lib

publishing if input.channel == "publication"

publishing if input.recipient.kind == "publisher"

why := "the patient refused or withdrew consent to publication" if {
	lib.negated_for("publication")
} else := "no valid consent to publication covers this image"

deny contains finding if {
	input.type == "disclosure"
	input.purpose != "publication"
	not lib.non_professional
	publishing
	not lib.consent_in_force_for("publication")
	finding := {
		"rule": "disclosure.publication_consent",
		"message": concat("", ["The image is to be published (or sent to a publisher) for ", input.purpose, ", but ", why, ": consent to ", input.purpose, " is not consent to publication."]),
		"guide": "Scope and nature of consent",
		"remedy": "Do not publish the image, or send it to a publisher, until the patient (or whoever may consent for them) has consented to its publication, knowing it cannot be recalled once published; document that consent.",
	}
}
