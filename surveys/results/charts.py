"""Charts drawn on the server as inline SVG (no JavaScript, no CDN): the rate over time with its interval and
the target line. Distribution bars are plain HTML in the template."""
from markupsafe import Markup, escape

WIDTH, HEIGHT, PAD = 640, 180, 28


def trend_svg(rows, source, target_percent=None, label=""):
    """An SVG of the rate per period for ``source``: a line, the 95% band, and the target as a dashed line."""
    points = [(row.label, row.by_source.get(source)) for row in rows]
    points = [(name, rate) for name, rate in points if rate is not None]
    if not points:
        return Markup("")
    step = (WIDTH - 2 * PAD) / max(len(points) - 1, 1)

    def x(index):
        return PAD + index * step if len(points) > 1 else WIDTH / 2

    def y(share):
        return HEIGHT - PAD - share * (HEIGHT - 2 * PAD)

    line = " ".join(f"{x(i):.1f},{y(rate.p):.1f}" for i, (_n, rate) in enumerate(points))
    band = " ".join([f"{x(i):.1f},{y(rate.high):.1f}" for i, (_n, rate) in enumerate(points)] +
                    [f"{x(i):.1f},{y(rate.low):.1f}" for i, (_n, rate) in reversed(list(enumerate(points)))])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" class="ms-trend" role="img" '
             f'aria-label="{escape(label)}">',
             f'<rect x="{PAD}" y="{PAD}" width="{WIDTH - 2 * PAD}" height="{HEIGHT - 2 * PAD}" fill="#f8f9fa"/>']
    for share in (0, 0.5, 1):
        parts.append(f'<text x="2" y="{y(share) + 4:.1f}" font-size="10" fill="#6c757d">{int(share * 100)}%</text>')
    parts.append(f'<polygon points="{band}" fill="#0d6efd" fill-opacity="0.15"/>')
    if target_percent is not None:
        target_y = y(target_percent / 100)
        parts.append(f'<line x1="{PAD}" x2="{WIDTH - PAD}" y1="{target_y:.1f}" y2="{target_y:.1f}" stroke="#dc3545" '
                     f'stroke-dasharray="6 4"/>')
    parts.append(f'<polyline points="{line}" fill="none" stroke="#0d6efd" stroke-width="2"/>')
    for i, (name, rate) in enumerate(points):
        parts.append(f'<circle cx="{x(i):.1f}" cy="{y(rate.p):.1f}" r="3" fill="#0d6efd"><title>{escape(name)}: '
                     f'{rate.percent:.1f}% (n={rate.n})</title></circle>')
    first, last = points[0][0], points[-1][0]
    parts.append(f'<text x="{PAD}" y="{HEIGHT - 8}" font-size="10" fill="#6c757d">{escape(first)}</text>')
    if len(points) > 1:
        parts.append(f'<text x="{WIDTH - PAD}" y="{HEIGHT - 8}" font-size="10" fill="#6c757d" '
                     f'text-anchor="end">{escape(last)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
