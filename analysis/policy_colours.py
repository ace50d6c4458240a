"""One colour, marker and line style per policy in every figure of analysis/ (the study, owner and sweep figures),
so that a reader can follow a policy from figure to figure. Names are those of `spritesim policies`, plus the study
labels "home only" (a policy that never places work elsewhere) and "never-evict" (sprite without eviction). Any
other name gets a fixed colour of its own from a hash of the name, the same in every figure and every run."""
import json
import zlib

COLOURS = {
    "sprite": "#1f77b4",        # blue
    "random": "#ff7f0e",        # orange
    "remote-exec": "#2ca02c",   # green
    "condor": "#d62728",        # red
    "never-evict": "#9467bd",   # purple
    "least-loaded": "#8c564b",  # brown
    "mosix": "#e377c2",         # pink
    "home only": "#7f7f7f",     # grey
    "lifetime": "#17becf",      # cyan
    "external": "#bcbd22",      # olive
}
MARKERS = {
    "sprite": "o", "random": "s", "remote-exec": "^", "condor": "v", "never-evict": "D", "least-loaded": "<",
    "mosix": ">", "home only": "x", "lifetime": "P", "external": "*",
}
LINESTYLES = {"home only": ":", "remote-exec": "-.", "random": "--", "least-loaded": "--"}
_FALLBACK = ["#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#e6550d", "#31a354", "#756bb1",
             "#636363"]


def policy_name(label):
    """The policy's name in a label: a sweep's policy.name value, a study label, or a whole policy object as JSON
    text (a sweep whose axis is `policy`): its name, or "home only" when it never places arrivals elsewhere."""
    text = str(label).strip()
    if text.startswith("{"):
        try:
            p = json.loads(text)
        except ValueError:
            return text
        if p.get("params", {}).get("place_arrivals") is False:
            return "home only"
        return p.get("name", text)
    return text


def colour(label):
    name = policy_name(label)
    if name in COLOURS:
        return COLOURS[name]
    return _FALLBACK[zlib.crc32(name.encode()) % len(_FALLBACK)]


def marker(label):
    return MARKERS.get(policy_name(label), "o")


def linestyle(label):
    """Placement-only and home-only baselines dashed or dotted, migrating policies solid."""
    return LINESTYLES.get(policy_name(label), "-")
