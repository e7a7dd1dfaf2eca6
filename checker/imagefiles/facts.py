"""Into decisions: a request's image metadata comes from the file itself.

`image.metadata_present` becomes what the file really holds; what the request said is kept as
`image.metadata_claimed`, and the Rego rule `deidentification.metadata_claim` reports a file that
holds more than was claimed. A request that said nothing about metadata claims nothing.
"""
from __future__ import annotations

import copy
import os
import pathlib
import urllib.parse
from typing import Any

from ..errors import CheckerError
from . import inspect


def image_path(document: dict[str, Any], image_file: str | None, base_dir: pathlib.Path | None) -> pathlib.Path | None:
    """The file to inspect: `--image` (relative to the working directory), else the request's
    `image.file` (relative to the request's directory). Local files only."""
    image = document.get("image")
    ref = image.get("file") if isinstance(image, dict) else None
    if image_file:
        given = pathlib.Path(image_file)
        if isinstance(ref, str) and ref:
            # Two files named for one image: --image was read and image.file dropped without a word.
            named = image_path(document, None, base_dir)
            if named is not None and not _same_file(given, named):
                raise CheckerError("--image and the request's $.image.file name different files; give one of them (the same file in both is fine)")
        return given
    if not isinstance(ref, str) or not ref:
        return None
    if "://" in ref or ref.startswith("file:"):
        parsed = urllib.parse.urlparse(ref)
        if parsed.scheme != "file" or parsed.netloc not in ("", "localhost"):
            raise CheckerError("$.image.file: only local files can be read (a path or a file: URI)")
        path = pathlib.Path(urllib.parse.unquote(parsed.path))
    else:
        path = pathlib.Path(ref)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    return path


def _same_file(a: pathlib.Path, b: pathlib.Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # (one missing: the same when they name the same path)
        return os.path.abspath(a) == os.path.abspath(b)


def attach(document: dict[str, Any], *, image_file: str | None = None, base_dir: pathlib.Path | None = None) -> dict[str, Any]:
    """A copy of the request with `image.metadata_present` read from the image file (if any)."""
    path = image_path(document, image_file, base_dir)
    if path is None:
        return document
    if not isinstance(document.get("image"), dict):
        raise CheckerError("--image: the request has no image object to fill in (add \"image\": {\"id\": …})")
    try:
        found = inspect(path)
    except CheckerError as exc:
        # Named by its role, never by the path: a path may carry a patient's name.
        role = "--image" if image_file else "$.image.file"
        raise CheckerError(str(exc).replace(str(path), role)) from None
    out = copy.deepcopy(document)
    image = out["image"]
    if "metadata_present" in image:
        image["metadata_claimed"] = list(image["metadata_present"])
    image["metadata_present"] = found.kinds
    return out
