"""A small bar chart as inline SVG: no script, no CDN, readable offline."""

from __future__ import annotations

from markupsafe import Markup


def bar_chart(bars: list[tuple[str, int]], title: str, height: int = 160, bar_width: int = 28) -> Markup:
    """An SVG bar chart of ``bars`` (label, value), each bar labelled below and valued above."""
    top = max((v for _, v in bars), default=0) or 1
    gap, label_space, value_space = 8, 18, 16
    width = max(len(bars), 1) * (bar_width + gap) + gap
    plot = height - label_space - value_space
    parts = [
        Markup(
            '<svg class="bar-chart" xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" '
            'viewBox="0 0 {} {}" role="img" aria-label="{}"><title>{}</title>'
        ).format(width, height, width, height, title, title)
    ]
    for i, (label, value) in enumerate(bars):
        x = gap + i * (bar_width + gap)
        h = round(plot * value / top)
        y = value_space + plot - h
        parts.append(
            Markup('<g><title>{}: {}</title><rect x="{}" y="{}" width="{}" height="{}" fill="#4a7ab5"></rect>'
                   '<text x="{}" y="{}" text-anchor="middle" font-size="11">{}</text>'
                   '<text x="{}" y="{}" text-anchor="middle" font-size="11">{}</text></g>').format(
                label, value, x, y, bar_width, h,
                x + bar_width / 2, y - 4, value,
                x + bar_width / 2, height - 4, label,
            )
        )  # fmt: skip
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)
