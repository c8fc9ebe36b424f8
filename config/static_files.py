"""Static files in production: whitenoise's compressed, hashed files, each file's URL looked up once a process.

The manifest is read when the process starts and does not change while it runs (a deploy starts new processes),
so the URL of a name is the same for the process's whole life. Django looks it up on every `{% static %}`: a
manifest lookup, a `urlsplit` and a `urljoin`, ~40 µs, and the admin's changelists call it for every yes/no cell
(the icon): 100 a page of bookings, with the base template's, ~4 ms of a 50 ms page (issue #20, round 3).
"""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name, force=False):
        if force:
            return super().url(name, force)
        found = self._urls.get(name)
        if found is None:
            found = self._urls[name] = super().url(name)  # a missing name raises, as before, and is not kept
        return found
