# METADATA
# title: Produce the record only to someone entitled to it
# description: |
#   An access request answered with the record (and its clinical images) is a disclosure: the
#   patient is entitled to their record, and so is the representative of a patient who cannot
#   decide alone (a child not assessed as mature, a patient lacking capacity); anyone else —
#   police without an order, family, an employer or insurer (`other`), the media — needs the
#   patient's valid consent naming them (for patient access or legal proceedings), or a legal
#   basis (a court order, subpoena, or another legal requirement). A representative's access is
#   the patient's access on their behalf: a refusal or withdrawal naming `patient_access` binds it.
# custom:
#   id: access.requester
#   effect: deny
#   guide_section: Use and disclosure of clinical images
#   passage: >-
#     Never send a clinical image to anyone else unless you have the patient's consent to do so,
#     or if the patient would reasonably expect you to send the image for the purpose of their
#     clinical management, or if you are otherwise permitted by law to do so. Keep in mind that
#     patients are entitled to request access to, and obtain a copy of, their health record,
#     including any clinical images. These images may also need to be produced to a court for
#     legal proceedings.
#   remedy: >-
#     Produce the record only to the patient (or the representative of a patient who cannot
#     decide alone), with the patient's documented consent naming the requester, or on a court
#     order or other legal requirement after seeking advice from hospital management.
package clinimg.rules.access.requester

import data.clinimg.lib

requester_kind := object.get(input, ["requester", "kind"], null)

# The representative of a patient who cannot decide alone is entitled unless a refusal or
# withdrawal on file names the patient's access (lib.requester_entitled): denied, that is why.
message(kind) := concat("", [
	"The record and its clinical images were produced to the patient's representative although a refusal or withdrawal on file covers access to the record (patient_access)",
	", and no legal basis requires it.",
]) if {
	kind == "patient_representative"
	lib.patient_represented
} else := concat("", [
	"The record and its clinical images were produced to a requester (", kind,
	") who is not the patient or entitled to act for them, without the patient's consent naming them and without a legal basis.",
])

deny contains finding if {
	input.type == "access_request"
	input.produced == true
	not lib.has_legal_basis
	not lib.requester_entitled
	finding := {
		"rule": "access.requester",
		"message": message(requester_kind),
		"guide": "Use and disclosure of clinical images",
		"remedy": "Produce the record only to the patient (or the representative of a patient who cannot decide alone), with the patient's documented consent naming the requester, or on a court order or other legal requirement after seeking advice from hospital management.",
	}
}
