"""Rebuild the shipped check-worthiness model from the ClaimBuster data, reproducibly."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from annotations.extraction.scoring import MODEL_DIR
from annotations.extraction.training import build_model


def _data_dir() -> Path:
    return Path(settings.BASE_DIR).parent / "shared" / "data" / "claimbuster"


class Command(BaseCommand):
    help = "Train the check-worthiness model; held-out sentences are dropped from training."

    def add_arguments(self, parser):
        parser.add_argument("--data", type=Path, default=_data_dir() / "crowdsourced.csv")
        parser.add_argument(
            "--exclude",
            type=Path,
            default=_data_dir() / "groundtruth.csv",
            help="held-out evaluation CSV: its sentences never enter training",
        )
        parser.add_argument("--out", type=Path, default=MODEL_DIR)
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, data, exclude, out, seed, **options):
        artifacts = build_model(data, heldout=exclude, out_dir=out, seed=seed)
        meta = artifacts.metadata
        cv = meta["cross_validation"]
        self.stdout.write(f"model {artifacts.version} written to {out}")
        stages = ", ".join(f"{s['name']} C={s['C']}" for s in meta["training"]["stages"])
        self.stdout.write(
            f"training rows {meta['training']['rows']} "
            f"(dropped {meta['training']['dropped_as_heldout']} held-out duplicates), "
            f"stages: {stages}, threshold {artifacts.threshold}"
        )
        self.stdout.write(
            f"cross-validation: AP {cv['average_precision']:.4f}  F1 {cv['f1']:.4f}  "
            f"P {cv['precision']:.4f}  R {cv['recall']:.4f}  "
            f"(F1 {cv['f1_threshold_from_other_folds']:.4f} with thresholds from other folds)"
        )
        if "heldout" in meta:
            held = meta["heldout"]
            self.stdout.write(
                f"held-out {held['file']}: AP {held['average_precision']:.4f}  "
                f"F1 {held['f1']:.4f}  P {held['precision']:.4f}  R {held['recall']:.4f}"
            )
