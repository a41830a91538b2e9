"""Measure the check-worthiness model on any labelled CSV or TSV file."""

from pathlib import Path

from django.core.management.base import BaseCommand

from annotations.extraction.scoring import CheckWorthinessModel
from annotations.extraction.training import evaluate_file


class Command(BaseCommand):
    help = "Print precision, recall, F1 at a threshold, average precision and per-group MAP."

    def add_arguments(self, parser):
        parser.add_argument("--data", type=Path, required=True)
        parser.add_argument("--text-column", required=True)
        parser.add_argument("--label-column", required=True)
        parser.add_argument("--positive", required=True, help="label value of positive rows")
        parser.add_argument("--group-column", help="rank within these groups and report MAP")
        parser.add_argument("--threshold", type=float, help="default: the model's own")
        parser.add_argument("--model", type=Path, help="model directory (default: shipped)")

    def handle(self, *args, **options):
        model = CheckWorthinessModel.load(options["model"])
        result = evaluate_file(
            model,
            options["data"],
            text_column=options["text_column"],
            label_column=options["label_column"],
            positive=options["positive"],
            group_column=options["group_column"],
            threshold=options["threshold"],
        )
        self.stdout.write(
            f"model {model.version}  rows {result['n']}  positives {result['positives']}"
        )
        self.stdout.write(
            f"at threshold {result['threshold']:.4f}: precision {result['precision']:.4f}  "
            f"recall {result['recall']:.4f}  F1 {result['f1']:.4f}"
        )
        self.stdout.write(f"average precision {result['average_precision']:.4f}")
        if "map" in result:
            self.stdout.write(f"MAP over {result['groups']} groups {result['map']:.4f}")
