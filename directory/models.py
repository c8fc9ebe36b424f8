"""The RPPS directory as loaded from the ANS extraction, and the record of each load.

`DirectoryEntry` keeps only what the check reads: one row per distinct (person, profession, savoir-faire) of the
extraction's activity lines — a person with three activities in one specialty is one row. It is replaced as a
whole by each load (directory.loading), never edited. `DirectoryLoad` says which file is in force: no load, no
directory (the check then says « annuaire non chargé » and blocks nothing).
"""

from django.db import models

ENTRY_TABLE = "directory_entry"


class DirectoryEntry(models.Model):
    rpps = models.CharField("n° RPPS", max_length=11)
    last_name = models.TextField("nom d'exercice")
    first_name = models.TextField("prénom d'exercice", blank=True)
    profession_code = models.TextField("code profession")
    profession_label = models.TextField("libellé profession", blank=True)
    specialty_code = models.TextField("code savoir-faire", blank=True)
    specialty_label = models.TextField("libellé savoir-faire", blank=True)

    class Meta:
        db_table = ENTRY_TABLE
        verbose_name = "entrée de l'annuaire RPPS"
        verbose_name_plural = "entrées de l'annuaire RPPS"
        indexes = [models.Index(fields=["rpps"], name="directory_entry_rpps_idx")]

    def __str__(self) -> str:
        return f"{self.rpps} {self.first_name} {self.last_name} ({self.profession_label})"


class DirectoryLoad(models.Model):
    """One load of the extraction; the latest is the directory in force."""

    loaded_at = models.DateTimeField("chargé le", auto_now_add=True)
    file_name = models.CharField("fichier", max_length=255)
    file_bytes = models.BigIntegerField("taille du fichier (octets)")
    lines = models.PositiveIntegerField("lignes d'activité lues")
    rpps_lines = models.PositiveIntegerField("lignes d'un n° RPPS")
    malformed_lines = models.PositiveIntegerField("lignes mal formées (ignorées)", default=0)
    entries = models.PositiveIntegerField("entrées distinctes")
    persons = models.PositiveIntegerField("personnes (n° RPPS distincts)")
    seconds = models.FloatField("durée (s)")

    class Meta:
        db_table = "directory_load"
        verbose_name = "chargement de l'annuaire RPPS"
        verbose_name_plural = "chargements de l'annuaire RPPS"
        ordering = ["-loaded_at", "-pk"]
        get_latest_by = "loaded_at"

    def __str__(self) -> str:
        return f"{self.file_name} ({self.loaded_at:%d/%m/%Y})"
