"""Production's static files storage (config/static_files.py): each name's URL looked up once a process."""

import json
from unittest import mock

import pytest
from whitenoise.storage import CompressedManifestStaticFilesStorage

from config.static_files import StaticFilesStorage


def test_a_static_url_is_whitenoises_and_looked_up_once(tmp_path, settings):
    settings.DEBUG = False
    manifest = {"version": "1.1", "hash": "0", "paths": {"admin/img/icon-yes.svg": "admin/img/icon-yes.5e6f1a.svg"}}
    (tmp_path / "staticfiles.json").write_text(json.dumps(manifest))
    ours = StaticFilesStorage(location=tmp_path, base_url="/static/")
    theirs = CompressedManifestStaticFilesStorage(location=tmp_path, base_url="/static/")
    expected = "/static/admin/img/icon-yes.5e6f1a.svg"
    assert ours.url("admin/img/icon-yes.svg") == theirs.url("admin/img/icon-yes.svg") == expected
    with mock.patch.object(CompressedManifestStaticFilesStorage, "stored_name", side_effect=AssertionError):
        assert ours.url("admin/img/icon-yes.svg") == expected  # kept: no second lookup
    with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
        ours.url("absent.css")  # a missing file still fails loudly, every time
    with pytest.raises(ValueError):
        ours.url("absent.css")
