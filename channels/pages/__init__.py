"""The page kit: what the provider pages (``/portal``) and the staff console share.

A page set (``frame.Site``) names itself and its templates' package; the kit gives it the
frame around every page (``frame``), server-side sessions behind a ``__Host-`` cookie
(``sessions``), the gate of its signed-in pages with CSRF checks and the double-submit
sign-in token (``gate``), error pages in words, safe headers and the stylesheet
(``rendering``), posted forms and tokens (``forms``, ``tokens``), and its sub-application
with the routes every page set has (``app``). Its templates (``kit/frame.html``,
``kit/error.html``, ``kit/signin.html``, ``kit/macros.html``) are found beside the page
set's own; its stylesheet comes before the page set's. The page set keeps its texts, its
routes, the templates of its content and its own rules.
"""
