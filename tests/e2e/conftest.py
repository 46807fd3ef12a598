from tests.cli.conftest import background, database, sqlite_template  # noqa: F401 - shared
