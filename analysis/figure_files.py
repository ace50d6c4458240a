"""What every script of analysis/ reads and writes the same way: a run's CSV as dictionaries, and a figure as PNG and
SVG (the SVG without a date, so that a figure redrawn from the same data is the same file)."""
import csv
import os


def rows(path, missing_ok=False):
    """The CSV's rows as dictionaries; [] for a missing file when missing_ok."""
    if missing_ok and not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def save(fig, stem, dpi):
    """Writes STEM.png and STEM.svg at `dpi` and closes the figure."""
    import matplotlib.pyplot as plt
    for ext in ("png", "svg"):
        fig.savefig(f"{stem}.{ext}", dpi=dpi, metadata={"Date": None} if ext == "svg" else None)
    plt.close(fig)
