"""The web face of the bot, used by app.py: `render` (an Answer as HTML), `visitors` (the one place a
visitor's question is answered: rate limit, timeout, safe fallback, opt-in log), `ui` (the Gradio chat and
widget) and `http` (REST, headers, CORS, the widget's routes). Static CSS and JS live in `static/`."""
