"""`clinimg inspect`, `clinimg deidentify` and `clinimg check --image` as a user runs them."""
from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import pytest
import yaml

from tests import images_corpus as C
from tests.conftest import ROOT, run_cli

TEACHING_CONSENT = {"status": "granted", "given_by": "patient", "purposes": ["clinical_care", "teaching"],
                    "identifiable_use": False, "publication": False, "documented_in_record": True, "written_form": False,
                    "informed_of": ["purpose", "use", "access", "sharing", "deidentification", "storage", "withdrawal_limits"]}


def _clean_failure(result, *fragments: str) -> None:
    assert result.code == 2, (result.code, result.out, result.err)
    assert "Traceback" not in result.err + result.out
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    for fragment in fragments:
        assert fragment in result.err, (fragment, result.err)
    for canary in C.CANARIES:
        assert canary not in result.err + result.out


def _teaching_share(tmp_path: pathlib.Path, image_file: str | None = None, claimed: list[str] | None = None) -> pathlib.Path:
    """A de-identified image shown to students (base `disclosure` of the data cases)."""
    request = yaml.safe_load((ROOT / "tests" / "cases" / "bases.yaml").read_text())["disclosure"]
    request["image"].update({"deidentified": True})
    if claimed is None:
        request["image"].pop("metadata_present")
    else:
        request["image"]["metadata_present"] = claimed
    if image_file:
        request["image"]["file"] = image_file
    request.update({"purpose": "teaching", "channel": "in_person_display", "consents": [TEACHING_CONSENT],
                    "recipient": {"id": "students-1", "kind": "student", "relationship": "none", "within_facility": True}})
    path = tmp_path / "request.json"
    path.write_text(json.dumps(request))
    return path


# ---------------------------------------------------------------------------------------------
# inspect


def test_inspect_text_names_kinds_never_values(tmp_path: pathlib.Path) -> None:
    path = C.jpeg_full(tmp_path)
    result = run_cli("inspect", str(path))
    assert result.code == 1, result.err
    assert "identifying metadata: gps, timestamp, device_model, serial_number, owner_name" in result.out
    assert "EXIF GPSInfo GPSLatitude" in result.out
    for canary in C.CANARIES:
        assert canary not in result.out + result.err


def test_inspect_show_values(tmp_path: pathlib.Path) -> None:
    result = run_cli("inspect", "--show-values", str(C.jpeg_full(tmp_path)))
    assert result.code == 1
    assert f"EXIF Artist = {C.CANARY_NAME}" in result.out


def test_inspect_json_every_format(tmp_path: pathlib.Path) -> None:
    files = [C.jpeg_full(tmp_path), C.png_text(tmp_path), C.heic(tmp_path), C.mp4_tagged(tmp_path),
             C.mov_tagged(tmp_path), C.m4a_tagged(tmp_path), C.jpeg_clean(tmp_path)]
    result = run_cli("inspect", "--format", "json", *map(str, files))
    assert result.code == 1, result.err
    doc = result.json()
    by_format = {f["format"] + ("-clean" if f["file"].endswith("clean.jpg") else ""): f for f in doc["files"]}
    assert set(by_format) == {"JPEG", "PNG", "HEIF", "MP4", "MOV", "M4A", "JPEG-clean"}
    assert by_format["JPEG-clean"]["metadata_present"] == []
    for name in ("JPEG", "PNG", "HEIF", "MP4", "MOV", "M4A"):
        assert {"gps", "timestamp"} <= set(by_format[name]["metadata_present"]), name
        assert all("value" not in f for f in by_format[name]["found"])
    assert by_format["M4A"]["modality"] == "audio" and by_format["MOV"]["modality"] == "video"
    assert {"kind": "gps", "where": "EXIF GPSInfo GPSLatitude"} in by_format["JPEG"]["found"]
    assert "thumbnail" in doc["kinds"]


def test_inspect_clean_file_exit_0(tmp_path: pathlib.Path) -> None:
    result = run_cli("inspect", str(C.jpeg_clean(tmp_path)))
    assert result.code == 0 and "no identifying metadata found" in result.out


def test_inspect_reports_good_files_and_fails_on_a_bad_one(tmp_path: pathlib.Path) -> None:
    bad = tmp_path / "notes.jpg"
    bad.write_text("not a picture")
    result = run_cli("inspect", str(C.jpeg_full(tmp_path)), str(bad))
    _clean_failure(result, "notes.jpg", "not an image")
    assert "full.jpg: JPEG photo" in result.out


# ---------------------------------------------------------------------------------------------
# deidentify


def test_deidentify_cli(tmp_path: pathlib.Path) -> None:
    source = C.jpeg_full(tmp_path)
    before = source.read_bytes()
    out = tmp_path / "clean.jpg"
    result = run_cli("deidentify", str(source), "-o", str(out))
    assert result.code == 0, result.err
    assert "removed: gps, timestamp" in result.out and "lossless" in result.out
    assert source.read_bytes() == before
    assert run_cli("inspect", str(out)).code == 0
    again = run_cli("deidentify", str(source), "-o", str(out))
    _clean_failure(again, "already exists", "--force")
    forced = run_cli("deidentify", str(source), "-o", str(out), "--force", "--format", "json")
    assert forced.code == 0 and forced.json()["format"] == "JPEG"


@pytest.mark.parametrize("make, word", [(C.heic, "lossless: the coded image is copied unchanged"), (C.mov_tagged, "remuxed"),
                                        (C.png_text, "losslessly")])
def test_deidentify_says_how(tmp_path: pathlib.Path, make, word: str) -> None:
    source = make(tmp_path)
    out = tmp_path / ("clean" + source.suffix)
    result = run_cli("deidentify", str(source), "-o", str(out))
    assert result.code == 0, result.err
    assert word in result.out
    assert run_cli("inspect", str(out)).code == 0


@pytest.mark.parametrize("name", ["memo-clean.m4b", "memo-clean.mp4", "memo-clean.3gp"])
def test_deidentify_mp4_family_names(tmp_path: pathlib.Path, name: str) -> None:
    source = C.m4a_tagged(tmp_path)
    out = tmp_path / name
    result = run_cli("deidentify", str(source), "-o", str(out))
    assert result.code == 0, result.err
    assert "(M4A)" in result.out and run_cli("inspect", str(out)).code == 0


def test_mpf_jpeg_in_a_fresh_process(tmp_path: pathlib.Path) -> None:
    """A JPEG with an MPF segment opens as MPO in Pillow, whose plugin a fresh process has not loaded."""
    source = C.jpeg_mpo(tmp_path)
    result = run_cli("inspect", str(source))
    assert result.code == 1, result.err
    assert "MPF" in result.out
    out = tmp_path / "preview-clean.jpg"
    assert run_cli("deidentify", str(source), "-o", str(out)).code == 0 and run_cli("inspect", str(out)).code == 0


def test_deidentify_other_family_name_refused(tmp_path: pathlib.Path) -> None:
    result = run_cli("deidentify", str(C.m4a_tagged(tmp_path)), "-o", str(tmp_path / "memo.png"))
    _clean_failure(result, "ends in .png but the input is M4A", "use .m4a or another name of its family")


def test_inspect_free_text_xmp_is_never_none(tmp_path: pathlib.Path) -> None:
    packet = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
              '<rdf:Description rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/">'
              '<Iptc4xmpExt:ArtworkOrObject><rdf:Bag><rdf:li rdf:parseType="Resource">'
              f'<Iptc4xmpExt:AOCreator><rdf:Seq><rdf:li>{C.CANARY_NAME}</rdf:li></rdf:Seq></Iptc4xmpExt:AOCreator>'
              '</rdf:li></rdf:Bag></Iptc4xmpExt:ArtworkOrObject></rdf:Description></rdf:RDF></x:xmpmeta>')
    path = tmp_path / "artwork.jpg"
    C.picture().save(path, "JPEG", xmp=packet.encode())  # written by Pillow, nothing else in the file
    result = run_cli("inspect", str(path))
    assert result.code == 1, (result.out, result.err)
    assert "no identifying metadata found" not in result.out
    assert "owner_name" in result.out and "XMP Iptc4xmpExt:AOCreator" in result.out
    assert C.CANARY_NAME not in result.out


# ---------------------------------------------------------------------------------------------
# check --image and image.file


def test_check_image_metadata_from_the_file(tmp_path: pathlib.Path) -> None:
    photo = C.jpeg_full(tmp_path)
    request = _teaching_share(tmp_path, claimed=[])
    result = run_cli("check", str(request), "--image", str(photo), "--format", "json")
    assert result.code == 1, result.err
    decision = result.json()
    rules = {f["rule"]: f for f in decision["findings"]}
    assert set(rules) == {"deidentification.metadata", "deidentification.metadata_claim"}
    assert rules["deidentification.metadata_claim"]["effect"] == "warn"
    assert "gps" in rules["deidentification.metadata"]["message"]
    # de-identify it, and the same request is permitted
    clean = tmp_path / "clean.jpg"
    assert run_cli("deidentify", str(photo), "-o", str(clean)).code == 0
    after = run_cli("check", str(request), "--image", str(clean), "--format", "json")
    assert after.code == 0, after.out
    assert after.json()["findings"] == []


def test_check_image_file_in_the_request(tmp_path: pathlib.Path) -> None:
    C.mov_tagged(tmp_path)
    request = _teaching_share(tmp_path, image_file="clip.mov", claimed=["gps", "timestamp", "device_model", "software"])
    result = run_cli("check", str(request), "--format", "json")
    assert result.code == 1, result.err
    assert {f["rule"] for f in result.json()["findings"]} == {"deidentification.metadata"}, "all declared: no claim warning"
    missing = _teaching_share(tmp_path, image_file="nope.jpg", claimed=[])
    result = run_cli("check", str(missing))
    _clean_failure(result, "$.image.file: cannot read")
    assert "nope.jpg" not in result.err  # named by its role: a path may carry a patient's name
    # which request, and the line of its image.file, like every other bad-input error
    line = next(n for n, text in enumerate(missing.read_text().splitlines(), start=1) if '"file"' in text)
    assert result.err.startswith(f"clinimg: {missing}:{line}: $.image.file: cannot read"), result.err


# ---------------------------------------------------------------------------------------------
# bad input: one line, exit 2, no traceback, bounded memory


def test_bad_inputs_one_line_each(tmp_path: pathlib.Path) -> None:
    text = tmp_path / "scan.jpg"
    text.write_text("%PDF-1.4 not really")
    _clean_failure(run_cli("inspect", str(text)), "scan.jpg", "PDF document is not supported")
    cut = C.truncated(C.jpeg_full(tmp_path), 0.6)
    _clean_failure(run_cli("inspect", str(cut)), "truncated JPEG")
    _clean_failure(run_cli("deidentify", str(cut), "-o", str(tmp_path / "o.jpg")), "truncated JPEG")
    assert not (tmp_path / "o.jpg").exists()
    _clean_failure(run_cli("inspect", str(tmp_path / "missing.heic")), "cannot read")
    _clean_failure(run_cli("inspect", str(tmp_path)), "is a directory")
    _clean_failure(run_cli("inspect", str(C.truncated(C.mp4_tagged(tmp_path), 0.5))), "MP4")


def _peak_rss_mb(*args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run the CLI in a child and measure that child's own peak RSS (via a wrapper process)."""
    code = (
        "import resource, subprocess, sys\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "sys.stdout.write(p.stdout); sys.stderr.write(p.stderr)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
        "sys.exit(p.returncode)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, sys.executable, "-m", "checker.cli", *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    *err, rss = proc.stderr.strip().splitlines()
    proc.stderr = "\n".join(err) + "\n"
    return proc, int(rss) / 1024


@pytest.mark.parametrize("make", [C.png_bomb, C.jpeg_bomb])
def test_decompression_bomb_refused_in_bounded_memory(tmp_path: pathlib.Path, make) -> None:
    bomb = make(tmp_path)
    assert bomb.stat().st_size < 200_000
    for args in (["inspect", str(bomb)], ["deidentify", str(bomb), "-o", str(tmp_path / ("out" + bomb.suffix))]):
        proc, rss_mb = _peak_rss_mb(*args)
        assert proc.returncode == 2, proc.stderr
        assert "megapixel limit" in proc.stderr and "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
        assert rss_mb < 150, f"peak RSS {rss_mb:.0f} MB: the pixels were allocated"
    assert not (tmp_path / ("out" + bomb.suffix)).exists()


def test_deidentify_to_dash_is_refused_not_a_file_named_dash(tmp_path: pathlib.Path) -> None:
    source = C.jpeg_full(tmp_path)
    result = run_cli("deidentify", str(source), "-o", "-", cwd=tmp_path)
    _clean_failure(result, "'-' (standard output) is not supported", "give a file name")
    assert not (tmp_path / "-").exists() and result.out == ""
