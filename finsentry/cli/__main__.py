from finsentry.cli import main

main()
