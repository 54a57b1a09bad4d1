"""`doorstep import-org`: tree and flat files, JSON and YAML, idempotent, clear refusals."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from server.org.importer import DEMO_FILE, ImportError_, flatten, import_file, read_file, unit_id
from server.org.tables import OrgUnit
from server.org.tree import load_tree
from tests.helpers import COMMUNITY_A, STREET_A, login

pytestmark = pytest.mark.usefixtures("database")
DOORSTEP = str(Path(sys.executable).with_name("doorstep"))


def test_demo_file_has_guangmings_shape() -> None:
    units, users = flatten(read_file(DEMO_FILE))
    kinds = [u.kind for u in units]
    assert kinds.count("district") == 1
    assert kinds.count("street") == 6
    assert kinds.count("community") == 31
    assert {"station", "grid", "department", "room"} <= set(kinds)
    streets = {u.name for u in units if u.kind == "street"}
    assert streets == {"光明街道", "公明街道", "新湖街道", "凤凰街道", "玉塘街道", "马田街道"}
    assert {u.username for u in users} >= {"gw.a1", "gw.b1", "dept.housing", "district"}


async def test_the_tree_knows_who_is_above_whom() -> None:
    tree = await load_tree(force=True)
    assert tree.is_within(COMMUNITY_A, STREET_A)
    assert tree.nearest(unit_id("GM.GUANGMING.C01.G1"), "community") == COMMUNITY_A
    assert not tree.is_within(unit_id("GM.GONGMING.C01"), STREET_A)


async def test_import_is_idempotent_and_updates_in_place(tmp_path: Path) -> None:
    doc: dict[str, Any] = {
        "units": [
            {"code": "GM", "kind": "district", "name": "光明区（示范）"},
            {"code": "GM.TESTSTREET", "kind": "street", "name": "测试街道", "parent": "GM"},
            {
                "code": "GM.TESTSTREET.C1",
                "kind": "community",
                "name": "测试社区",
                "parent": "GM.TESTSTREET",
                "geo": {"lat": 22.7, "lng": 113.9},
            },
        ]
    }
    path = tmp_path / "org.json"
    path.write_text(json.dumps(doc, ensure_ascii=False))
    first = await import_file(path)
    assert first["created"] == 2
    again = await import_file(path)
    assert again["created"] == 0 and again["updated"] == 0
    doc["units"][2]["name"] = "测试社区（改名）"
    path.write_text(json.dumps(doc, ensure_ascii=False))
    changed = await import_file(path)
    assert changed["updated"] == 1
    row = (
        await OrgUnit.select(OrgUnit.name, OrgUnit.version)
        .where(OrgUnit.code == "GM.TESTSTREET.C1")
        .first()
    )
    assert row is not None and row["name"] == "测试社区（改名）" and row["version"] == 2


async def test_renamed_units_reach_devices(client: Any, tmp_path: Path) -> None:
    session = await login(client, "gw.a1")
    await session.pull_all()
    path = tmp_path / "org.yaml"
    path.write_text(
        "units:\n- code: GM\n  kind: district\n  name: 光明区（示范）\n  children:\n"
        "  - code: GM.SYNCSTREET\n    kind: street\n    name: 同步街道\n"
    )
    await import_file(path)
    changes = await session.pull_all()
    assert any(
        c["collection"] == "org_units" and c["fields"]["name"] == "同步街道" for c in changes
    )


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"units": [{"code": "X", "kind": "planet", "name": "x"}]}, "kind must be one of"),
        ({"units": [{"code": "S", "kind": "street", "name": "s"}]}, "cannot sit under"),
        (
            {"units": [{"code": "C", "kind": "community", "name": "c", "parent": "NOPE"}]},
            "not in the file",
        ),
        ({"units": [{"code": "D", "kind": "district", "name": "d"}] * 2}, "unique"),
        (
            {
                "units": [
                    {"code": "D", "kind": "district", "name": "d", "geo": {"lat": 300, "lng": 1}}
                ]
            },
            "geo",
        ),
        ({"nothing": []}, "units"),
    ],
)
def test_bad_files_are_refused_with_the_reason(
    tmp_path: Path, doc: dict[str, Any], message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(ImportError_, match=message):
        flatten(read_file(path))


@pytest.mark.slow  # two `doorstep` processes
def test_cli_refuses_a_bad_file_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("units:\n- code: Z\n  kind: street\n  name: 孤立街道\n")
    result = subprocess.run([DOORSTEP, "import-org", str(path)], capture_output=True, text=True)
    assert result.returncode == 2
    assert "cannot sit under" in result.stderr
    missing = subprocess.run(
        [DOORSTEP, "import-org", str(tmp_path / "nope.yaml")], capture_output=True, text=True
    )
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_vapid_keys_prints_a_usable_pair() -> None:
    result = subprocess.run([DOORSTEP, "vapid-keys"], capture_output=True, text=True, check=True)
    line = next(
        row for row in result.stdout.splitlines() if row.startswith("DOORSTEP_VAPID_PRIVATE_KEY=")
    )
    from py_vapid import Vapid

    Vapid.from_string(line.split("=", 1)[1])  # loads as a VAPID key


@pytest.mark.slow  # three `doorstep` processes
def test_create_user_cli(tmp_path: Path) -> None:
    import os

    env = {**os.environ, "DOORSTEP_NEW_USER_PASSWORD": "a-good-password"}
    ok = subprocess.run(
        [
            DOORSTEP,
            "create-user",
            "--username",
            "cli.user",
            "--role",
            "grid_worker",
            "--org-code",
            "GM.GUANGMING.C01",
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert ok.returncode == 0, ok.stderr
    again = subprocess.run(
        [
            DOORSTEP,
            "create-user",
            "--username",
            "cli.user",
            "--role",
            "grid_worker",
            "--org-code",
            "GM.GUANGMING.C01",
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert again.returncode == 2 and "already taken" in again.stderr
    bad_role = subprocess.run(
        [DOORSTEP, "create-user", "--username", "x", "--role", "king", "--org-code", "GM"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert bad_role.returncode == 2
