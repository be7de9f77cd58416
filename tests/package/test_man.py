"""The man pages (packaging/man): groff renders each without a warning, and kassa(1) documents exactly
the commands `kassa --help` lists (and the actions of each command that has some), both ways."""

import os
import re
import subprocess
import sys
import unittest

SOURCE_DIR = os.environ.get("KASSA_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
MAN_DIR = os.path.join(SOURCE_DIR, "packaging", "man")
CLI = os.path.join(SOURCE_DIR, "tools", "kassa", "kassa")
PAGES = ("kassa.1", "kassad.8", "kassa.toml.5")


def help_text(*args):
    p = subprocess.run([sys.executable, CLI, *args, "--help"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return p.stdout


def listed_commands(text):
    """The names argparse lists under the COMMAND or ACTION metavar of "positional arguments"."""
    block = text.split("positional arguments:\n", 1)[1].split("\n\n", 1)[0]
    names = set(re.findall(r"(?m)^    ([a-z][a-z-]*)", block))
    assert names, text
    return names


def man_sections(page):
    """The `.SS` headings of a page, as plain text (roff escapes dropped)."""
    with open(os.path.join(MAN_DIR, page), encoding="utf-8") as f:
        heads = re.findall(r'(?m)^\.SS\s+"?([^"\n]+)"?$', f.read())
    return [re.sub(r"\\f[BIRP]", "", h).replace("\\-", "-") for h in heads]


class ManPages(unittest.TestCase):
    def test_groff_renders_every_page_without_warnings(self):
        for page in PAGES:
            p = subprocess.run(["groff", "-k", "-man", "-Tutf8", "-ww", "-z", os.path.join(MAN_DIR, page)],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 0, page + p.stderr)
            self.assertEqual(p.stderr, "", page)

    def test_kassa_1_documents_the_commands_of_kassa_help(self):
        commands = listed_commands(help_text())
        sections = man_sections("kassa.1")
        documented = {s.split()[0] for s in sections}
        self.assertEqual(documented, commands)
        for command in sorted(commands):
            usage = help_text(command)
            if "ACTION" not in usage:
                continue
            actions = listed_commands(usage)
            heads = [s.split() for s in sections if s.split()[0] == command]
            # "shift open|close register" names its actions with a bar; "tokens list" one per heading.
            named = {a for h in heads if len(h) > 1 for a in h[1].split("|")}
            self.assertEqual(named, actions, command)

    def test_kassad_8_documents_the_options_of_kassad(self):
        with open(os.path.join(MAN_DIR, "kassad.8"), encoding="utf-8") as f:
            text = f.read().replace("\\-", "-")
        with open(os.path.join(SOURCE_DIR, "src", "app", "main.cpp"), encoding="utf-8") as f:
            options = set(re.findall(r'"(?:-\w,)?(--[a-z-]+)"', f.read()))
        self.assertTrue(options)
        for option in sorted(options):
            self.assertIn(option, text)


if __name__ == "__main__":
    unittest.main()
