"""The French catalogue: complete, covering every marked string, compiled, and used by the pages.

The .po and the compiled .mo are both committed (the app needs no gettext at run time); these
tests keep them honest. After changing a marked string: `make messages`, translate, commit both.
"""

from __future__ import annotations

import ast
import gettext
import html
import io
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.utils import translation

import registrum
from registrum.records import services as records
from tests.conftest import PASSWORD

PACKAGE = Path(registrum.__file__).resolve().parent
LOCALE = PACKAGE / "locale"
PO = LOCALE / "fr" / "LC_MESSAGES" / "django.po"
MO = LOCALE / "fr" / "LC_MESSAGES" / "django.mo"
HOW_TO_FIX = "Run `make messages`, translate the new entries in registrum/locale/fr/LC_MESSAGES/django.po, commit both"


@pytest.fixture(autouse=True)
def _english_afterwards():
    """LocaleMiddleware leaves the last request's language active in the thread: do not let
    French leak into the tests that run after these."""
    yield
    translation.deactivate()


# The catalogue ------------------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        return (self.msgctxt, self.msgid, self.msgid_plural)

    def __str__(self) -> str:
        context = f" (context {self.msgctxt!r})" if self.msgctxt is not None else ""
        return f"line {self.line}: {self.msgid!r}{context}"


_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")$')


def parse_po(path: Path) -> list[Entry]:
    """The entries of a .po file, header and obsolete (#~) entries left out. Enough of the
    format for what makemessages writes: flags, context, plurals, multi-line strings."""
    entries: list[Entry] = []
    entry = Entry()
    target: tuple[str, int] | None = None
    started = False

    def finish() -> None:
        nonlocal entry, started, target
        if started and entry.msgid != "":
            entries.append(entry)
        entry, started, target = Entry(), False, None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#"):
            if started and target is not None and target[0] == "msgstr":
                finish()  # a comment after the msgstr starts the next entry
            if line.startswith("#,"):
                entry.flags.update(flag.strip() for flag in line[2:].split(",") if flag.strip())
            continue
        match = _KEYWORD.match(line)
        if match:
            keyword, index, text = match.groups()
            if keyword in ("msgctxt", "msgid") and started and target is not None and target[0] == "msgstr":
                finish()
            if not started:
                entry.line, started = number, True
            value = ast.literal_eval(text)
            if keyword == "msgctxt":
                entry.msgctxt, target = value, ("msgctxt", 0)
            elif keyword == "msgid":
                entry.msgid, target = value, ("msgid", 0)
            elif keyword == "msgid_plural":
                entry.msgid_plural, target = value, ("msgid_plural", 0)
            else:
                slot = int(index) if index is not None else 0
                entry.msgstr[slot], target = value, ("msgstr", slot)
        elif line.startswith('"') and target is not None:
            value = ast.literal_eval(line)
            kind, slot = target
            if kind == "msgstr":
                entry.msgstr[slot] += value
            elif kind == "msgid_plural":
                entry.msgid_plural = (entry.msgid_plural or "") + value
            elif kind == "msgctxt":
                entry.msgctxt = (entry.msgctxt or "") + value
            else:
                entry.msgid += value
        else:
            raise AssertionError(f"{path}:{number}: cannot read {raw!r}")
    finish()
    return entries


def plural_count(path: Path) -> int:
    header = path.read_text(encoding="utf-8")
    match = re.search(r"nplurals\s*=\s*(\d+)", header)
    assert match, f"{path}: no Plural-Forms header"
    return int(match.group(1))


def test_the_parser_reads_contexts_plurals_flags_and_continued_lines(tmp_path):
    po = tmp_path / "sample.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Plural-Forms: nplurals=2; plural=(n > 1);\\n"\n\n'
        '#, python-format\nmsgid "Welcome, %(name)s"\nmsgstr "Bienvenue, %(name)s"\n\n'
        'msgctxt "verb"\nmsgid "Register"\nmsgstr ""\n"Enregis"\n"trer"\n\n'
        '#, fuzzy, python-format\nmsgid "%(n)s page"\nmsgid_plural "%(n)s pages"\n'
        'msgstr[0] "%(n)s page"\nmsgstr[1] ""\n\n'
        '#~ msgid "Gone"\n#~ msgstr "Parti"\n',
        encoding="utf-8",
    )
    welcome, register, pages = parse_po(po)
    assert (welcome.msgid, welcome.msgstr, welcome.flags) == (
        "Welcome, %(name)s",
        {0: "Bienvenue, %(name)s"},
        {"python-format"},
    )
    assert register.key == ("verb", "Register", None) and register.msgstr == {0: "Enregistrer"}
    assert pages.key == (None, "%(n)s page", "%(n)s pages") and pages.msgstr == {0: "%(n)s page", 1: ""}
    assert "fuzzy" in pages.flags
    assert plural_count(po) == 2


def test_the_french_catalogue_is_complete():
    entries = parse_po(PO)
    assert len(entries) > 100, "the catalogue looks truncated"
    nplurals = plural_count(PO)
    fuzzy = [str(e) for e in entries if "fuzzy" in e.flags]
    assert not fuzzy, f"fuzzy entries (check the translation, then remove the flag): {fuzzy}"
    untranslated = []
    for e in entries:
        slots = range(nplurals) if e.msgid_plural is not None else range(1)
        if any(not e.msgstr.get(slot, "").strip() for slot in slots):
            untranslated.append(str(e))
    assert not untranslated, f"untranslated entries: {untranslated}. {HOW_TO_FIX}."
    keys = [e.key[:2] for e in entries]
    assert len(keys) == len(set(keys)), "duplicate entries"


def test_placeholders_survive_translation():
    """A translation names the same %(placeholders)s, or formatting fails at run time."""
    placeholder = re.compile(r"%\((\w+)\)[sdr]")
    wrong = []
    for e in parse_po(PO):
        wanted = set(placeholder.findall(e.msgid)) | set(placeholder.findall(e.msgid_plural or ""))
        for slot, text in e.msgstr.items():
            found = set(placeholder.findall(text))
            # French has the singular for 0 and 1: "%(total)s" may be dropped there, not elsewhere.
            if found != wanted and not (slot == 0 and e.msgid_plural and found < wanted):
                wrong.append(f"{e} msgstr[{slot}]: {sorted(found)} instead of {sorted(wanted)}")
    assert not wrong, wrong


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def test_the_catalogue_covers_every_marked_string(tmp_path):
    """Extract afresh, as `make messages` does, from a copy of the package into a scratch
    catalogue (never the committed one), and compare the entries."""
    for tool in ("xgettext", "msgmerge", "msgfmt"):
        assert shutil.which(tool), f"{tool} not found: install gettext (`make system-deps` does)"
    tree = tmp_path / "registrum"
    shutil.copytree(PACKAGE, tree, ignore=shutil.ignore_patterns("locale", "__pycache__", "*.pyc"))
    scratch_locale = tmp_path / "locale"
    scratch_locale.mkdir()
    (tmp_path / "i18n_scratch_settings.py").write_text(
        f"from registrum.settings import *  # noqa: F403\nLOCALE_PATHS = [{str(scratch_locale)!r}]\n",
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "i18n_scratch_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        "REGISTRUM_HOME": str(tmp_path / "home"),
    }
    _run([sys.executable, "-m", "django", "makemessages", "-l", "fr", "--no-location"], cwd=tree, env=env)
    extracted = {e.key for e in parse_po(scratch_locale / "fr" / "LC_MESSAGES" / "django.po")}
    committed = {e.key for e in parse_po(PO)}
    assert len(extracted) > 100, "the extraction found too little: is the copy complete?"

    def show(keys: set[tuple[str | None, str, str | None]]) -> str:
        return "\n".join(
            f"  {msgid!r}" + (f" (context {ctxt!r})" if ctxt else "") for ctxt, msgid, _ in sorted(keys, key=str)
        )

    missing = extracted - committed
    assert not missing, f"marked in the code but missing from the French catalogue:\n{show(missing)}\n{HOW_TO_FIX}."
    stale = committed - extracted
    assert not stale, f"in the French catalogue but no longer in the code:\n{show(stale)}\n{HOW_TO_FIX}."


def _catalogue(mo: Path) -> tuple[dict[object, str], str]:
    with mo.open("rb") as stream:
        translations = gettext.GNUTranslations(stream)
    catalogue = dict(translations._catalog)  # type: ignore[attr-defined]
    catalogue.pop("", None)  # the header: only its dates differ between two compilations
    return catalogue, translations.info().get("plural-forms", "")


def test_the_compiled_catalogue_is_up_to_date(tmp_path):
    assert shutil.which("msgfmt"), "msgfmt not found: install gettext (`make system-deps` does)"
    assert MO.exists(), f"{MO} is missing. {HOW_TO_FIX}."
    fresh = tmp_path / "django.mo"
    _run(["msgfmt", "--check-format", "--check-header", "-o", str(fresh), str(PO)], cwd=tmp_path, env=dict(os.environ))
    committed, committed_plural = _catalogue(MO)
    expected, expected_plural = _catalogue(fresh)
    assert committed_plural == expected_plural
    changed = sorted(str(k) for k in committed.keys() ^ expected.keys()) + sorted(
        str(k) for k in committed.keys() & expected.keys() if committed[k] != expected[k]
    )
    assert not changed, f"django.mo differs from django.po on {changed[:20]}. Run `make messages` and commit the .mo."


def test_django_uses_the_committed_catalogue():
    with translation.override("fr"):
        assert translation.gettext("Log in") == "Se connecter"
        assert translation.pgettext("verb", "Register") == "Enregistrer"
        assert translation.gettext("Register") == "Registre"
        assert translation.ngettext("%(total)s registration", "%(total)s registrations", 2) % {"total": 2} == (
            "2 enregistrements"
        )


# The pages ----------------------------------------------------------------------------------


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    return html.unescape(response.content.decode())


def switch_language(client, language: str, next_url: str = "/") -> None:
    """As the language form of the base template does: POST language and next to set_language."""
    form = page(client, next_url)
    assert 'action="/i18n/setlang/"' in form and 'name="language"' in form
    response = client.post("/i18n/setlang/", {"language": language, "next": next_url})
    assert response.status_code == 302 and response["Location"] == next_url


def test_the_pages_are_in_french_after_switching_and_in_english_after_switching_back(client, world):
    world.register(subject="Exercise STEADFAST planning conference")
    world.register(subject="Vacancy notice", originator="IMS")
    client.force_login(world.clerk)
    home = page(client, "/")
    assert '<html lang="en">' in home and "Welcome, Clerk Test" in home

    switch_language(client, "fr")
    home = page(client, "/")
    assert '<html lang="fr">' in home
    for text in (
        "Bienvenue, Clerk Test",
        "Mes bureaux d'ordre",
        "sous-bureau d'ordre",  # the registry kind, from the model's choices
        "point de contrôle",
        "Rechercher un document",
        "Enregistrements récents",
        "Accueil",
        "Enregistrer à l'arrivée",
        "Se déconnecter",
        "NATO SECRET",  # markings come from the policy and are not translated
    ):
        assert text in home, text

    register = page(client, "/register/")
    assert '<html lang="fr">' in register
    for text in (
        "<title>Registre · Registrum</title>",
        "2 enregistrements",
        "Page 1 sur 1",
        "Numéro, référence ou objet",
        "Enregistré jusqu'au",
        "tous les niveaux",
        "Filtrer",
        "Émetteur",
        "Objet",
    ):
        assert text in register, text
    one = page(client, "/register/?originator=IMS")
    assert "1 enregistrement" in one and "1 enregistrements" not in one

    form = page(client, "/register/new/?direction=IN")
    assert '<html lang="fr">' in form
    for text in (
        "Enregistrer un courrier à l'arrivée",
        "Bureau d'ordre",
        "Communicable à (au-delà de l'OTAN)",
        "Pour action (codes d'unité, @identifiant)",
        ">arrivée</option>",
        ">Enregistrer</button>",  # the verb, not the noun "Registre"
        "Enregistrer et saisir le suivant",
    ):
        assert text in form, text

    response = client.post("/register/new/", {"registry": world.registry.code, "direction": "IN", "level": "NS"})
    assert response.status_code == 400
    refused = html.unescape(response.content.decode())
    assert "L'enregistrement n'a pas été effectué" in refused
    assert "champ obligatoire" in refused and "is required" not in refused

    switch_language(client, "en", next_url="/register/")
    register = page(client, "/register/")
    assert '<html lang="en">' in register and "2 registrations" in register and "Registre" not in register
    home = page(client, "/")
    assert "Welcome, Clerk Test" in home and "Bienvenue" not in home


def test_the_login_page_is_in_french_and_logging_in_keeps_the_language(client, world):
    switch_language(client, "fr", next_url="/accounts/login/")
    login = page(client, "/accounts/login/")
    assert '<html lang="fr">' in login
    for text in ("Se connecter à Registrum", "Nom d'utilisateur", "Mot de passe", ">Se connecter</button>"):
        assert text in login, text

    response = client.post("/accounts/login/", {"username": "clerk", "password": "wrong password"})
    assert "Le nom d'utilisateur et le mot de passe ne correspondent pas" in html.unescape(response.content.decode())

    response = client.post("/accounts/login/", {"username": "clerk", "password": PASSWORD}, follow=True)
    home = html.unescape(response.content.decode())
    assert '<html lang="fr">' in home and "Bienvenue, Clerk Test" in home

    switch_language(client, "en", next_url="/")
    client.logout()
    login = page(client, "/accounts/login/")
    assert '<html lang="en">' in login and "Log in to Registrum" in login


def test_a_content_warning_is_shown_in_the_reader_language(client, world):
    """Warnings are stored in English and translated where they are shown."""
    document = world.register(upload=records.Upload("broken.pdf", io.BytesIO(b"%PDF-1.7 not really a PDF"))).document
    assert document.versions.get().warning == "PDF is damaged and cannot be opened"
    client.force_login(world.clerk)
    switch_language(client, "fr")
    detail = page(client, f"/register/d/{document.public_id}/")
    assert "le PDF est endommagé et ne peut pas être ouvert" in detail
    assert "Historique" in detail and "Téléverser une version (PDF, DOCX, EML, TXT)" in detail


def test_refusals_and_missing_pages_are_in_french(client, world):
    document = world.register().document
    client.force_login(world.reader)
    switch_language(client, "fr")
    response = client.post(f"/register/d/{document.public_id}/versions/", {"content": io.BytesIO(b"text")})
    refused = html.unescape(response.content.decode())
    assert response.status_code == 403 and '<html lang="fr">' in refused
    assert "Non autorisé" in refused
    # The policy's reason is given, in French: not the English text, not the generic fallback.
    reason = re.search(r"<h1>Non autorisé</h1>\s*<p>(.*?)</p>", refused, re.S)
    assert reason and reason.group(1).strip(), refused
    assert reason.group(1).strip() != "Vous n'êtes pas autorisé à effectuer cette opération."
    assert "only registry clerks and control officers" not in refused

    missing = page(client, "/register/d/aaaaaaaaaaaaaaaa/", status=404)
    assert "Introuvable" in missing and "Retour au registre" in missing


def test_the_history_and_the_direction_codes_are_in_the_reader_language(client, world):
    """History lines are rendered from the events' data in the reader's language, not from the
    English summary stored with them; the register's direction column is abbreviated in it."""
    registered = world.register(subject="Readines report")
    world.register(subject="Outgoing reply", direction="OUT")
    records.correct_registration(world.clerk, registered.public_id, {"subject": "Readiness report"})
    records.void_registration(world.clerk, registered.public_id, "enregistré deux fois")
    number = registered.number
    client.force_login(world.reader)
    switch_language(client, "fr")

    detail = page(client, f"/register/d/{registered.document.public_id}/")
    assert '<html lang="fr">' in detail
    for text in (
        f"Enregistré dans IMS-REG sous le numéro {number} (arrivée)",
        f"{number} corrigé : objet",
        f"{number} annulé : enregistré deux fois",
        "ANNULÉ",
    ):
        assert text in detail, text
    for english in ("Registered in", "registered in IMS-REG", "corrected:", "voided:"):
        assert english not in detail, english

    register = page(client, "/register/")
    assert '<abbr title="arrivée">ARR</abbr>' in register
    assert '<abbr title="départ">DÉP</abbr>' in register
    assert ">IN</abbr>" not in register and ">OUT</abbr>" not in register

    switch_language(client, "en", next_url="/register/")
    register = page(client, "/register/")
    assert '<abbr title="incoming">IN</abbr>' in register and '<abbr title="outgoing">OUT</abbr>' in register
    detail = page(client, f"/register/d/{registered.document.public_id}/")
    assert f"Registered in IMS-REG as {number} (incoming)" in detail
