"""`python -m wireplan check services.json`: the Rust command line, every subcommand."""

from wireplan._cli import main

main()
