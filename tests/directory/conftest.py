import pytest

from directory.loading import load_directory
from tests.directory.files import write


@pytest.fixture
def directory(tmp_path, db):
    """Load a directory made of these extraction lines (tests.directory.files.line)."""

    def load(*lines: str):
        return load_directory(write(tmp_path / "PS_LibreAcces_Personne_activite_202612010915.txt", list(lines))).load

    return load
