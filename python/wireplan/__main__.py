"""`python -m wireplan check services.json`: the package's command line."""

from wireplan._cli import main

main()
