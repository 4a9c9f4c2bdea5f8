"""The HTML report in a real browser: headless Chromium opens it from file://.

Checks what a reader sees, not what we wrote: the rendered DOM (`--dump-dom`) holds
the KPI names, the seed's 31 360,00 ₽ and the corrective measure of a missed KPI, the
SVG charts have a bar and a point per value, and a full-page screenshot is produced
and is not blank (decoded here with zlib; no imaging library needed).

Needs `chromium` and `fonts-dejavu-core` (Debian: `apt-get install -y
--no-install-recommends chromium fonts-dejavu-core`).  Skipped when Chromium is
absent, except under CI=true, where a missing browser fails the run.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from html import unescape
from pathlib import Path

import pytest
from report_fixtures import HEAD_ROMI_ACTION, Elements, engine_results, expected_chart_counts

from kpidsl.output.render import render_report

APT = "apt-get install -y --no-install-recommends chromium fonts-dejavu-core"
NBSP = "\u00a0"


@pytest.fixture(scope="module")
def chromium() -> str:
    for name in (os.environ.get("KPIDSL_CHROMIUM", ""), "chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name) if name else None
        if path:
            return path
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but no Chromium is installed; install it with: {APT}")
    pytest.skip(f"headless Chromium is not installed here (install with: {APT}); CI runs this test")


def run(browser: str, tmp: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    profile = tmp / "profile"
    profile.mkdir(exist_ok=True)
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--disable-extensions", "--no-first-run",
               "--hide-scrollbars", "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={profile}", *args]
    done = subprocess.run(command, capture_output=True, timeout=180)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    return done


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_bytes(render_report(engine_results(), "html"))
    return path


def test_rendered_dom_shows_the_numbers_and_measures(chromium: str, report: Path, tmp_path: Path) -> None:
    dom = run(chromium, tmp_path, "--dump-dom", report.as_uri()).stdout.decode("utf-8")
    page = Elements(dom)
    text = unescape(" ".join(page.text))
    for title in ("Процент прироста клиентов", "ROAS — окупаемость рекламных расходов", "CPS — стоимость продажи",
                  "ROMI — окупаемость маркетинговых инвестиций", "LTV должен быть минимум в 3 раза выше CAC"):
        assert title in text, title
    assert f"31{NBSP}360,00{NBSP}₽" in text
    romi_rows = [i for i, (tag, a) in enumerate(page.found) if tag == "tr" and a.get("data-kpi") == "romi"]
    assert romi_rows, "the analytical table has no ROMI row"
    row_start = dom.index('data-kpi="romi"')
    assert HEAD_ROMI_ACTION in unescape(dom[row_start:dom.index("</tr>", row_start)])

    bars, points = expected_chart_counts(engine_results())
    assert len([a for a in page.having("rect", "fact") if a.get("data-kpi")]) == bars
    assert len(page.having("circle", "point")) == points
    assert len(page.having("rect", "fact", kpi="roas", status="missed")) == 1
    assert len(page.having("svg", "chart")) == 1 + 5 + 23


def decode_png(data: bytes) -> tuple[int, int, int, list[bytes]]:
    """(width, height, bytes per pixel, rows) of an 8-bit RGB/RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, chunks, header = 8, [], b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6), (depth, colour)
    bpp = 3 if colour == 2 else 4
    stride = width * bpp
    raw = zlib.decompress(b"".join(chunks))
    low, high = int.from_bytes(b"\x7f" * stride, "big"), int.from_bytes(b"\x80" * stride, "big")
    prev, rows = bytes(stride), []
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], raw[start + 1:start + 1 + stride]
        if kind == 0:
            out = line
        elif kind == 2:  # "Up": a byte-wise add, done on the whole row at once
            a, b = int.from_bytes(line, "big"), int.from_bytes(prev, "big")
            out = (((a & low) + (b & low)) ^ ((a ^ b) & high)).to_bytes(stride, "big")
        else:
            cur = bytearray(line)
            for x in range(stride):
                left = cur[x - bpp] if x >= bpp else 0
                if kind == 1:
                    cur[x] = (cur[x] + left) & 255
                elif kind == 3:
                    cur[x] = (cur[x] + ((left + prev[x]) >> 1)) & 255
                else:
                    up, corner = prev[x], (prev[x - bpp] if x >= bpp else 0)
                    p = left + up - corner
                    pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                    cur[x] = (cur[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
            out = bytes(cur)
        rows.append(out)
        prev = out
    return width, height, bpp, rows


def test_full_page_screenshot_is_not_blank(chromium: str, report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    # A window taller than the page, at half scale: the whole page in one image.
    run(chromium, tmp_path, "--force-device-scale-factor=0.5", "--window-size=1240,16000",
        f"--screenshot={shot}", report.as_uri())
    width, height, bpp, rows = decode_png(shot.read_bytes())
    assert width >= 600 and height >= 7000
    white = b"\xff" * (width * bpp)
    painted = [y for y, row in enumerate(rows) if row != white]
    assert painted, "the screenshot is blank"
    assert painted[-1] < height - 100, "the page is longer than the screenshot: not a full-page capture"
    assert painted[-1] - painted[0] > height // 3
    pixels = [row[x:x + 3] for row in rows[::3] for x in range(0, width * bpp, bpp * 3)]
    dark = sum(1 for p in pixels if max(p) < 90)  # text
    green = sum(1 for p in pixels if p[1] > 100 and p[0] < 80 and p[2] < 80)  # met bars and badges
    red = sum(1 for p in pixels if p[0] > 170 and p[1] < 80 and p[2] < 80)  # missed bars and badges
    assert dark > 800 and green > 200 and red > 200, (dark, green, red)
    if os.environ.get("KPIDSL_KEEP_SCREENSHOT"):
        shutil.copy(shot, os.environ["KPIDSL_KEEP_SCREENSHOT"])
