"""Generate README.rst and static/description/index.html from readme/*.md.

The fragments in readme/ are the only hand-written documentation of the addon:
this tool converts each of them from Markdown to reStructuredText with pandoc,
assembles them under fixed section titles with the manifest's metadata (template
readme.rst.jinja, beside this script), then renders that README.rst to the HTML
page that Odoo shows in its Apps menu.

    python scripts/gen_readme.py           rewrite the files that are out of date
    python scripts/gen_readme.py --check   only name them

Either way it exits with status 1 when a file was (or would be) rewritten, as
pre-commit fixers do. The output depends only on the inputs and on the versions
of pandoc (pypandoc-binary), jinja2 and docutils, which the gen-addon-readme hook
of .pre-commit-config.yaml pins: run it through that hook for canonical output.
"""

import argparse
import ast
import json
import sys
from pathlib import Path

import jinja2
import pypandoc
from docutils.core import publish_string

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.rst"
INDEX = ROOT / "static" / "description" / "index.html"
# Fragment name and section title, in the order of the README.
SECTIONS = [
    ("INSTALL", "Installation"),
    ("CONFIGURE", "Configuration"),
    ("USAGE", "Usage"),
    ("SECURITY", "Security"),
    ("PERFORMANCE", "Performance"),
    ("ROADMAP", "Known issues / Roadmap"),
    ("DEVELOP", "Development"),
]
SPECIAL = {"DESCRIPTION", "CONTRIBUTORS"}
OCA = "Odoo Community Association (OCA)"
LICENSE_URLS = {
    "AGPL-3": "https://www.gnu.org/licenses/agpl-3.0-standalone.html",
    "GPL-3": "https://www.gnu.org/licenses/gpl-3.0-standalone.html",
    "LGPL-3": "https://www.gnu.org/licenses/lgpl-3.0-standalone.html",
}
STATUS_COLORS = {
    "Alpha": "red",
    "Beta": "yellow",
    "Production/Stable": "green",
    "Mature": "brightgreen",
}


def md_to_rst(path):
    """Convert a fragment, its top headings becoming subsections of its section."""
    ast_json = pypandoc.convert_text(path.read_text("utf-8"), "json", format="gfm")
    blocks = json.loads(ast_json)["blocks"]
    levels = [block["c"][0] for block in blocks if block["t"] == "Header"]
    # The section title is level 1, so a fragment's outermost heading must land
    # on level 2 whatever level its author started from (# or ##).
    shift = 2 - min(levels) if levels else 0
    args = ["--columns=88", f"--shift-heading-level-by={shift}"]
    rst = pypandoc.convert_text(ast_json, "rst", format="json", extra_args=args)
    return rst.strip()


def shield(label, value, color):
    # shields.io reads "-" as a separator and "--" as a literal dash
    def esc(text):
        return text.replace("-", "--").replace("_", "__").replace(" ", "_")

    return f"https://img.shields.io/badge/{esc(label)}-{esc(value)}-{color}.png"


def render_readme():
    manifest = ast.literal_eval((ROOT / "__manifest__.py").read_text("utf-8"))
    fragments = {path.stem: path for path in sorted((ROOT / "readme").glob("*.md"))}
    # A fragment the template would not place is an error, not silently dropped.
    unknown = set(fragments) - SPECIAL - {name for name, _title in SECTIONS}
    if unknown:
        sys.exit(f"readme/: unknown fragments {sorted(unknown)}")
    if "DESCRIPTION" not in fragments:
        sys.exit("readme/DESCRIPTION.md is missing")
    status = manifest.get("development_status", "Beta")  # OCA's default
    license_ = manifest["license"]
    website = manifest.get("website", "").rstrip("/")
    authors = [name.strip() for name in manifest["author"].split(",")]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("readme.rst.jinja").render(
        name=manifest["name"],
        summary=manifest["summary"],
        version=manifest["version"],
        status=status,
        status_badge=shield("maturity", status, STATUS_COLORS.get(status, "gray")),
        license=license_,
        license_badge=shield("license", license_, "blue"),
        license_url=LICENSE_URLS.get(license_),
        website=website,
        issues=f"{website}/issues" if website.startswith("https://github.com/") else "",
        authors=authors,
        oca=OCA in authors,
        maintainers=manifest.get("maintainers", []),
        description=md_to_rst(fragments["DESCRIPTION"]),
        sections=[
            (title, md_to_rst(fragments[name]))
            for name, title in SECTIONS
            if name in fragments
        ],
        contributors=md_to_rst(fragments["CONTRIBUTORS"])
        if "CONTRIBUTORS" in fragments
        else "",
    )


def render_html(rst):
    settings = {
        # Odoo parses index.html with lxml, which rejects a str that declares an
        # encoding: no XML declaration, and no charset to declare.
        "output_encoding": "unicode",
        "xml_declaration": False,
        # Odoo's Apps page brings its own style; pygments' would vary by version.
        "stylesheet_path": "",
        "embed_stylesheet": False,
        "syntax_highlight": "none",
        # The README is ours: fail on its mistakes instead of rendering them,
        # and let nothing in it pull in files or raw HTML.
        "halt_level": 2,
        "report_level": 2,
        "file_insertion_enabled": False,
        "raw_enabled": False,
    }
    html = publish_string(
        rst, source_path="README.rst", writer_name="html5", settings_overrides=settings
    )
    if html.lstrip().startswith("<?xml"):
        sys.exit("index.html would start with an XML declaration")
    return html


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--check", action="store_true", help="write nothing, name outdated files"
    )
    args = parser.parse_args()
    rst = render_readme()
    stale = []
    for path, text in ((README, rst), (INDEX, render_html(rst))):
        data = text.encode("utf-8")
        if not path.exists() or path.read_bytes() != data:
            stale.append(str(path.relative_to(ROOT)))
            if not args.check:
                path.write_bytes(data)
    if stale:
        verb = "out of date" if args.check else "rewritten"
        sys.exit(f"{verb}: {', '.join(stale)}")


if __name__ == "__main__":
    main()
