"""The platform's Prometheus alert rules pass promtool's check (Debian's prometheus package,
unpacked by devstack), and would fail it if they were broken."""

import subprocess
from pathlib import Path

from devstack.promtool import promtool_binary

RULES = Path(__file__).resolve().parents[2] / "deploy" / "observability" / "alerts.yml"


def test_the_alert_rules_pass_promtool():
    checked = subprocess.run(
        [str(promtool_binary()), "check", "rules", str(RULES)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 11 rules found" in checked.stdout


def test_promtool_refuses_a_broken_rule(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "groups:\n  - name: x\n    rules:\n      - alert: Broken\n        expr: sum(rate(x[5m]\n"
    )
    checked = subprocess.run(
        [str(promtool_binary()), "check", "rules", str(broken)], capture_output=True, text=True
    )
    assert checked.returncode != 0
