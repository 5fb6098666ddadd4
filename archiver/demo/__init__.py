"""The bundled demo recap site: a deterministic, local stand-in for a WordPress drama-recap blog.

``python -m archiver.demo --port 0 --truth truth.json`` serves it on 127.0.0.1 and writes the ground
truth. Modules: ``model`` (the data, from ``SiteOptions``), ``render`` (the HTML), ``server`` (routing),
``faults`` (``--faults F``: URLs that fail at first), ``traps`` (``--traps on``), ``hostile`` (``--hostile on``).

URL map (WordPress permalinks ``/%year%/%monthnum%/%day%/%postname%/``, dates in +09:00 local time):

- ``/``, ``/page/N/``: newest posts first; ``/tag/<slug>/``, ``/category/<slug>/``, ``/author/<nick>/``,
  ``/YYYY/MM/``, each with ``page/N/``
- ``/YYYY/MM/DD/<slug>/``: a post showing its LAST (newest) comment page;
  ``.../comment-page-N/`` shows page N; ``?cpage=N`` 301s there; out-of-range pages 301 to the post
- ``/feed/``, ``/comments/feed/``, ``.../<slug>/feed/`` (RSS), ``/robots.txt``, ``/wp-sitemap.xml``,
  ``/wp-login.php``, ``/wp-json/`` (index only), ``/?p=ID`` (301 to the post)
- with traps: ``/YYYY/MM/`` for any month (empty ones too), ``/page/N/`` past the last page, ``/go/loop/``
- ``/__demo/stats.json``: requests per URL, faults served and trap hits (debug; linked from nowhere)
"""
