"""HTML and XML for the demo site, shaped like stock WordPress 6.x with the Twenty Twenty-One theme.

Markup follows what core prints (``Walker_Comment``, ``comment_form``, ``paginate_links``,
``get_body_class``), plus Jetpack sharing/related posts and the Comments Like Dislike plugin.
Every function returns a string; nothing here knows about HTTP.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from email.utils import format_datetime

from archiver.demo import traps
from archiver.demo.breakage import broken_comment_area
from archiver.demo.model import SITE_TAGLINE, TZ, Block, Comment, Post, Site, Term, paged

WP_VERSION = "6.1.1"
SITEMAP_MAX_URLS = 2000
"""``wp_sitemaps_get_max_urls()``: URLs per sitemap page."""
SVG_PREV = (
    '<svg class="svg-icon" width="24" height="24" aria-hidden="true" role="img" focusable="false" '
    'viewBox="0 0 24 24" fill="none" xmlns="http://www.w3.org/2000/svg"><path fill-rule="evenodd" '
    'clip-rule="evenodd" d="M20 13v-2H8l4-4-1-2-7 7 7 7 1-2-4-4z" fill="currentColor"/></svg>'
)
SVG_NEXT = (
    '<svg class="svg-icon" width="24" height="24" aria-hidden="true" role="img" focusable="false" '
    'viewBox="0 0 24 24" fill="none" xmlns="http://www.w3.org/2000/svg"><path fill-rule="evenodd" '
    'clip-rule="evenodd" d="m4 13v-2h12l-4-4 1-2 7 7-7 7-1-2 4-4z" fill="currentColor"/></svg>'
)
_TEXTURIZE = {"’": "&#8217;", "‘": "&#8216;", "“": "&#8220;", "”": "&#8221;", "…": "&#8230;", "–": "&#8211;"}


def esc(text: str) -> str:
    """Escape text and attribute values (``esc_html``/``esc_attr``)."""
    return html.escape(text, quote=True)


def texturize(text: str) -> str:
    """Escape text as ``wptexturize`` prints it: ``&`` as ``&#038;``, curly quotes as entities."""
    out = html.escape(text, quote=False).replace("&amp;", "&#038;")
    for char, entity in _TEXTURIZE.items():
        out = out.replace(char, entity)
    return out


def local_date(d: datetime) -> str:
    """``F j, Y`` in the blog's timezone, e.g. ``December 23, 2021``."""
    local = d.astimezone(TZ)
    return f"{local:%B} {local.day}, {local.year}"


def local_time(d: datetime) -> str:
    """``g:i a`` in the blog's timezone, e.g. ``8:15 am``."""
    local = d.astimezone(TZ)
    return f"{(local.hour % 12) or 12}:{local:%M} {'am' if local.hour < 12 else 'pm'}"


def machine_date(d: datetime) -> str:
    """ISO 8601 in the blog's timezone, e.g. ``2021-12-23T08:15:00+09:00``."""
    return d.astimezone(TZ).isoformat()


class Renderer:
    """Renders every page of ``site`` with absolute links under ``base_url``."""

    def __init__(self, site: Site, base_url: str) -> None:
        self.site = site
        self.root = base_url.rstrip("/")
        self.opts = site.options
        self._sidebar_cache: str | None = None

    # ----------------------------------------------------------------- links
    def url(self, path: str) -> str:
        """Absolute URL of a site path."""
        return self.root + path

    def comment_link(self, post: Post, comment: Comment) -> str:
        """``get_comment_link``: comment pages are numbered, but the first page is the bare URL with
        ``default_comments_page=oldest``, and every link is with paging off or a single page."""
        page = comment.page
        if (
            not paged(self.opts)
            or post.comment_pages == 1
            or (self.opts.default_comments_page == "oldest" and page == 1)
        ):
            return f"{self.url(post.path)}#comment-{comment.id}"
        return f"{self.url(post.path)}comment-page-{page}/#comment-{comment.id}"

    def comment_page_url(self, post: Post, page: int) -> str:
        """URL of comment page ``page`` (``/comment-page-N/``)."""
        return f"{self.url(post.path)}comment-page-{page}/"

    # ---------------------------------------------------------------- layout
    def document(
        self,
        *,
        title: str,
        body_class: str,
        main: str,
        canonical: str | None = None,
        head_extra: str = "",
        robots: str = "max-image-preview:large",
        calendar: tuple[int, int] | None = None,
    ) -> str:
        """The full page around ``main``: head, header, sidebar widgets, footer.

        ``calendar`` is the (year, month) the Calendar widget shows when traps are on (default: the newest post's).
        """
        name = esc(self.site.name)
        canon = f'<link rel="canonical" href="{esc(canonical)}" />\n' if canonical else ""
        return f"""<!doctype html>
<html lang="en-US" >
<head>
	<meta charset="UTF-8" />
	<meta name="viewport" content="width=device-width, initial-scale=1" />
<meta name='robots' content='{robots}' />
<title>{title}</title>
<link rel="alternate" type="application/rss+xml" title="{name} &raquo; Feed" href="{self.url("/feed/")}" />
<link rel="alternate" type="application/rss+xml" title="{name} &raquo; Comments Feed" href="{self.url("/comments/feed/")}" />
<script>
window._wpemojiSettings = {{"baseUrl":"https:\\/\\/s.w.org\\/images\\/core\\/emoji\\/14.0.0\\/72x72\\/","ext":".png","svgUrl":"https:\\/\\/s.w.org\\/images\\/core\\/emoji\\/14.0.0\\/svg\\/","svgExt":".svg","source":{{"concatemoji":"{self.root.replace("/", chr(92) + "/")}\\/wp-includes\\/js\\/wp-emoji-release.min.js?ver={WP_VERSION}"}}}};
/*! This file is auto-generated */
</script>
<link rel='stylesheet' id='wp-block-library-css' href='{self.url("/wp-includes/css/dist/block-library/style.min.css")}?ver={WP_VERSION}' media='all' />
<link rel='stylesheet' id='cld-frontend-css' href='{self.url("/wp-content/plugins/comments-like-dislike/css/cld-frontend.css")}?ver=1.2.2' media='all' />
<link rel='stylesheet' id='twenty-twenty-one-style-css' href='{self.url("/wp-content/themes/twentytwentyone/style.css")}?ver=2.1' media='all' />
<link rel='stylesheet' id='social-logos-css' href='{self.url("/wp-content/plugins/jetpack/_inc/social-logos/social-logos.min.css")}?ver=12.9' media='all' />
<link rel="https://api.w.org/" href="{self.url("/wp-json/")}" />{head_extra}
<link rel="EditURI" type="application/rsd+xml" title="RSD" href="{self.url("/xmlrpc.php")}?rsd" />
<meta name="generator" content="WordPress {WP_VERSION}" />
{canon}</head>

<body class="{body_class} wp-embed-responsive is-light-theme no-js{" singular" if " single " in f" {body_class} " else ""} has-main-navigation">
<div id="page" class="site">
	<a class="skip-link screen-reader-text" href="#content">Skip to content</a>

<header id="masthead" class="site-header has-title-and-tagline has-menu">
<div class="site-branding">
	<p class="site-title"><a href="{self.url("/")}" rel="home">{name}</a></p>
	<p class="site-description">{esc(SITE_TAGLINE)}</p>
</div><!-- .site-branding -->
	<nav id="site-navigation" class="primary-navigation" aria-label="Primary menu">
		<div class="primary-menu-container"><ul id="primary-menu-list" class="menu-wrapper">
<li class="menu-item"><a href="{self.url("/")}">Home</a></li>
<li class="menu-item"><a href="{self.url("/category/recaps/")}">Recaps</a></li>
</ul></div>	</nav><!-- #site-navigation -->
</header><!-- #masthead -->

	<div id="content" class="site-content">
		<div id="primary" class="content-area">
			<main id="main" class="site-main">
{main}
			</main><!-- #main -->
		</div><!-- #primary -->
	</div><!-- #content -->

{self.sidebar(calendar)}

	<footer id="colophon" class="site-footer">
		<div class="site-info">
			<div class="site-name">{name}</div><!-- .site-name -->
			<div class="powered-by">Proudly powered by <a href="https://wordpress.org/">WordPress</a>.</div><!-- .powered-by -->
		</div><!-- .site-info -->
	</footer><!-- #colophon -->

</div><!-- #page -->

<script src='{self.url("/wp-content/plugins/comments-like-dislike/js/cld-frontend.js")}?ver=1.2.2' id='cld-frontend-js'></script>
</body>
</html>
"""

    def sidebar(self, calendar: tuple[int, int] | None = None) -> str:
        """Widget area: Recent Posts, Recent Comments, Tag Cloud, Archives, Categories, Meta (and traps)."""
        calendar_html, loop_link = "", ""
        if traps.on(self.site):
            calendar_html = traps.calendar_widget(self.site, self.url, *(calendar or traps.newest_month(self.site)))
            loop_link = f'\n\t\t\t<li><a href="{self.url(traps.LOOP_PATH)}">Random recap</a></li>'
        if self._sidebar_cache is not None and not calendar_html:
            return self._sidebar_cache
        posts = "\n".join(
            f'<li>\n<a href="{self.url(p.path)}">{texturize(p.title)}</a>\n</li>' for p in self.site.posts[:5]
        )
        recent = []
        for c in self.site.all_comments()[:5]:
            post = self.site.post_by_id(c.post_id)
            recent.append(
                f'<li class="recentcomments"><span class="comment-author-link">{self.author_link(c)}</span> on '
                f'<a href="{self.comment_link(post, c)}">{texturize(post.title)}</a></li>'
            )
        counts = {t.id: sum(1 for p in self.site.posts if t in p.tags) for t in self.site.tags}
        cloud = []
        for n, t in enumerate(sorted(self.site.tags, key=lambda t: t.name.lower()), 1):
            size = 8 + min(14, 2 * counts[t.id])
            items = f"{counts[t.id]} item" + ("s" if counts[t.id] != 1 else "")
            cloud.append(
                f'<a href="{self.url(t.path)}" class="tag-cloud-link tag-link-{t.id} tag-link-position-{n}" '
                f'style="font-size: {size}pt;" aria-label="{esc(t.name)} ({items})">{esc(t.name)}</a>'
            )
        months: list[tuple[str, str]] = []
        for p in self.site.posts:
            local = p.date.astimezone(TZ)
            entry = (f"/{local:%Y/%m}/", f"{local:%B} {local.year}")
            if entry not in months:
                months.append(entry)
        archives = "\n".join(f"\t<li><a href='{self.url(path)}'>{label}</a></li>" for path, label in months)
        cats = "\n".join(
            f'\t<li class="cat-item cat-item-{c.id}"><a href="{self.url(c.path)}">{esc(c.name)}</a>\n</li>'
            for c in self.site.categories
        )
        html_out = f"""	<aside class="widget-area">
		<section id="recent-posts-2" class="widget widget_recent_entries">
		<h2 class="widget-title">Recent Posts</h2><nav aria-label="Recent Posts">
		<ul>
{posts}
		</ul>
		</nav></section><section id="recent-comments-2" class="widget widget_recent_comments"><h2 class="widget-title">Recent Comments</h2><nav aria-label="Recent Comments"><ul id="recentcomments">{"".join(recent)}</ul></nav></section><section id="tag_cloud-2" class="widget widget_tag_cloud"><h2 class="widget-title">Tags</h2><nav aria-label="Tags"><div class="tagcloud">{chr(10).join(cloud)}</div>
</nav></section><section id="archives-2" class="widget widget_archive"><h2 class="widget-title">Archives</h2><nav aria-label="Archives">
			<ul>
{archives}
			</ul>
			</nav></section><section id="categories-2" class="widget widget_categories"><h2 class="widget-title">Categories</h2><nav aria-label="Categories">
			<ul>
{cats}
			</ul>
			</nav></section><section id="meta-2" class="widget widget_meta"><h2 class="widget-title">Meta</h2><nav aria-label="Meta">
		<ul>
						<li><a href="{self.url("/wp-login.php")}">Log in</a></li>
			<li><a href="{self.url("/feed/")}">Entries feed</a></li>
			<li><a href="{self.url("/comments/feed/")}">Comments feed</a></li>
			<li><a href="https://wordpress.org/">WordPress.org</a></li>{loop_link}
		</ul>
		</nav></section>{calendar_html}	</aside><!-- .widget-area -->"""
        if not calendar_html:
            self._sidebar_cache = html_out
        return html_out

    # ------------------------------------------------------------ pagination
    def paginate_links(
        self, current: int, total: int, link, prev_text: str, next_text: str, mid_size: int = 2, before_number: str = ""
    ) -> str:
        """``paginate_links()`` with end_size 1: prev, numbers (``before_number`` before each) with dots, next."""
        out = []
        if current > 1:
            out.append(f'<a class="prev page-numbers" href="{link(current - 1)}">{prev_text}</a>')
        dots = False
        for n in range(1, total + 1):
            if n == current:
                out.append(f'<span aria-current="page" class="page-numbers current">{before_number}{n}</span>')
                dots = True
            elif n <= 1 or current - mid_size <= n <= current + mid_size or n > total - 1:
                out.append(f'<a class="page-numbers" href="{link(n)}">{before_number}{n}</a>')
                dots = True
            elif dots:
                out.append('<span class="page-numbers dots">&hellip;</span>')
                dots = False
        if current < total:
            out.append(f'<a class="next page-numbers" href="{link(current + 1)}">{next_text}</a>')
        return "\n".join(out)

    @staticmethod
    def navigation(links: str, css: str, label: str, screen_reader: str) -> str:
        """``_navigation_markup()``."""
        return f"""
	<nav class="navigation {css}" aria-label="{label}">
		<h2 class="screen-reader-text">{screen_reader}</h2>
		<div class="nav-links">{links}</div>
	</nav>"""

    # -------------------------------------------------------------- listings
    def post_classes(self, post: Post) -> str:
        """``get_post_class()`` for a standard post, plus the theme's ``entry``."""
        terms = [f"category-{html_class(c.slug, c.id)}" for c in post.categories]
        terms += [f"tag-{html_class(t.slug, t.id)}" for t in post.tags]
        return f"post-{post.id} post type-post status-publish format-standard hentry {' '.join(terms)} entry"

    def entry_meta(self, post: Post) -> str:
        """Posted-on, byline, comments link (``twenty_twenty_one_posted_on/by``)."""
        n = post.reported_count
        if n == 0:
            comments = f'<a href="{self.url(post.path)}#respond">Leave a comment<span class="screen-reader-text"> on {texturize(post.title)}</span></a>'
        else:
            label = "1 Comment" if n == 1 else f"{n:,} Comments"
            comments = f'<a href="{self.url(post.path)}#comments">{label}<span class="screen-reader-text"> on {texturize(post.title)}</span></a>'
        return (
            f'<span class="posted-on">Published <time class="entry-date published updated" '
            f'datetime="{machine_date(post.date)}">{local_date(post.date)}</time></span>'
            f'<span class="byline">By <span class="author vcard"><a class="url fn n" '
            f'href="{self.url(f"/author/{post.author.nicename}/")}" rel="author">{esc(post.author.name)}</a></span></span>'
            f'<span class="comments-link">{comments}</span>'
        )

    def recap_index(self) -> str:
        """A Dramabeans-style recap index (a WordPress page): one link per show's series page."""
        items = "\n".join(
            f'\t\t\t<li class="show-item"><a href="{self.url(f"/shows/{s.slug}/")}">{esc(s.name)}</a></li>'
            for s in sorted(self.site.series, key=lambda s: s.name.lower())
        )
        main = f"""
<article id="post-99" class="post-99 page type-page status-publish hentry entry">
	<header class="entry-header alignwide"><h1 class="entry-title">All Recaps</h1></header>
	<div class="entry-content">
		<p>Every show we recap, A to Z.</p>
		<ul class="shows-list">
{items}
		</ul>
	</div>
</article>"""
        return self.document(
            title=f"All Recaps &#8211; {esc(self.site.name)}",
            body_class="page-template-default page page-id-99",
            main=main,
            canonical=self.url("/recaps/all/"),
        )

    def listing(
        self,
        posts: list[Post],
        page: int,
        pages: int,
        base_path: str,
        title: str,
        body_class: str,
        heading: str | None,
        endless: bool = False,
        calendar: tuple[int, int] | None = None,
    ) -> str:
        """A home, term, author or date archive page: excerpts and ``the_posts_pagination()``.

        ``endless``: a buggy theme's "Next" link past the last page (traps). No posts: the theme's "Nothing here".
        """
        articles = []
        for post in posts:
            excerpt = next(text for kind, text in post.body if kind == "p")
            articles.append(f"""
<article id="post-{post.id}" class="{self.post_classes(post)}">
	<header class="entry-header">
		<h2 class="entry-title default-max-width"><a href="{self.url(post.path)}">{texturize(post.title)}</a></h2>
	</header><!-- .entry-header -->
	<div class="entry-content">
		<p>{texturize(excerpt)} <a class="more-link" href="{self.url(post.path)}#more-{post.id}">Continue reading<span class="screen-reader-text">{texturize(post.title)}</span></a></p>
	</div><!-- .entry-content -->
	<footer class="entry-footer default-max-width">
		{self.entry_meta(post)}
	</footer><!-- .entry-footer -->
</article><!-- #post-{post.id} -->""")
        pagination = ""
        if not posts:
            articles.append(
                '\n<section class="no-results not-found"><div class="page-content default-max-width">'
                "<p>It seems we can&rsquo;t find what you&rsquo;re looking for.</p></div></section>"
            )
        if pages > 1 or endless:

            def link(n: int) -> str:
                return self.url(base_path if n == 1 else f"{base_path}page/{n}/")

            links = self.paginate_links(page, pages, link, "&laquo; Previous", "Next &raquo;")
            if endless and page >= pages:
                links += f'\n<a class="next page-numbers" href="{link(page + 1)}">Next &raquo;</a>'
            pagination = self.navigation(links, "pagination", "Posts pagination", "Posts navigation")
        header = ""
        if heading:
            header = f'\n<header class="page-header alignwide">\n\t<h1 class="page-title">{heading}</h1>\n</header><!-- .page-header -->'
        canonical = self.url(base_path if page == 1 else f"{base_path}page/{page}/")
        return self.document(
            title=title,
            body_class=body_class,
            main=header + "".join(articles) + pagination,
            canonical=canonical,
            calendar=calendar,
        )

    # ------------------------------------------------------------------ post
    def post_page(self, post: Post, page: int, explicit_page: bool, reply_to: Comment | None = None) -> str:
        """A single post showing comment page ``page``; ``explicit_page`` when the URL names it."""
        post_url = self.url(post.path)
        canonical = f"{self.comment_page_url(post, page)}#comments" if explicit_page else post_url
        first_p = next(text for kind, text in post.body if kind == "p")
        head = f"""<link rel="alternate" type="application/json" href="{self.url(f"/wp-json/wp/v2/posts/{post.id}")}" />
<link rel='shortlink' href='{self.url(f"/?p={post.id}")}' />
<link rel="alternate" type="application/rss+xml" title="{esc(self.site.name)} &raquo; {texturize(post.title)} Comments Feed" href="{post_url}feed/" />
<script src='{self.url("/wp-includes/js/comment-reply.min.js")}?ver={WP_VERSION}' id='comment-reply-js' async data-wp-strategy='async'></script>

<!-- Jetpack Open Graph Tags -->
<meta property="og:type" content="article" />
<meta property="og:title" content="{esc(post.title)}" />
<meta property="og:url" content="{post_url}" />
<meta property="og:description" content="{esc(first_p)}" />
<meta property="article:published_time" content="{post.date.strftime("%Y-%m-%dT%H:%M:%S+00:00")}" />
<meta property="article:modified_time" content="{post.date.strftime("%Y-%m-%dT%H:%M:%S+00:00")}" />
<meta property="og:site_name" content="{esc(self.site.name)}" />
<meta property="og:image" content="{self.image_url(post)}" />
<meta property="og:locale" content="en_US" />
<!-- End Jetpack Open Graph Tags -->"""
        main = f"""
<article id="post-{post.id}" class="{self.post_classes(post)}">
	<header class="entry-header alignwide">
		<h1 class="entry-title">{texturize(post.title)}</h1>
		<div class="entry-meta">{self.entry_meta(post)}</div>
	</header><!-- .entry-header -->

	<div class="entry-content">
{self.post_body(post)}
{self.sharing(post)}
{self.related(post)}
	</div><!-- .entry-content -->

	<footer class="entry-footer default-max-width">
		<div class="post-taxonomies"><span class="cat-links">Categorized as {", ".join(f'<a href="{self.url(c.path)}" rel="category tag">{esc(c.name)}</a>' for c in post.categories)} </span><span class="tags-links">Tags: {", ".join(f'<a href="{self.url(t.path)}" rel="tag">{esc(t.name)}</a>' for t in post.tags)}</span></div>
	</footer><!-- .entry-footer -->
</article><!-- #post-{post.id} -->
{broken_comment_area(self.comments_area(post, page, reply_to), self.opts.break_markup)}
{self.post_navigation(post)}"""
        robots = "noindex, follow" if reply_to is not None else "max-image-preview:large"
        body = f"post-template-default single single-post postid-{post.id} single-format-standard"
        return self.document(
            title=f"{texturize(post.title)} &#8211; {esc(self.site.name)}",
            body_class=body,
            main=main,
            canonical=canonical,
            head_extra="\n" + head,
            robots=robots,
        )

    def image_url(self, post: Post) -> str:
        """The recap's screenshot under ``wp-content/uploads``."""
        local = post.date.astimezone(TZ)
        return self.url(f"/wp-content/uploads/{local:%Y/%m}/{post.slug}-1.jpg")

    def post_body(self, post: Post) -> str:
        """The recap text as ``the_content`` prints it."""
        out = []
        for kind, text in post.body:
            if kind == "p":
                out.append(f"<p>{texturize(text)}</p>")
            elif kind == "raw":
                out.append(text)
            elif kind == "spacer":
                out.append("<p>&nbsp;</p>")
            elif kind == "h2":
                out.append(f"<h2><strong>{esc(text)}</strong></h2>")
            elif kind == "img":
                aid = post.id + 1
                out.append(
                    f'<figure id="attachment_{aid}" aria-describedby="caption-attachment-{aid}" style="width: 640px" '
                    f'class="wp-caption aligncenter"><img decoding="async" class="size-large wp-image-{aid}" '
                    f'src="{self.image_url(post)}" alt="" width="640" height="360" />'
                    f'<figcaption id="caption-attachment-{aid}" class="wp-caption-text">{texturize(text)}</figcaption></figure>'
                )
        if traps.on(self.site) and traps.loop_post(self.site) is post:
            out.append(f'<p>Can&#8217;t decide? <a href="{self.url(traps.LOOP_PATH)}">Pick a random recap</a>.</p>')
        return "\n".join(out)

    def sharing(self, post: Post) -> str:
        """Jetpack sharing buttons (``?share=`` links are served as the post itself)."""
        items = "".join(
            f'<li class="share-{s}"><a rel="nofollow noopener noreferrer" data-shared="sharing-{s}-{post.id}" '
            f'class="share-{s} sd-button share-icon" href="{self.url(post.path)}?share={s}" target="_blank" '
            f'title="Click to share on {label}" ><span>{label}</span></a></li>'
            for s, label in (("twitter", "Twitter"), ("facebook", "Facebook"))
        )
        return (
            '<div class="sharedaddy sd-sharing-enabled"><div class="robots-nocontent sd-block sd-social '
            'sd-social-icon-text sd-sharing"><h3 class="sd-title">Share this:</h3><div class="sd-content">'
            f'<ul>{items}<li class="share-end"></li></ul></div></div></div>'
        )

    def related(self, post: Post) -> str:
        """Jetpack related posts: up to three other posts of the same series (or the latest)."""
        others = [p for p in self.site.posts if p is not post and (post.series is None or p.series is post.series)]
        items = "".join(
            f'<div class="jp-relatedposts-post jp-relatedposts-post{i} jp-relatedposts-post-thumbs" data-post-id="{p.id}" '
            f'data-post-format="false"><h4 class="jp-relatedposts-post-title"><a class="jp-relatedposts-post-a" '
            f'href="{self.url(p.path)}" title="{esc(p.title)}" rel="nofollow">{texturize(p.title)}</a></h4>'
            f'<p class="jp-relatedposts-post-date">{local_date(p.date)}</p></div>'
            for i, p in enumerate(others[:3])
        )
        return (
            "<div id='jp-relatedposts' class='jp-relatedposts' ><h3 class=\"jp-relatedposts-headline\">"
            f'<em>Related Posts</em></h3><div class="jp-relatedposts-items jp-relatedposts-items-visual">{items}</div></div>'
        )

    def post_navigation(self, post: Post) -> str:
        """``the_post_navigation()``: previous (older) and next (newer) post."""
        index = self.site.posts.index(post)
        links = ""
        if index + 1 < len(self.site.posts):
            older = self.site.posts[index + 1]
            links += (
                f'<div class="nav-previous"><a href="{self.url(older.path)}" rel="prev"><p class="meta-nav">'
                f'Previous post</p><p class="post-title">{texturize(older.title)}</p></a></div>'
            )
        if index > 0:
            newer = self.site.posts[index - 1]
            links += (
                f'<div class="nav-next"><a href="{self.url(newer.path)}" rel="next"><p class="meta-nav">'
                f'Next post</p><p class="post-title">{texturize(newer.title)}</p></a></div>'
            )
        return self.navigation(links, "post-navigation", "Posts", "Post navigation")

    # -------------------------------------------------------------- comments
    def comments_area(self, post: Post, page: int, reply_to: Comment | None) -> str:
        """``comments_template()``: title, navigation, ``wp_list_comments()`` and the form.

        With the wpDiscuz or Disqus platform, what that plugin prints instead.
        """
        if post.hostile.get("kind") == "bounds":
            from archiver.demo.hostile import bounds_comments_area  # it builds on this module

            area = bounds_comments_area(self, post, page)
            if area is not None:
                return area
        if self.opts.platform != "wordpress":
            from archiver.demo.plugins import DisqusRenderer, WpdiscuzRenderer  # they build on this module

            plugin = WpdiscuzRenderer if self.opts.platform == "wpdiscuz" else DisqusRenderer
            return plugin(self.site, self).comments_area(post, page)
        n = post.reported_count
        shown = post.page_comments(page)
        parts = ['<div id="comments" class="comments-area default-max-width show-avatars">']
        if shown or post.hostile.get("kind") == "hostile":
            # Twenty Twenty-One: a title only over comments (have_comments()), the navigation after the list
            heading = "1 comment" if n == 1 else f"{n:,} comments"
            nav = ""
            if post.comment_pages > 1:

                def link(k: int) -> str:
                    return f"{self.comment_page_url(post, k)}#comments"

                links = self.paginate_links(
                    page,
                    post.comment_pages,
                    link,
                    f'{SVG_PREV} <span class="nav-prev-text">Older comments</span>',
                    f'<span class="nav-next-text">Newer comments</span> {SVG_NEXT}',
                    mid_size=0,
                    before_number="Page ",
                )
                nav = self.navigation(links, "comments-pagination", "Comments", "Comments navigation")
            parts.append(
                f'\n\t\t\t<h2 class="comments-title">\n\t\t\t\t\t\t\t{heading}\t\t\t\t\t</h2><!-- .comments-title -->\n'
            )
            if traps.on(self.site):
                parts.append(traps.sort_links(self.url(post.path)))
            parts.append('\t\t<ol class="comment-list">')
            listed = self.comment_list(post, shown)
            if post.hostile.get("kind") == "hostile":
                from archiver.demo.hostile import hostile_comment_list  # it builds on this module

                listed = hostile_comment_list(self, post, page, listed)
            parts.append(listed)
            parts.append("\t\t</ol><!-- .comment-list -->\n")
            parts.append(nav)
        parts.append(self.comment_form(post, reply_to))
        parts.append("</div><!-- #comments -->")
        return "\n".join(parts)

    def comment_list(self, post: Post, comments: list[Comment]) -> str:
        """``Walker_Comment`` output for one page of threads (``comments`` in thread order)."""
        counters = {"alt": 0, "thread": 0}
        by_id = {c.id: c for c in comments}
        roots = [c for c in comments if c.parent_id is None or c.parent_id not in by_id]
        out: list[str] = []
        # Depth first with a stack of what is still to print (markup, or a comment to open): a reply chain
        # thousands deep is printed flat past the thread depth, deeper than Python's recursion limit.
        todo: list[str | tuple[Comment, str, int]] = [(root, "\t\t", 1) for root in reversed(roots)]
        while todo:
            item = todo.pop()
            if isinstance(item, str):
                out.append(item)
                continue
            c, indent, level = item
            out.append(self.comment_start(post, c, counters, indent))
            children = [k for k in sorted(c.children, key=lambda x: x.id) if k.id in by_id]
            nested = level < self.opts.thread_depth
            after: list[str | tuple[Comment, str, int]] = []
            if children and nested:
                after += [
                    f'{indent}<ol class="children">',
                    *((k, indent + "\t", level + 1) for k in children),
                    f"{indent}</ol><!-- .children -->",
                ]
            after.append(f"{indent}</li><!-- #comment-## -->")
            if children and not nested:
                # Walker_Comment::display_element: at max depth, replies are printed beside their parent.
                after += [(k, indent, level) for k in children]
            todo.extend(reversed(after))
        return "\n".join(out)

    def comment_classes(self, post: Post, c: Comment, counters: dict[str, int]) -> str:
        """``get_comment_class()`` with the walker's ``parent`` class."""
        classes = ["comment"]
        if c.user is not None:
            classes += ["byuser", f"comment-author-{c.user.nicename}"]
            if c.user.id == post.author.id:
                classes.append("bypostauthor")
        classes += ["odd", "alt"] if counters["alt"] % 2 else ["even"]
        counters["alt"] += 1
        if c.depth == 1:
            classes += ["thread-odd", "thread-alt"] if counters["thread"] % 2 else ["thread-even"]
            counters["thread"] += 1
        classes.append(f"depth-{c.depth}")
        if c.children:
            classes.append("parent")
        return " ".join(classes)

    def author_link(self, c: Comment) -> str:
        """``get_comment_author_link()``."""
        if c.author_url:
            return f"<a href='{esc(c.author_url)}' class='url' rel='ugc external nofollow'>{esc(c.author)}</a>"
        return esc(c.author)

    def avatar(self, c: Comment) -> str:
        """``get_avatar()`` at 32px (Twenty Twenty-One asks for 60; stock default is 32)."""
        h = c.avatar_hash
        return (
            f"<img alt='' src='https://secure.gravatar.com/avatar/{h}?s=32&#038;d=mm&#038;r=g' "
            f"srcset='https://secure.gravatar.com/avatar/{h}?s=64&#038;d=mm&#038;r=g 2x' "
            "class='avatar avatar-32 photo' height='32' width='32' loading='lazy' decoding='async'/>"
        )

    def reply_link(self, post: Post, c: Comment) -> str:
        """``get_comment_reply_link()``: nothing at the deepest allowed level."""
        if c.depth >= self.opts.thread_depth:
            return ""
        return (
            f"<div class=\"reply\"><a rel='nofollow' class='comment-reply-link' "
            f"href='{self.url(post.path)}?replytocom={c.id}#respond' data-commentid=\"{c.id}\" "
            f'data-postid="{post.id}" data-belowelement="div-comment-{c.id}" data-respondelement="respond" '
            f"data-replyto=\"Reply to {esc(c.author)}\" aria-label='Reply to {esc(c.author)}'>Reply</a></div>"
        )

    def comment_text(self, c: Comment) -> str:
        """``comment_text()``: wpautop'd content followed by the Comments Like Dislike widget."""
        return self.content_html(c.blocks) + self.votes(c)

    @staticmethod
    def content_html(blocks: list[Block]) -> str:
        """Paragraphs as ``wpautop`` prints them; links and smilies as core filters make them."""
        out = []
        for block in blocks:
            lines = []
            for line in block.lines:
                parts = []
                for item in line:
                    if item[0] == "text":
                        parts.append(texturize(item[1]))
                    elif item[0] == "link":
                        parts.append(f'<a href="{esc(item[1])}" rel="nofollow ugc">{texturize(item[2])}</a>')
                    elif item[0] == "raw":  # markup as the database holds it (archiver.demo.hostile)
                        parts.append(item[1])
                    else:
                        code = "-".join(f"{ord(ch):x}" for ch in item[1])
                        parts.append(
                            f'<img src="https://s.w.org/images/core/emoji/14.0.0/72x72/{code}.png" alt="{item[1]}" '
                            'class="wp-smiley" style="height: 1em; max-height: 1em;" />'
                        )
                lines.append("".join(parts))
            para = "<p>" + "<br />\n".join(lines) + "</p>"
            out.append(f"<blockquote>{para}</blockquote>" if block.kind == "quote" else para)
        return "\n".join(out) + "\n"

    def votes(self, c: Comment) -> str:
        """The Comments Like Dislike 1.2.4 widget (``comment_text`` filter): likes and dislikes on every comment;
        nothing when the plugin is off."""
        if self.opts.cld == "off" or self.opts.break_markup == "votes":
            return ""

        def wrap(kind: str, icon: str, count: int) -> str:
            pad = "    " if kind == "like" else ""
            return (
                f'<div class="cld-{kind}-wrap  cld-common-wrap">\n'
                f'    <a href="javascript:void(0)" class="cld-{kind}-trigger cld-like-dislike-trigger  " title="" '
                f'data-comment-id="{c.id}" data-trigger-type="{kind}" data-restriction="cookie" data-already-liked="0">\n'
                f'                        <i class="fas fa-thumbs-{icon}"></i>\n                </a>\n'
                f'    <span class="cld-{kind}-count-wrap cld-count-wrap">{count}{pad}</span>\n</div>'
            )

        return (
            '<div class="cld-like-dislike-wrap cld-template-1">\n'
            f"{wrap('like', 'up', c.upvotes)}{wrap('dislike', 'down', c.downvotes or 0)}</div>"
        )

    def comment_start(self, post: Post, c: Comment, counters: dict[str, int], indent: str) -> str:
        """``Walker_Comment::html5_comment()`` or ``::comment()`` up to (not including) ``</li>``."""
        classes = self.comment_classes(post, c, counters)
        when = f"{local_date(c.date)} at {local_time(c.date)}"
        link = f"{self.comment_link(post, c)}"
        if self.opts.comment_style == "xhtml":
            return f"""{indent}<li class="{classes}" id="comment-{c.id}">
{indent}		<div id="div-comment-{c.id}" class="comment-body">
{indent}		<div class="comment-author vcard">
{indent}			{self.avatar(c)}			<cite class="fn">{self.author_link(c)}</cite> <span class="says">says:</span>		</div>

{indent}		<div class="comment-meta commentmetadata">
{indent}			<a href="{link}">{when}</a>		</div>

{indent}		{self.comment_text(c)}
{indent}		{self.reply_link(post, c)}
{indent}				</div>"""
        return f"""{indent}<li id="comment-{c.id}" class="{classes}">
{indent}			<article id="div-comment-{c.id}" class="comment-body">
{indent}				<footer class="comment-meta">
{indent}					<div class="comment-author vcard">
{indent}						{self.avatar(c)}						<b class="fn">{self.author_link(c)}</b> <span class="says">says:</span>					</div><!-- .comment-author -->

{indent}					<div class="comment-metadata">
{indent}						<a href="{link}"><time datetime="{machine_date(c.date)}">{when}</time></a>					</div><!-- .comment-metadata -->

{indent}									</footer><!-- .comment-meta -->

{indent}				<div class="comment-content">
{self.comment_text(c)}				</div><!-- .comment-content -->

{indent}				{self.reply_link(post, c)}			</article><!-- .comment-body -->"""

    def comment_form(self, post: Post, reply_to: Comment | None) -> str:
        """``comment_form()`` with the stock fields; replying when ``reply_to`` is set."""
        post_url = self.url(post.path)
        if reply_to is not None:
            title = f'Reply to <a href="#comment-{reply_to.id}">{esc(reply_to.author)}</a>'
            cancel = f'<a rel="nofollow" id="cancel-comment-reply-link" href="{post_url}#respond">Cancel reply</a>'
            parent = reply_to.id
        else:
            title = "Leave a Reply"
            cancel = f'<a rel="nofollow" id="cancel-comment-reply-link" href="{post_url}#respond" style="display:none;">Cancel reply</a>'
            parent = 0
        return f"""	<div id="respond" class="comment-respond">
		<h3 id="reply-title" class="comment-reply-title">{title} <small>{cancel}</small></h3><form action="{self.url("/wp-comments-post.php")}" method="post" id="commentform" class="comment-form" novalidate><p class="comment-notes"><span id="email-notes">Your email address will not be published.</span> <span class="required-field-message">Required fields are marked <span class="required">*</span></span></p><p class="comment-form-comment"><label for="comment">Comment <span class="required">*</span></label> <textarea id="comment" name="comment" cols="45" rows="5" maxlength="65525" required></textarea></p><p class="comment-form-author"><label for="author">Name <span class="required">*</span></label> <input id="author" name="author" type="text" value="" size="30" maxlength="245" autocomplete="name" required /></p>
<p class="comment-form-email"><label for="email">Email <span class="required">*</span></label> <input id="email" name="email" type="email" value="" size="30" maxlength="100" aria-describedby="email-notes" autocomplete="email" required /></p>
<p class="comment-form-url"><label for="url">Website</label> <input id="url" name="url" type="url" value="" size="30" maxlength="200" autocomplete="url" /></p>
<p class="comment-form-cookies-consent"><input id="wp-comment-cookies-consent" name="wp-comment-cookies-consent" type="checkbox" value="yes" /> <label for="wp-comment-cookies-consent">Save my name, email, and website in this browser for the next time I comment.</label></p>
<p class="form-submit"><input name="submit" type="submit" id="submit" class="submit" value="Post Comment" /> <input type='hidden' name='comment_post_ID' value='{post.id}' id='comment_post_ID' />
<input type='hidden' name='comment_parent' id='comment_parent' value='{parent}' />
</p></form>	</div><!-- #respond -->"""

    # ------------------------------------------------------------ misc pages
    def not_found(self) -> str:
        """The theme's 404 page."""
        main = """
	<header class="page-header alignwide">
		<h1 class="page-title">Nothing here</h1>
	</header><!-- .page-header -->
	<div class="error-404 not-found default-max-width">
		<div class="page-content">
			<p>It looks like nothing was found at this location. Maybe try a search?</p>
		</div><!-- .page-content -->
	</div><!-- .error-404 -->"""
        return self.document(
            title=f"Page not found &#8211; {esc(self.site.name)}",
            body_class="error404",
            main=main,
            robots="noindex, follow, max-image-preview:large",
        )

    def login(self) -> str:
        """A minimal ``wp-login.php``."""
        return f"""<!DOCTYPE html>
<html lang="en-US">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
<title>Log In &lsaquo; {esc(self.site.name)} &#8212; WordPress</title>
<meta name='robots' content='max-image-preview:large, noindex, noarchive' />
</head>
<body class="login no-js login-action-login wp-core-ui  locale-en-us">
<div id="login">
<h1><a href="https://wordpress.org/">Powered by WordPress</a></h1>
<form name="loginform" id="loginform" action="{self.url("/wp-login.php")}" method="post">
<p><label for="user_login">Username or Email Address</label>
<input type="text" name="log" id="user_login" class="input" value="" size="20" autocapitalize="off" autocomplete="username" required="required" /></p>
<div class="user-pass-wrap"><label for="user_pass">Password</label>
<input type="password" name="pwd" id="user_pass" class="input password-input" value="" size="20" autocomplete="current-password" spellcheck="false" required="required" /></div>
<p class="submit"><input type="submit" name="wp-submit" id="wp-submit" class="button button-primary button-large" value="Log In" />
<input type="hidden" name="redirect_to" value="{self.url("/wp-admin/")}" /></p>
</form>
<p id="backtoblog"><a href="{self.url("/")}">&larr; Go to {esc(self.site.name)}</a></p>
</div>
</body>
</html>
"""

    def robots_txt(self) -> str:
        """``do_robots()``, naming core's sitemap when sitemaps are enabled."""
        sitemap = f"\nSitemap: {self.url('/wp-sitemap.xml')}\n" if self.opts.sitemap == "on" else ""
        return f"User-agent: *\nDisallow: /wp-admin/\nAllow: /wp-admin/admin-ajax.php\n{sitemap}"

    # ----------------------------------------------------------------- feeds
    def rss(self, title: str, link: str, self_url: str, items: list[str], updated: datetime) -> str:
        """An RSS 2.0 document as ``feed-rss2.php`` prints it."""
        return f"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
	xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:wfw="http://wellformedweb.org/CommentAPI/"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:atom="http://www.w3.org/2005/Atom"
	xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"
	xmlns:slash="http://purl.org/rss/1.0/modules/slash/"
	>

<channel>
	<title>{title}</title>
	<atom:link href="{self_url}" rel="self" type="application/rss+xml" />
	<link>{link}</link>
	<description>{esc(SITE_TAGLINE)}</description>
	<lastBuildDate>{rfc822(updated)}</lastBuildDate>
	<language>en-US</language>
	<sy:updatePeriod>
	hourly	</sy:updatePeriod>
	<sy:updateFrequency>
	1	</sy:updateFrequency>
	<generator>https://wordpress.org/?v={WP_VERSION}</generator>
{"".join(items)}
	</channel>
</rss>
"""

    def posts_feed(self) -> tuple[str, datetime]:
        """``/feed/``: the latest posts; returns (xml, last modified)."""
        items = []
        for p in self.site.posts[: self.opts.posts_per_page * 2]:
            cats = "".join(f"\n\t\t<category><![CDATA[{t.name}]]></category>" for t in p.categories + p.tags)
            items.append(f"""
	<item>
		<title>{texturize(p.title)}</title>
		<link>{self.url(p.path)}</link>
		<comments>{self.url(p.path)}#respond</comments>
		<dc:creator><![CDATA[{p.author.name}]]></dc:creator>
		<pubDate>{rfc822(p.date)}</pubDate>{cats}
		<guid isPermaLink="false">{self.url(f"/?p={p.id}")}</guid>
		<description><![CDATA[{next(t for k, t in p.body if k == "p")}]]></description>
		<wfw:commentRss>{self.url(p.path)}feed/</wfw:commentRss>
		<slash:comments>{len(p.public_comments)}</slash:comments>
	</item>""")
        updated = max((p.date for p in self.site.posts), default=datetime(2021, 1, 1, tzinfo=UTC))
        return self.rss(esc(self.site.name), self.url("/"), self.url("/feed/"), items, updated), updated

    def comments_feed(self, post: Post | None) -> tuple[str, datetime]:
        """``/comments/feed/`` or ``/<post>/feed/``: the latest comments; returns (xml, last modified)."""
        comments = post.public_comments if post else self.site.all_comments()
        comments = sorted(comments, key=lambda c: c.id, reverse=True)[:10]
        items = []
        for c in comments:
            p = post or self.site.post_by_id(c.post_id)
            items.append(f"""
	<item>
		<title>By: {esc(c.author)}</title>
		<link>{self.comment_link(p, c)}</link>
		<dc:creator><![CDATA[{c.author}]]></dc:creator>
		<pubDate>{rfc822(c.date)}</pubDate>
		<guid isPermaLink="false">{self.url(f"/?p={p.id}")}#comment-{c.id}</guid>
		<description><![CDATA[{c.text}]]></description>
		<content:encoded><![CDATA[{self.content_html(c.blocks)}]]></content:encoded>
	</item>""")
        if post:
            title, link, self_url = (
                f"Comments on: {texturize(post.title)}",
                self.url(post.path),
                f"{self.url(post.path)}feed/",
            )
            fallback = post.date
        else:
            title, link, self_url = f"Comments for {esc(self.site.name)}", self.url("/"), self.url("/comments/feed/")
            fallback = datetime(2021, 1, 1, tzinfo=UTC)
        updated = max((c.date for c in comments), default=fallback)
        return self.rss(title, link, self_url, items, updated), updated

    def sitemap_index(self) -> str:
        """``/wp-sitemap.xml``: core's sitemap index (WordPress 5.5+), here listing the posts' sitemaps."""
        pages = max(1, -(-len(self.site.posts) // SITEMAP_MAX_URLS))
        entries = "".join(
            f"<sitemap><loc>{self.url(f'/wp-sitemap-posts-post-{n}.xml')}</loc></sitemap>" for n in range(1, pages + 1)
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>\n'
        )

    def sitemap(self, page: int) -> str | None:
        """``/wp-sitemap-posts-post-N.xml``: up to 2,000 posts, newest first, each with its ``loc`` only (core
        WordPress 6.1 prints no ``lastmod``; SEO plugins add it through ``wp_sitemaps_posts_entry``); None past
        the last page."""
        posts = self.site.posts[(page - 1) * SITEMAP_MAX_URLS : page * SITEMAP_MAX_URLS]
        if page < 1 or (not posts and page > 1):
            return None
        urls = "".join(f"<url><loc>{self.url(p.path)}</loc></url>" for p in posts)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>\n'
        )


def html_class(slug: str, fallback: int) -> str:
    """``sanitize_html_class()``: percent-encoded octets are dropped; an empty result uses ``fallback``."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]", "", re.sub(r"%[a-fA-F0-9]{2}", "", slug))
    return cleaned or str(fallback)


def rfc822(d: datetime) -> str:
    """RSS date, e.g. ``Thu, 23 Dec 2021 08:00:00 +0000``."""
    return format_datetime(d.astimezone(UTC))


def term_heading(term: Term) -> str:
    """Archive title as ``get_the_archive_title()`` prints it for a tag or category."""
    kind = "Tag" if term.taxonomy == "post_tag" else "Category"
    return f"{kind}: <span>{esc(term.name)}</span>"
