from ladder_cli.cli import main

main()
