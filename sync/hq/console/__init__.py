"""The HQ web console: the pages 创城办 reviewers and admins work in, served by `inspector hq serve` beside the device
API, over the same services.

Server-rendered (Jinja2, autoescaped), with htmx 2 vendored in static/ for the filter-as-you-type and the bulk
confirmations, one stylesheet, charts drawn as inline SVG on the server, and no inline script (the
Content-Security-Policy forbids it). app.py builds the app; session.py signs people in and checks CSRF tokens;
render.py renders pages in the user's language (words.py); pages/ holds one router per area of the menu.
"""
