"""CI runs exactly the README's test command, and its script is valid shell."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _fenced_bash(text: str) -> list[str]:
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", text, re.S)]


def test_ci_script_ends_with_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = _fenced_bash(readme)
    test_commands = [b for b in blocks if "pytest" in b]
    assert test_commands, "README has no fenced test command"
    ci = (ROOT / ".ci" / "run").read_text()
    marker = "# The README's test command, verbatim:\n"
    assert marker in ci
    after = ci.split(marker, 1)[1].strip()
    assert after == test_commands[0], (after, test_commands[0])


def test_ci_script_is_valid_shell() -> None:
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash")
    result = subprocess.run([bash, "-n", str(ROOT / ".ci" / "run")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_readme_install_command_starts_the_product() -> None:
    blocks = _fenced_bash((ROOT / "README.md").read_text())
    install = [b for b in blocks if b.endswith("echome serve")]
    assert install, "README has no one-line install-and-start command"
    assert "resemblyzer" in install[0]
