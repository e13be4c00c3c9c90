"""Render the PWA's PNG icons (192, 512, maskable 512, apple-touch 180) from one SVG with Debian's chromium.

Run once after changing the design: ``.venv/bin/python scripts/make_icons.py``; the PNGs are committed.
"""

import shutil
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parents[1] / "pwa" / "public" / "icons"
PIN = ("M48 18c-12 0-21 9-21 21 0 16 21 39 21 39s21-23 21-39c0-12-9-21-21-21zm0 29a8 8 0 1 1 0-16 "
       "8 8 0 0 1 0 16z")


def svg(rounded: bool, scale: float) -> str:
    """The pin on red; ``scale`` < 1 keeps the mark inside a maskable icon's safe zone."""
    rx = 20 if rounded else 0
    offset = 48 * (1 - scale)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 96 96"><rect width="96" height="96" rx="{rx}" '
            f'fill="#b91c1c"/><path transform="translate({offset} {offset}) scale({scale})" d="{PIN}" '
            f'fill="#fff"/></svg>')


ICONS = {"icon-192.png": (192, True, 1.0), "icon-512.png": (512, True, 1.0),
         "maskable-512.png": (512, False, 0.72), "apple-touch-icon.png": (180, False, 0.9)}

if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "icon.svg").write_text(svg(True, 1.0), encoding="utf-8")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=shutil.which("chromium"), args=["--headless=new", "--no-sandbox"])
        for name, (size, rounded, scale) in ICONS.items():
            page = browser.new_page(viewport={"width": size, "height": size})
            page.set_content(f"<style>html,body{{margin:0;background:transparent}}svg{{width:{size}px;height:{size}px;"
                             f"display:block}}</style>{svg(rounded, scale)}")
            page.screenshot(path=str(OUT / name), omit_background=True)
            page.close()
        browser.close()
    print(f"icons written to {OUT}")
