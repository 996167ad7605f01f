"""A post's future address before it exists: the site's permalink structure, learnt from WordPress's
answers, applied to another post's slug and date. Pure (no I/O).

WordPress shows a draft's `permalink_template`: the site's structure with the post's date and id
filled in and `%postname%` left where the slug goes (`https://site/blog/2024/03/05/%postname%/`). Put
the date tags back and we hold the structure itself, so the address of any post whose slug and date
we know can be predicted (`/%postname%/`, `/%year%/%monthnum%/%postname%/`, a fixed prefix...).
Structures that need what only the created post has (`%post_id%`, or plain `?p=123`) cannot be
predicted; neither can `%category%` reliably, which is why `StructureWatch` trusts a structure only
while every created post agrees with it. A wrong prediction is never final: the end-of-run link pass
compares every written link with its target's real address.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from migrator.core.links import encode_slug

__all__ = ["StructureWatch", "predict_address", "structure_of"]

_POSTNAME = "%postname%"
# Tags WordPress fills from the post's (site-local) date, in the order they appear in every
# standard structure; a segment equal to the value is taken for the tag, first match first.
_DATE_TAGS = (("%year%", "%Y"), ("%monthnum%", "%m"), ("%day%", "%d"),
              ("%hour%", "%H"), ("%minute%", "%M"), ("%second%", "%S"))


def structure_of(template: str | None, *, post_id: int, local_date: str) -> str | None:
    """The structure a draft's permalink template was filled in from (an absolute URL with tags), or
    None when it cannot serve for other posts (no `%postname%`, or the post's id in it)."""
    if not template or template.count(_POSTNAME) != 1:
        return None
    parts = urlsplit(template)
    if parts.query or parts.fragment:
        return None
    try:
        when = datetime.fromisoformat(local_date)
    except ValueError:
        return None
    segments = parts.path.split("/")
    pending = list(_DATE_TAGS)
    for i, segment in enumerate(segments):
        if segment == str(post_id):
            return None
        for n, (tag, fmt) in enumerate(pending):
            if segment == when.strftime(fmt):
                segments[i] = tag
                del pending[: n + 1]
                break
    return f"{parts.scheme}://{parts.netloc}" + "/".join(segments)


def predict_address(structure: str, *, slug: str, local_date: str) -> str | None:
    """The address a post with this slug and (site-local) date gets under `structure`."""
    try:
        when = datetime.fromisoformat(local_date)
    except ValueError:
        return None
    address = structure.replace(_POSTNAME, encode_slug(slug))
    for tag, fmt in _DATE_TAGS:
        address = address.replace(tag, when.strftime(fmt))
    return address


class StructureWatch:
    """The site's permalink structure as the run has seen it. Trusted while every created post agrees:
    one post whose template gives another structure (a `%category%` structure, a site whose settings
    changed mid-run) and predictions stop for the rest of the run."""

    def __init__(self) -> None:
        self.structure: str | None = None
        self.disagreed = False

    def learn(self, template: str | None, *, post_id: int, local_date: str) -> None:
        if self.disagreed:
            return
        seen = structure_of(template, post_id=post_id, local_date=local_date)
        if seen is None:
            if template is not None:  # plain or id-based permalinks: nothing to predict
                self.disagreed = True
                self.structure = None
            return
        if self.structure is None:
            self.structure = seen
        elif seen != self.structure:
            self.disagreed = True
            self.structure = None

    def predict(self, *, slug: str, local_date: str) -> str | None:
        if self.structure is None:
            return None
        return predict_address(self.structure, slug=slug, local_date=local_date)
