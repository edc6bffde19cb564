"""`sluice settings set` on a nested field (a rate-limit window), as `settings show` lists it."""
import subprocess

from conftest import sluice_binary


def run(*args):
    return subprocess.run([sluice_binary(), *args], capture_output=True, text=True, timeout=60)


def test_rate_limit_fields_are_set_and_shown_by_their_dotted_names(workdir):
    db = str(workdir / "sluice.sqlite")
    result = run("settings", "set", "helpscout", "rateLimits.perMinute", "100", "--db", db)
    assert result.returncode == 0, result.stderr
    assert "saved helpscout.rateLimits.perMinute = 100" in result.stdout
    shown = run("settings", "show", "helpscout", "--db", db).stdout
    assert any(line.split() == ["rateLimits.perMinute", "100"] for line in shown.splitlines()), shown
    too_high = run("settings", "set", "helpscout", "rateLimits.perMinute", "999", "--db", db)
    assert too_high.returncode != 0
    assert "200" in too_high.stderr, too_high.stderr
    cleared = run("settings", "set", "helpscout", "rateLimits.perMinute", "", "--db", db)
    assert cleared.returncode == 0, cleared.stderr
