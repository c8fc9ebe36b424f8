"""`manage.py load_rpps_directory FICHIER`: load the ANS « Annuaire Santé » extraction
(`PS_LibreAcces_Personne_activite_*.txt`) as the RPPS directory in force. See directory/extraction.py for the
format and its source, directory/loading.py for how it is loaded."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from core.words import counted
from directory.extraction import ExtractionError
from directory.loading import load_directory


class ProgressBar:
    """Bytes read of the file, on stderr, redrawn at most every `every` seconds (one line when not a terminal)."""

    def __init__(self, total: int, stream: OutputWrapper, every: float = 0.5, width: int = 30):
        self.total = max(total, 1)
        self.stream = stream
        self.every = every
        self.width = width
        self.started = self.last = time.monotonic()
        self.tty = stream.isatty()

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if now - self.last < self.every and done < self.total:
            return
        if not self.tty and done < self.total and now - self.last < 10:
            return  # in a log: a line every 10 seconds
        self.last = now
        share = min(done / self.total, 1)
        filled = int(share * self.width)
        speed = done / max(now - self.started, 1e-6) / 1e6
        line = (
            f"Annuaire RPPS [{'#' * filled}{'.' * (self.width - filled)}] {share * 100:3.0f} % "
            f"{done / 1e6:,.0f} / {self.total / 1e6:,.0f} Mo ({speed:.1f} Mo/s)"
        ).replace(",", " ")
        self.stream.write(("\r" + line) if self.tty else line, ending="" if self.tty else "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("")


class Command(BaseCommand):
    help = (
        "Charge l'extraction « PS_LibreAcces_Personne_activite » de l'Annuaire santé (ANS) comme annuaire RPPS "
        "en vigueur, à la place du précédent (qui reste en place si le fichier est refusé)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="PS_LibreAcces_Personne_activite_AAAAMMJJhhmm.txt")
        parser.add_argument("--no-progress", action="store_true", help="sans barre de progression")

    def handle(self, *args, file: Path, no_progress: bool = False, **options) -> None:
        if not file.is_file():
            raise CommandError(f"Fichier introuvable : {file}")
        bar = None if no_progress else ProgressBar(file.stat().st_size, self.stderr)
        try:
            report = load_directory(file, progress=bar)
        except ExtractionError as exc:
            raise CommandError(f"Rien n'a été chargé. {exc}") from exc
        finally:
            if bar is not None:
                bar.close()
        load, tally = report.load, report.tally
        self.stdout.write(
            self.style.SUCCESS(
                f"Annuaire RPPS chargé depuis {load.file_name} : {load.lines} lignes d'activité, dont "
                f"{load.rpps_lines} d'un n° RPPS ; {load.persons} personnes, {load.entries} entrées distinctes, "
                f"en {load.seconds:.1f} s."
            )
        )
        if tally.malformed:
            lines = ", ".join(str(n) for n in tally.malformed_examples)
            self.stdout.write(
                self.style.WARNING(
                    counted("{count} ligne(s) mal formée(s) ignorée(s)", tally.malformed)
                    + " (nombre de champs différent de l'en-tête), "
                    + counted("par exemple ligne(s) ", len(tally.malformed_examples))
                    + f"{lines}."
                )
            )
