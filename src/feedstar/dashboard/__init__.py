"""`feedstar dashboard`: a small web app that reads the dashboard marts and draws them."""
