"""Browser fixtures (Playwright driving Debian's headless Chromium). Filled in by the browser suite."""
