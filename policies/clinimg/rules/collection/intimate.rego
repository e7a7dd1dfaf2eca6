# METADATA
# title: Seek advice before taking an intimate image on a personal device
# description: |
#   An image of an intimate area of the body (genitals, breasts, an intimate examination) taken on
#   a device the hospital does not own — a personal phone, or a device the request does not name —
#   is one of the circumstances where the guide asks for advice first: the image risks being
#   considered pornographic out of context, and a personal phone risks its dissemination.
# custom:
#   id: collection.intimate
#   effect: escalate
#   guide_section: Intimate areas of the body
#   passage: >-
#     Remember that particular care should be taken where images may be considered pornographic or
#     obscene, if taken out of context. … In these circumstances, and at any time you feel
#     uncertain about how to proceed with the use of clinical images, always contact your hospital
#     administration or medical defence organisation for advice related to your specific
#     situation.
#   remedy: >-
#     Use the hospital's equipment (or a clinical photographer) for intimate images, include only
#     what the clinical purpose needs, and seek advice from hospital administration or your
#     medical defence organisation first.
package clinimg.rules.collection.intimate

import data.clinimg.lib

# (A missing device, or one whose owner is not said, is not the hospital's: fail closed.)
hospital_device if lib.actor_device.owner == "hospital"

escalate contains finding if {
	input.type == "capture"
	input.image.intimate == true
	not hospital_device
	finding := {
		"rule": "collection.intimate",
		"message": "This is an intimate image and it is being taken on a device the hospital does not own: seek advice first.",
		"guide": "Intimate areas of the body",
		"remedy": "Use the hospital's equipment (or a clinical photographer) for intimate images, include only what the clinical purpose needs, and seek advice from hospital administration or your medical defence organisation first.",
	}
}
